/** NotifyRun's events (src/steps/notify-run/step.ts): one per ending, one per promotion decision, with their summary. */
import { describe, expect, it } from 'vitest';
import { notificationDetailSchema } from '../../../../src/contracts/notification';
import { runRecordSchema, type RunRecord } from '../../../../src/contracts/run-record';
import { notificationsFor } from '../../../../src/steps/notify-run/step';

const AT = '2026-12-06T12:00:00.000Z';
const record = (attributes: Record<string, unknown>): RunRecord =>
  runRecordSchema.parse({
    pk: 'RUN#r2',
    sk: 'RUN',
    runId: 'r2',
    status: 'COMPLETED',
    statusRank: 4,
    createdAt: AT,
    updatedAt: AT,
    executionName: 'r2',
    modelName: 'receipts',
    trigger: 'schedule',
    ...attributes,
  });

describe('notificationsFor', () => {
  it('a promoted run: Run Completed and Model Promoted, with metrics per field, champions, cost and where to look', () => {
    // Prepare
    const run = record({
      metrics: { val_f1: 0.9, val_exact_total: 0.95, val_exact_date: 0.8, champion_val_f1: 0.85 },
      modelArtifactUri: 's3://b/models/receipts/doctrain-r2-a1/output/model.tar.gz',
      datasetUri: 'datasets/abc/',
      promotion: {
        decision: 'promoted',
        rule: 'better',
        reason: 'better',
        margin: 0.01,
        tolerance: 0.02,
        challenger: { entityF1: 0.9, fields: { total: 0.95 } },
        champion: { runId: 'r1', entityF1: 0.85, fields: { total: 0.95 } },
        fieldDeltas: { total: 0 },
        regressions: [],
        championBefore: 'r1',
        championAfter: 'r2',
        modelPackageArn: 'arn:pkg/2',
        decidedAt: AT,
      },
    });
    // Act
    const events = notificationsFor(run, 'r2', 'b', AT);
    // Assess
    expect(events.map((e) => e.detailType)).toEqual(['Run Completed', 'Model Promoted']);
    const detail = notificationDetailSchema.parse(events[0]?.detail);
    expect(detail).toMatchObject({
      runId: 'r2',
      modelName: 'receipts',
      status: 'COMPLETED',
      trigger: 'schedule',
      metrics: { entityF1: 0.9, fields: { total: 0.95, date: 0.8 } },
      champion: { before: 'r1', after: 'r2' },
      promotion: { decision: 'promoted', rule: 'better', modelPackageArn: 'arn:pkg/2' },
      report: {
        command: 'doctrain status r2',
        modelArtifactUri: 's3://b/models/receipts/doctrain-r2-a1/output/model.tar.gz',
        datasetUri: 's3://b/datasets/abc/',
        promotionUri: 's3://b/lineages/receipts/r2/promotion.json',
      },
    });
  });

  it.each([
    [
      'SKIPPED',
      'Run Skipped',
      { retrain: { decision: 'skip', reason: 'nothing changed', matchedRunId: 'r1', championRunId: 'r1', warmStart: false } },
    ],
    ['FAILED', 'Run Failed', { failure: { error: 'TrainingJobFailed', message: 'out of memory' } }],
    ['STOPPED', 'Run Stopped', {}],
    ['BUDGET_EXCEEDED', 'Budget Exceeded', { failure: { error: 'BudgetExceeded', message: 'over $1' } }],
  ])('a %s run: %s only, the champion unchanged, the reason given', (status, detailType, attributes) => {
    const events = notificationsFor(record({ status, ...attributes }), 'r1', 'b', AT);
    expect(events.map((e) => e.detailType)).toEqual([detailType]);
    expect(events[0]?.detail.champion).toEqual({ before: 'r1', after: 'r1' });
    if (status !== 'STOPPED') expect(events[0]?.detail.reason).toBeDefined();
  });

  it('nothing for a run that has not ended', () => {
    expect(notificationsFor(record({ status: 'TRAINING', statusRank: 2 }), null, 'b', AT)).toEqual([]);
  });
});
