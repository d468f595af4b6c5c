/** The promotion rule (src/retrain/promotion.ts): margin on entity F1, per-field tolerance, first model, not comparable. */
import { describe, expect, it } from 'vitest';
import { decidePromotion } from '../../../src/retrain/promotion';

const AT = '2026-12-06T12:00:00.000Z';
/** Final metrics of a job: the challenger's and, when given, the champion's scored on the same documents. */
const metrics = (
  challenger: { f1: number; fields: Record<string, number> },
  champion?: { f1: number; fields: Record<string, number> },
): Record<string, number> => ({
  val_f1: challenger.f1,
  val_precision: challenger.f1,
  val_field_exact: 0.5,
  ...Object.fromEntries(Object.entries(challenger.fields).map(([field, value]) => [`val_exact_${field}`, value])),
  ...(champion === undefined
    ? { champion_comparable: 0 }
    : {
        champion_comparable: 1,
        champion_val_f1: champion.f1,
        ...Object.fromEntries(Object.entries(champion.fields).map(([field, value]) => [`champion_val_exact_${field}`, value])),
      }),
});
const rule = { margin: 0.01, tolerance: 0.02, decidedAt: AT };

describe('decidePromotion', () => {
  it('promotes the first model of a lineage, whatever its scores', () => {
    // Act
    const decision = decidePromotion({ ...rule, metrics: metrics({ f1: 0.1, fields: { total: 0 } }), championRunId: null });
    // Assess
    expect(decision).toMatchObject({ decision: 'promoted', rule: 'first', champion: null, championBefore: null });
    expect(decision.challenger).toEqual({ entityF1: 0.1, fields: { total: 0 } });
  });

  it('promotes a challenger better by at least the margin with no field beyond the tolerance', () => {
    const decision = decidePromotion({
      ...rule,
      metrics: metrics({ f1: 0.9, fields: { total: 0.9, date: 0.79 } }, { f1: 0.88, fields: { total: 0.9, date: 0.8 } }),
      championRunId: 'r1',
    });
    expect(decision).toMatchObject({ decision: 'promoted', rule: 'better', regressions: [], championBefore: 'r1' });
    expect(decision.champion).toEqual({ runId: 'r1', entityF1: 0.88, fields: { total: 0.9, date: 0.8 } });
    expect(decision.fieldDeltas).toEqual({ total: 0, date: -0.01 });
  });

  it('rejects a challenger better by less than the margin (seed noise), naming the figures', () => {
    const decision = decidePromotion({
      ...rule,
      metrics: metrics({ f1: 0.885, fields: { total: 0.95 } }, { f1: 0.88, fields: { total: 0.9 } }),
      championRunId: 'r1',
    });
    expect(decision).toMatchObject({ decision: 'rejected', rule: 'not-better' });
    expect(decision.reason).toContain("entity F1 0.8850 vs the champion's 0.8800 (+0.0050, margin 0.0100)");
  });

  it('rejects a worse challenger', () => {
    const decision = decidePromotion({ ...rule, metrics: metrics({ f1: 0.5, fields: {} }, { f1: 0.88, fields: {} }), championRunId: 'r1' });
    expect(decision).toMatchObject({ decision: 'rejected', rule: 'not-better' });
  });

  it('rejects a per-field regression beyond the tolerance even when entity F1 rises by far more than the margin', () => {
    const decision = decidePromotion({
      ...rule,
      metrics: metrics({ f1: 0.95, fields: { total: 0.7, company: 1 } }, { f1: 0.85, fields: { total: 0.9, company: 0.6 } }),
      championRunId: 'r1',
    });
    expect(decision).toMatchObject({ decision: 'rejected', rule: 'field-regression', regressions: ['total'] });
    expect(decision.reason).toContain('total 0.7000 vs 0.9000');
  });

  it('accepts a field drop of exactly the tolerance', () => {
    const decision = decidePromotion({
      ...rule,
      metrics: metrics({ f1: 0.95, fields: { total: 0.88 } }, { f1: 0.85, fields: { total: 0.9 } }),
      championRunId: 'r1',
    });
    expect(decision).toMatchObject({ decision: 'promoted', rule: 'better' });
  });

  it('compares only the fields both models report (a new field cannot regress)', () => {
    const decision = decidePromotion({
      ...rule,
      metrics: metrics({ f1: 0.9, fields: { total: 0.9, iban: 0.1 } }, { f1: 0.8, fields: { total: 0.9 } }),
      championRunId: 'r1',
    });
    expect(decision.fieldDeltas).toEqual({ total: 0 });
    expect(decision.decision).toBe('promoted');
  });

  it('rejects when the trainer could not score the champion (champion_comparable 0), saying how to promote by hand', () => {
    const decision = decidePromotion({ ...rule, metrics: metrics({ f1: 0.99, fields: {} }), championRunId: 'r1' });
    expect(decision).toMatchObject({ decision: 'rejected', rule: 'not-comparable', champion: null });
    expect(decision.reason).toContain('doctrain promote --force');
  });

  it('rejects when the job reported no val_f1 at all', () => {
    const decision = decidePromotion({ ...rule, metrics: {}, championRunId: 'r1' });
    expect(decision).toMatchObject({ decision: 'rejected', rule: 'not-comparable' });
  });
});

describe('decidePromotion, task classification', () => {
  /** A classifier's final metrics: macro-F1 and per-class recall, the champion's beside them. */
  const classMetrics = (
    challenger: { f1: number; recall: Record<string, number> },
    champion: { f1: number; recall: Record<string, number> },
  ): Record<string, number> => ({
    val_accuracy: challenger.f1,
    val_macro_f1: challenger.f1,
    ...Object.fromEntries(Object.entries(challenger.recall).map(([name, value]) => [`val_recall_${name}`, value])),
    ...Object.fromEntries(Object.entries(challenger.recall).map(([name, value]) => [`val_precision_${name}`, value])),
    champion_comparable: 1,
    champion_val_macro_f1: champion.f1,
    ...Object.fromEntries(Object.entries(champion.recall).map(([name, value]) => [`champion_val_recall_${name}`, value])),
  });

  it('promotes on macro-F1 by the margin with no class recall beyond the tolerance', () => {
    // Act
    const decision = decidePromotion({
      ...rule,
      metrics: classMetrics({ f1: 0.93, recall: { invoice: 0.95, letter: 0.9 } }, { f1: 0.9, recall: { invoice: 0.95, letter: 0.91 } }),
      championRunId: 'r1',
    });
    // Assess
    expect(decision).toMatchObject({ decision: 'promoted', rule: 'better' });
    expect(decision.challenger).toEqual({ entityF1: 0.93, fields: { invoice: 0.95, letter: 0.9 } });
    expect(decision.reason).toContain('macro-F1 0.9300 vs the champion');
  });

  it("rejects a better macro-F1 when one class's recall drops beyond the tolerance", () => {
    const decision = decidePromotion({
      ...rule,
      metrics: classMetrics({ f1: 0.95, recall: { invoice: 0.8, letter: 1 } }, { f1: 0.9, recall: { invoice: 0.9, letter: 0.9 } }),
      championRunId: 'r1',
    });
    expect(decision).toMatchObject({ decision: 'rejected', rule: 'field-regression', regressions: ['invoice'] });
    expect(decision.reason).toContain("but classes' recall dropped by more than the tolerance 0.0200: invoice 0.8000 vs 0.9000");
  });
});
