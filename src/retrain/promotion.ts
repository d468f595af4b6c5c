/**
 * The promotion rule: a challenger replaces the champion only when, scored by the same training job on
 * the same validation documents (the trainer scores the champion from its `champion` channel and prints
 * `champion_*` metrics beside its own), its entity F1 is higher by at least `margin` AND no field's
 * exact-match share is lower by more than `tolerance`. Why both: entity F1 moves by about +-0.02 between
 * seeds on real receipts, so without a margin noise churns the champion; and an aggregate can rise while
 * the one field a user relies on (the total) gets worse, which the per-field guard refuses.
 * A classifier (task classification: its job reports `val_macro_f1`) is held to the same rule on its
 * macro-F1 (`entityF1` of its scores) and its per-class recall (`fields`: `val_recall_<class>` against
 * `champion_val_recall_<class>`): a class the users route on must not be missed more often.
 * The first model of a lineage is promoted. Pure: the step (src/steps/promote-model) reads and writes.
 */
import type { ModelScores, Promotion, PromotionRule } from '../contracts/lineage';
import {
  CHAMPION_CORE_METRICS,
  CLASSIFICATION_CHAMPION_CORE_METRICS,
  CLASSIFICATION_CORE_METRICS,
  championClassRecallMetric,
  championFieldExactMetric,
  classRecallMetric,
  fieldExactMetric,
  type CORE_METRICS,
} from '../contracts/metric-line';

/** The metric names the rule reads (the metric-line contract, src/contracts/metric-line.ts), and how its reasons name them. */
interface RuleMetrics {
  readonly headline: string;
  readonly championHeadline: string;
  readonly partPrefix: string;
  readonly championPartPrefix: string;
  readonly headlineName: string;
  readonly parts: string;
  readonly part: string;
}
const [CHAMPION_COMPARABLE, CHAMPION_F1] = CHAMPION_CORE_METRICS;
const TOKEN_RULE: RuleMetrics = {
  headline: 'val_f1' satisfies (typeof CORE_METRICS)[number],
  championHeadline: CHAMPION_F1,
  partPrefix: fieldExactMetric(''),
  championPartPrefix: championFieldExactMetric(''),
  headlineName: 'entity F1',
  parts: 'fields',
  part: 'field',
};
const CLASS_RULE: RuleMetrics = {
  headline: CLASSIFICATION_CORE_METRICS[3],
  championHeadline: CLASSIFICATION_CHAMPION_CORE_METRICS[1],
  partPrefix: classRecallMetric(''),
  championPartPrefix: championClassRecallMetric(''),
  headlineName: 'macro-F1',
  parts: "classes' recall",
  part: "class's recall",
};
/** A classifier's job reports val_macro_f1 and no val_f1. */
const ruleFor = (metrics: Readonly<Record<string, number>>): RuleMetrics =>
  metrics[CLASS_RULE.headline] !== undefined && metrics[TOKEN_RULE.headline] === undefined ? CLASS_RULE : TOKEN_RULE;

const fieldsWithPrefix = (metrics: Readonly<Record<string, number>>, prefix: string): Record<string, number> =>
  Object.fromEntries(
    Object.entries(metrics)
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, value]) => [name.slice(prefix.length), value]),
  );

/** The challenger's scores from its job's final metrics (undefined: the job reported no val_f1, or for a classifier no val_macro_f1). */
export const challengerScores = (metrics: Readonly<Record<string, number>>): ModelScores | undefined => {
  const rule = ruleFor(metrics);
  const entityF1 = metrics[rule.headline];
  return entityF1 === undefined ? undefined : { entityF1, fields: fieldsWithPrefix(metrics, rule.partPrefix) };
};

/** The champion's scores on this job's validation documents (undefined: the trainer could not score it). */
export const championScores = (metrics: Readonly<Record<string, number>>): ModelScores | undefined => {
  const rule = ruleFor(metrics);
  const entityF1 = metrics[rule.championHeadline];
  if (metrics[CHAMPION_COMPARABLE] !== 1 || entityF1 === undefined) return undefined;
  return { entityF1, fields: fieldsWithPrefix(metrics, rule.championPartPrefix) };
};

export interface PromotionInput {
  /** The challenger's job's final metrics (FinalizeRun's `metrics`). */
  metrics: Readonly<Record<string, number>>;
  /** The champion the job was given (CheckFingerprint read it), or null: the lineage had none. */
  championRunId: string | null;
  margin: number;
  tolerance: number;
  decidedAt: string;
}

export type PromotionDecision = Omit<Promotion, 'championAfter' | 'modelPackageArn'>;

const f4 = (value: number): string => value.toFixed(4);

export const decidePromotion = (input: PromotionInput): PromotionDecision => {
  const rule = ruleFor(input.metrics);
  const challenger = challengerScores(input.metrics) ?? { entityF1: 0, fields: {} };
  const base = {
    margin: input.margin,
    tolerance: input.tolerance,
    challenger,
    championBefore: input.championRunId,
    decidedAt: input.decidedAt,
  };
  const decided = (
    decision: Promotion['decision'],
    rule: PromotionRule,
    reason: string,
    champion: Promotion['champion'] = null,
    fieldDeltas: Record<string, number> = {},
    regressions: string[] = [],
  ): PromotionDecision => ({ ...base, decision, rule, reason, champion, fieldDeltas, regressions });

  if (input.championRunId === null) return decided('promoted', 'first', 'the first model of the lineage is its champion');
  if (challengerScores(input.metrics) === undefined) {
    return decided(
      'rejected',
      'not-comparable',
      `the training job reported no ${rule.headline}; the champion ${input.championRunId} stays`,
    );
  }
  const scored = championScores(input.metrics);
  if (scored === undefined) {
    return decided(
      'rejected',
      'not-comparable',
      `the trainer could not score the champion ${input.championRunId} on this run's validation documents (${CHAMPION_COMPARABLE} is not 1: another label or class list or an unreadable artifact, see the job's log); promote by hand with doctrain promote --force if this model should replace it`,
    );
  }
  const champion = { ...scored, runId: input.championRunId };
  const shared = Object.keys(challenger.fields).filter((field) => field in champion.fields);
  const fieldDeltas = Object.fromEntries(
    shared.map((field) => [field, Number(((challenger.fields[field] ?? 0) - (champion.fields[field] ?? 0)).toFixed(6))]),
  );
  const regressions = shared.filter((field) => (fieldDeltas[field] ?? 0) < -input.tolerance);
  const gain = challenger.entityF1 - champion.entityF1;
  const figures = `${rule.headlineName} ${f4(challenger.entityF1)} vs the champion's ${f4(champion.entityF1)} (${gain >= 0 ? '+' : ''}${f4(gain)}, margin ${f4(input.margin)})`;
  const regressed = regressions
    .map((field) => `${field} ${f4(challenger.fields[field] ?? 0)} vs ${f4(champion.fields[field] ?? 0)}`)
    .join(', ');
  if (gain < input.margin) {
    return decided(
      'rejected',
      'not-better',
      `${figures}: not better by the margin${regressions.length > 0 ? `; ${rule.parts} worse than the tolerance ${f4(input.tolerance)}: ${regressed}` : ''}`,
      champion,
      fieldDeltas,
      regressions,
    );
  }
  if (regressions.length > 0) {
    return decided(
      'rejected',
      'field-regression',
      `${figures}, but ${rule.parts} dropped by more than the tolerance ${f4(input.tolerance)}: ${regressed}`,
      champion,
      fieldDeltas,
      regressions,
    );
  }
  return decided(
    'promoted',
    'better',
    `${figures}; no ${rule.part} dropped by more than ${f4(input.tolerance)}`,
    champion,
    fieldDeltas,
    regressions,
  );
};
