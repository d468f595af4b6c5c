/**
 * The retrain lifecycle end to end on the local runtime: the real ASL, the real handlers, dynalite,
 * s3rver, the local Textract, the real trainer run by the local SageMaker (its model registry too) and the
 * local EventBridge. One lineage, run after run as a schedule would: the first model is promoted; an
 * unchanged retrain is SKIPPED with no Textract and no SageMaker call; a better challenger (scored beside
 * the champion by the same job) is promoted and registered; a worse one is rejected and the champion stays;
 * two deliveries of one schedule tick train once; every outcome is put on the bus with its summary.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListModelPackagesCommand, ListTrainingJobsCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, uploadSyntheticReceipts, type LocalPipeline } from '../../local/pipeline';
import { notificationDetailSchema } from '../../src/contracts/notification';
import { strictRunRecordSchema } from '../../src/contracts/run-record';
import { LineageStore } from '../../src/status/lineage-store';
import type { Context } from 'aws-lambda';
import { createPromoteModelHandler } from '../../functions/promote-model/handler';
import { promoteModelResultSchema, type PromoteModelEvent } from '../../src/steps/promote-model/schema';

const root = path.resolve(import.meta.dirname, '../..');
const MODEL = 'receipts';
/** A model of the trainer's compact backend small enough for a few seconds a run. */
const TINY = { hidden_size: 32, num_layers: 1, num_heads: 2, batch_size: 4 };
const WEAK = { ...TINY, epochs: 1, max_steps: 2 };
const STRONG = { ...TINY, epochs: 12 };

let pipeline: LocalPipeline;
let dataDir: string;
let lineage: LineageStore;

const jobCount = async (): Promise<number> =>
  ((await pipeline.services.clients.sagemaker.send(new ListTrainingJobsCommand({}))).TrainingJobSummaries ?? []).length;
/** The notifications one run put on the bus, parsed with their contract. */
const notificationsOf = (runId: string) =>
  pipeline.services
    .events()
    .filter((event) => event.source === 'doctrain' && event.detail['runId'] === runId)
    .map((event) => ({ detailType: event['detail-type'], detail: notificationDetailSchema.parse(event.detail) }));
const run = async (runId: string, input: Record<string, unknown>) => {
  const outcome = await pipeline.execute({ runId, ...input }, { executionName: runId });
  const { record } = await pipeline.runRecord(runId);
  return { outcome, record };
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-retrain-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', waitMs: 100, retryTimeScale: 0.01 });
  lineage = new LineageStore(pipeline.services.clients.dynamo, pipeline.services.tableName);
  await uploadSyntheticReceipts(pipeline.services.clients.s3, pipeline.services.bucket, { count: 24, seed: 5 });
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('scheduled retrains of one lineage', () => {
  it('promotes the first model of the lineage and registers it', async () => {
    // Act
    const { outcome, record } = await run('week-1', { training: { hyperparameters: WEAK } });
    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record).toMatchObject({ status: 'COMPLETED', retrain: { decision: 'train', championRunId: null } });
    expect(record?.promotion).toMatchObject({ decision: 'promoted', rule: 'first', championBefore: null, championAfter: 'week-1' });
    expect((await lineage.get(MODEL))?.champion).toMatchObject({ runId: 'week-1', fingerprint: record?.trainingFingerprint });
    const packages = await pipeline.services.clients.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: `doctrain-local-${MODEL}` }),
    );
    expect(packages.ModelPackageSummaryList?.map((p) => [p.ModelPackageVersion, p.ModelApprovalStatus])).toEqual([[1, 'Approved']]);
    expect(notificationsOf('week-1').map((n) => n.detailType)).toEqual(['Run Completed', 'Model Promoted']);
    const [completed] = notificationsOf('week-1');
    expect(completed?.detail).toMatchObject({ status: 'COMPLETED', modelName: MODEL, champion: { before: null, after: 'week-1' } });
    expect(completed?.detail.metrics.entityF1).toBe(record?.metrics?.['val_f1']);
    expect(completed?.detail.cost?.totalUsd).toBe(record?.cost?.totalUsd);
  });

  it('skips an unchanged retrain: no Textract call, no SageMaker call, the matched run on its record', async () => {
    // Prepare
    const jobsBefore = await jobCount();
    const textractBefore = pipeline.services.textractStats().requests;
    const sagemakerBefore = pipeline.services.sageMakerRequests();
    // Act
    const { outcome, record } = await run('week-2', { trigger: 'schedule', training: { hyperparameters: WEAK } });
    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(record).toMatchObject({ status: 'SKIPPED', retrain: { decision: 'skip', matchedRunId: 'week-1', championRunId: 'week-1' } });
    expect(record?.retrain?.reason).toContain('nothing changed since the champion week-1');
    expect(pipeline.services.textractStats().requests).toBe(textractBefore);
    expect(pipeline.services.sageMakerRequests()).toEqual(sagemakerBefore);
    expect(await jobCount()).toBe(jobsBefore);
    const entered = outcome.events.filter((e) => e.type === 'StateEntered').map((e) => e.stateName);
    expect(entered).not.toContain('PlanBatches');
    expect(notificationsOf('week-2')).toEqual([
      expect.objectContaining({
        detailType: 'Run Skipped',
        detail: expect.objectContaining({ champion: { before: 'week-1', after: 'week-1' } }),
      }),
    ]);
  });

  it('promotes a better challenger, scored beside the champion on the same validation documents', async () => {
    // Act: more epochs is a change (the hyperparameters are in the fingerprint)
    const { outcome, record } = await run('week-3', { training: { hyperparameters: STRONG } });
    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(record?.metrics?.['champion_comparable']).toBe(1);
    expect(record?.promotion).toMatchObject({ decision: 'promoted', rule: 'better', championBefore: 'week-1', championAfter: 'week-3' });
    expect(record?.promotion?.champion?.entityF1).toBe(record?.metrics?.['champion_val_f1']);
    expect((record?.promotion?.challenger.entityF1 ?? 0) - (record?.promotion?.champion?.entityF1 ?? 1)).toBeGreaterThanOrEqual(0.01);
    expect((await lineage.get(MODEL))?.champion?.runId).toBe('week-3');
    const packages = await pipeline.services.clients.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: `doctrain-local-${MODEL}`, SortOrder: 'Ascending' }),
    );
    expect(packages.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([1, 2]);
    expect(notificationsOf('week-3').map((n) => n.detailType)).toEqual(['Run Completed', 'Model Promoted']);
  });

  it('rejects a worse challenger with the metrics that refused it; the champion stays', async () => {
    // Act: a weak model again (week-1's fingerprint: neither the champion's nor the last COMPLETED run's, so it trains)
    const { outcome, record } = await run('week-4', { training: { hyperparameters: WEAK } });
    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(record).toMatchObject({ status: 'COMPLETED', retrain: { decision: 'train', matchedRunId: null, championRunId: 'week-3' } });
    expect(record?.promotion).toMatchObject({
      decision: 'rejected',
      rule: 'not-better',
      championBefore: 'week-3',
      championAfter: 'week-3',
    });
    expect(record?.promotion?.reason).toMatch(/entity F1 [01]\.\d{4} vs the champion's [01]\.\d{4}/);
    expect((await lineage.get(MODEL))?.champion?.runId).toBe('week-3');
    expect(notificationsOf('week-4').map((n) => n.detailType)).toEqual(['Run Completed', 'Promotion Rejected']);
    const history = await lineage.history(MODEL);
    expect(history.map((entry) => [entry.action, entry.runId])).toEqual([
      ['promoted', 'week-1'],
      ['promoted', 'week-3'],
      ['rejected', 'week-4'],
    ]);
  });

  it('trains once for two deliveries of the same schedule tick (the run id comes from the schedule time)', async () => {
    // Prepare: a new document, so the tick has something to train on
    await uploadSyntheticReceipts(pipeline.services.clients.s3, pipeline.services.bucket, { count: 1, seed: 99, prefix: 'documents/new-' });
    const tick = { trigger: 'schedule', scheduledAt: '2026-12-13T06:00:00Z', training: { hyperparameters: WEAK } };
    const jobsBefore = await jobCount();
    // Act: EventBridge delivers the tick twice (two executions, random names)
    const [first, second] = await Promise.all([
      pipeline.execute(tick, { executionName: 'delivery-1' }),
      pipeline.execute(tick, { executionName: 'delivery-2' }),
    ]);
    // Assess
    const outcomes = [first, second];
    expect(outcomes.map((o) => o.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const duplicate = outcomes.filter((o) => o.events.some((e) => e.type === 'StateEntered' && e.stateName === 'DuplicateStart'));
    expect(duplicate).toHaveLength(1);
    expect(await jobCount()).toBe(jobsBefore + 1);
    const { record } = await pipeline.runRecord('receipts-20261213t0600z');
    expect(record).toMatchObject({ status: 'COMPLETED', trigger: 'schedule' });
  });

  /**
   * The promotion step on the local stage (the real handler, the lineage in dynalite, the local registry),
   * given the job metrics a trainer would report: what no seeded tiny trainer makes on purpose.
   */
  const promote = async (runId: string, metrics: Record<string, number>, lineageVersion: number) => {
    const champion = (await lineage.get(MODEL))?.champion;
    await pipeline.store.writeStatusChange({
      runId,
      executionName: runId,
      status: 'EVALUATING',
      at: new Date().toISOString(),
      attributes: { modelName: MODEL },
    });
    const event: PromoteModelEvent = {
      runId,
      executionName: runId,
      modelName: MODEL,
      bucket: pipeline.services.bucket,
      retrain: {
        fingerprint: `fp-${runId}`,
        summary: { decision: 'train', reason: 'changed', matchedRunId: null, championRunId: champion?.runId ?? null, warmStart: false },
        champion:
          champion === undefined || champion === null ? null : { runId: champion.runId, modelArtifactUri: champion.modelArtifactUri },
        lineageVersion,
        hyperparameters: {},
        listedObjects: 1,
      },
      metrics,
      modelArtifactUri: champion?.modelArtifactUri ?? 's3://doctrain-local/models/x.tar.gz',
      rule: { margin: 0.01, fieldTolerance: 0.02 },
    };
    const handler = createPromoteModelHandler(pipeline.handlerDeps);
    return promoteModelResultSchema.parse(await handler(event, {} as Context));
  };

  it('rejects a per-field regression beyond the tolerance even when entity F1 rises by far more than the margin', async () => {
    // Prepare: entity F1 +0.2 over the champion, the total 0.3 worse (scored on the same documents)
    const version = (await lineage.get(MODEL))?.version ?? 0;
    const metrics = {
      val_f1: 0.95,
      val_exact_total: 0.5,
      val_exact_date: 0.9,
      champion_comparable: 1,
      champion_val_f1: 0.75,
      champion_val_exact_total: 0.8,
      champion_val_exact_date: 0.9,
    };
    // Act
    const result = await promote('week-5-regression', metrics, version);
    // Assess
    expect(result).toMatchObject({ decision: 'rejected', rule: 'field-regression', championAfter: 'week-3' });
    expect(result.reason).toContain('total 0.5000 vs 0.8000');
    const { record } = await pipeline.runRecord('week-5-regression');
    expect(record).toMatchObject({ status: 'COMPLETED', promotion: { regressions: ['total'], fieldDeltas: { total: -0.3, date: 0 } } });
    expect((await lineage.get(MODEL))?.champion?.runId).toBe('week-3');
  });

  it('of two better challengers finishing at once exactly one becomes champion; the other is rejected as superseded', async () => {
    // Prepare: both decided against the same lineage version
    const version = (await lineage.get(MODEL))?.version ?? 0;
    const metrics = { val_f1: 0.99, val_exact_total: 0.99, champion_comparable: 1, champion_val_f1: 0.5, champion_val_exact_total: 0.5 };
    // Act
    const results = await Promise.all([promote('week-6-a', metrics, version), promote('week-6-b', metrics, version)]);
    // Assess
    expect(results.map((r) => r.decision).sort()).toEqual(['promoted', 'rejected']);
    const loser = results.find((r) => r.decision === 'rejected');
    expect(loser?.rule).toBe('superseded');
    const after = await lineage.get(MODEL);
    expect(after?.version).toBe(version + 1);
    expect(['week-6-a', 'week-6-b']).toContain(after?.champion?.runId);
    expect(after?.previous.at(-1)?.runId).toBe('week-3');
  });
});
