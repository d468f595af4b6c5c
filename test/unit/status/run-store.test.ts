/**
 * RunStore against a real DynamoDB API (dynalite, in memory) with the table serverless.yml defines:
 * conditional writes, the append-only event history and the byStatus index are exercised for real.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../local/dynamodb';
import { loadServerlessProject } from '../../../local/serverless-project';
import { createTableInput } from '../../../local/services';
import { RunConflictError, StatusRegressionError } from '../../../src/contracts/errors';
import { RUN_SK, eventSk, runPk } from '../../../src/contracts/run-record';
import { RunStore, type StatusChange } from '../../../src/status/run-store';
import { RUN_STATUSES, canTransition } from '../../../src/contracts/run-status';
import { localClientConfig } from '../../../local/clients';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TABLE = 'doctrain-test-runs';

let server: LocalDynamoDB;
let raw: DynamoDBClient;
let db: DynamoDBDocumentClient;
let store: RunStore;
let runCounter = 0;
/** A fresh run id per test: tests share one table. */
const newRunId = (): string => `run-${++runCounter}-${Date.now().toString(36)}`;
const at = (minute: number): string => new Date(Date.UTC(2026, 2, 14, 9, minute)).toISOString();

/** The raw stored items of one run, record and events, for byte-for-byte comparisons. */
const itemsOf = async (runId: string): Promise<Record<string, unknown>[]> =>
  (
    await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': runPk(runId) },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

/** The execution that owns every run these tests create, unless a test names another. */
const EXECUTION = 'exec-owner';
const record = async (
  change: Omit<StatusChange, 'at' | 'executionName'> & { at?: string; executionName?: string },
): Promise<'written' | 'unchanged'> => store.writeStatusChange({ at: at(0), executionName: EXECUTION, ...change });

beforeAll(async () => {
  server = await startLocalDynamoDB();
  raw = new DynamoDBClient(localClientConfig(server.endpoint));
  db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const { tableProperties } = loadServerlessProject(ROOT);
  await raw.send(new CreateTableCommand(createTableInput(TABLE, tableProperties)));
  store = new RunStore(db, TABLE);
});

afterAll(async () => {
  raw?.destroy();
  await server?.close();
});

describe('one status rule', () => {
  it('accepts in DynamoDB exactly the transitions canTransition allows, for every pair of statuses', async () => {
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        // Prepare: a run at `from` (written through its own lifecycle, so every step is legal)
        const runId = `rule-${from}-${to}`.toLowerCase();
        const lifecycle: (typeof RUN_STATUSES)[number][] = from === 'PENDING' ? ['PENDING'] : ['PENDING', from];
        for (const status of lifecycle) await record({ runId, status });

        // Act: accepted = the record was written (a refused write throws, or leaves a final record unchanged).
        let accepted = true;
        try {
          accepted = (await record({ runId, status: to, at: at(9) })) === 'written';
        } catch (error) {
          if (!(error instanceof StatusRegressionError)) throw error;
          accepted = false;
        }
        expect((await store.getRun(runId))?.updatedAt === at(9), `${from} -> ${to} written`).toBe(accepted);

        // Assess
        expect(accepted, `${from} -> ${to}`).toBe(canTransition(from, to));
      }
    }
  });
});

describe('RunStore.writeStatusChange', () => {
  it('creates the record on the first write and moves it forward through the lifecycle', async () => {
    // Prepare
    const runId = newRunId();
    // Act
    await record({ runId, status: 'PENDING', at: at(0), attributes: { trigger: 'schedule', modelName: 'receipts' } });
    await record({ runId, status: 'PREPARING', at: at(1), attributes: { documentCount: 12 } });
    await record({ runId, status: 'TRAINING', at: at(2), attributes: { trainingJobName: `doctrain-${runId}-a1` } });
    await record({ runId, status: 'COMPLETED', at: at(30), attributes: { metrics: { val_f1: 0.91 } } });
    // Assess
    const run = await store.getRun(runId);
    expect(run).toMatchObject({
      pk: runPk(runId),
      sk: RUN_SK,
      runId,
      executionName: EXECUTION,
      status: 'COMPLETED',
      statusRank: 4,
      createdAt: at(0),
      updatedAt: at(30),
      trigger: 'schedule',
      modelName: 'receipts',
      documentCount: 12,
      trainingJobName: `doctrain-${runId}-a1`,
      metrics: { val_f1: 0.91 },
    });
    expect((await store.listEvents(runId)).map((e) => e.status)).toEqual(['PENDING', 'PREPARING', 'TRAINING', 'COMPLETED']);
  });

  it('refuses to move the status backwards with a StatusRegressionError and leaves every item unchanged', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'PENDING', at: at(0) });
    await record({ runId, status: 'TRAINING', at: at(5), attributes: { trainingJobName: 'job-1' } });
    const before = await itemsOf(runId);
    // Act
    const attempt = record({ runId, status: 'PREPARING', at: at(9), attributes: { trainingJobName: 'overwritten' } });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(StatusRegressionError);
    await expect(attempt).rejects.toMatchObject({ name: 'StatusRegressionError' });
    await expect(attempt).rejects.toThrow(/is TRAINING; refusing to record PREPARING/);
    expect(await itemsOf(runId)).toEqual(before);
  });

  it.each([
    ['COMPLETED', 'FAILED'],
    ['FAILED', 'COMPLETED'],
    ['COMPLETED', 'SKIPPED'],
    ['SKIPPED', 'FAILED'],
  ] as const)('refuses %s -> %s (one terminal status never replaces another)', async (first, second) => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'TRAINING', at: at(0) });
    await record({ runId, status: first, at: at(1), attributes: { trainingJobStatus: first } });
    const before = await itemsOf(runId);
    // Act
    const attempt = record({ runId, status: second, at: at(2), attributes: { trainingJobStatus: second } });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(StatusRegressionError);
    expect(await itemsOf(runId)).toEqual(before);
    expect((await store.getRun(runId))?.status).toBe(first);
  });

  it('refuses to reopen a terminal run at an earlier status', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'FAILED', at: at(0) });
    // Act / Assess
    for (const status of ['PENDING', 'PREPARING', 'TRAINING'] as const) {
      await expect(record({ runId, status, at: at(1) })).rejects.toBeInstanceOf(StatusRegressionError);
    }
    expect((await store.getRun(runId))?.status).toBe('FAILED');
  });

  it('accepts the same status again (a retried state) and keeps one event for it', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'PENDING', at: at(0), attributes: { trainingJobName: 'job-1' } });
    // Act: Step Functions retries the state; the change is written again, later.
    await record({ runId, status: 'PENDING', at: at(1), attributes: { trainingJobName: 'job-2' } });
    // Assess: the record takes the latest attributes, keeps its creation time; history has one PENDING.
    const run = await store.getRun(runId);
    expect(run).toMatchObject({ status: 'PENDING', trainingJobName: 'job-2', createdAt: at(0), updatedAt: at(1) });
    const events = await store.listEvents(runId);
    expect(events).toEqual([{ status: 'PENDING', at: at(0) }]);
  });

  it('re-records a terminal status idempotently (a retried FinalizeRun)', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'COMPLETED', at: at(0), detail: { trainingJobStatus: 'Completed' } });
    // Act
    await record({ runId, status: 'COMPLETED', at: at(1), detail: { trainingJobStatus: 'Completed' } });
    // Assess
    expect((await store.getRun(runId))?.status).toBe('COMPLETED');
    expect(await store.listEvents(runId)).toEqual([{ status: 'COMPLETED', at: at(0), detail: { trainingJobStatus: 'Completed' } }]);
  });

  it('keeps a terminal record final: its owner writing the same terminal status again changes nothing', async () => {
    for (const status of ['COMPLETED', 'FAILED', 'STOPPED', 'BUDGET_EXCEEDED', 'SKIPPED'] as const) {
      // Prepare: FinalizeRun's one terminal write, with its metrics and model.
      const runId = newRunId();
      await record({ runId, status: 'TRAINING', at: at(0), attributes: { trainingJobName: 'doctrain-job-1' } });
      const first = {
        metrics: { f1: 0.79 },
        modelArtifactS3Uri: 's3://bucket/models/receipts/doctrain-job-1/output/model.tar.gz',
        costUsd: 1.5,
      };
      expect(await record({ runId, status, at: at(1), attributes: first, detail: { n: 1 } })).toBe('written');
      const before = await itemsOf(runId);

      // Act: the owner writes the same terminal status over it with other metrics and another model URI.
      const second = { metrics: { f1: 0.99 }, modelArtifactS3Uri: 's3://bucket/models/receipts/forged/model.tar.gz', costUsd: 0 };
      const result = await record({ runId, status, at: at(2), attributes: second, detail: { n: 2 } });

      // Assess: refused by the conditional write (reported, not thrown: a retried state must not fail), every item byte-for-byte unchanged.
      expect(result, status).toBe('unchanged');
      expect(await itemsOf(runId), status).toEqual(before);
      expect(await store.getRun(runId), status).toMatchObject({ status, ...first, updatedAt: at(1) });
    }
  });

  it('still moves a run through the capacity fallback (TRAINING progress repeats) to its one terminal write', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'PREPARING', at: at(0) });
    const attemptA = { attempt: 1, jobName: 'a', instanceType: 'ml.g5.xlarge', spot: true, status: 'Failed' } as const;
    const attemptB = { attempt: 2, jobName: 'b', instanceType: 'ml.g5.2xlarge', spot: true, status: 'InProgress' } as const;
    // Act: two attempts recorded while TRAINING (the same status written again), then the terminal write.
    expect(await record({ runId, status: 'TRAINING', at: at(1), attributes: { attempts: [attemptA] } })).toBe('written');
    expect(await record({ runId, status: 'TRAINING', at: at(2), attributes: { attempts: [attemptA, attemptB] } })).toBe('written');
    expect(await record({ runId, status: 'BUDGET_EXCEEDED', at: at(3), attributes: { billableSeconds: 9 } })).toBe('written');
    // Assess: a later STOPPED (the execution aborted afterwards) cannot replace the terminal status either.
    await expect(record({ runId, status: 'STOPPED', at: at(4) })).rejects.toBeInstanceOf(StatusRegressionError);
    expect(await store.getRun(runId)).toMatchObject({
      status: 'BUDGET_EXCEEDED',
      billableSeconds: 9,
      attempts: [{ jobName: 'a' }, { jobName: 'b' }],
      updatedAt: at(3),
    });
  });

  it('keeps the event history append-only: a retry never rewrites an earlier event', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'PENDING', at: at(0) });
    await record({ runId, status: 'FAILED', at: at(3), detail: { error: 'EmptyDatasetError', message: 'first' } });
    // Act: the same failure recorded again with a different detail and time.
    await record({ runId, status: 'FAILED', at: at(4), detail: { error: 'EmptyDatasetError', message: 'second' } });
    // Assess
    const events = await store.listEvents(runId);
    expect(events).toEqual([
      { status: 'PENDING', at: at(0) },
      { status: 'FAILED', at: at(3), detail: { error: 'EmptyDatasetError', message: 'first' } },
    ]);
    const items = await itemsOf(runId);
    expect(items.filter((item) => String(item['sk']).startsWith('EVENT#'))).toHaveLength(2);
  });

  it('records one progress event per progress key, deduplicating repeated polls', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'TRAINING', at: at(0) });
    // Act: the poll loop reports Starting twice, then Training twice, then Uploading.
    const polls = [
      ['001-Starting', 1],
      ['001-Starting', 2],
      ['002-Training', 3],
      ['002-Training', 4],
      ['003-Uploading', 5],
    ] as const;
    for (const [progressKey, minute] of polls) {
      await record({ runId, status: 'TRAINING', at: at(minute), progressKey, detail: { secondaryStatus: progressKey.slice(4) } });
    }
    // Assess
    const events = await store.listEvents(runId);
    expect(events.map((e) => [e.status, e.progressKey ?? null, e.at])).toEqual([
      ['TRAINING', null, at(0)],
      ['TRAINING', '001-Starting', at(1)],
      ['TRAINING', '002-Training', at(3)],
      ['TRAINING', '003-Uploading', at(5)],
    ]);
    expect(events[2]?.detail).toEqual({ secondaryStatus: 'Training' });
    expect((await store.getRun(runId))?.updatedAt).toBe(at(5));
  });

  it('stores events under keys derived from the change (so a retry hits the same key)', async () => {
    // Prepare
    const runId = newRunId();
    // Act
    await record({ runId, status: 'TRAINING', at: at(0), progressKey: '002-Training' });
    // Assess
    const sks = (await itemsOf(runId)).map((item) => item['sk']);
    expect(sks).toContain(eventSk('TRAINING', '002-Training'));
    expect(sks).toContain(RUN_SK);
  });

  it('never lets attributes overwrite the key, status or timestamps, and skips undefined values', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'PENDING', at: at(0) });
    // Act
    // What an untyped caller could send (TypeScript callers cannot name these keys: RunAttributes omits them).
    const intruding: Record<string, unknown> = {
      runId: 'someone-else',
      executionName: 'someone-elses-execution',
      status: 'COMPLETED',
      statusRank: 4,
      createdAt: at(59),
      updatedAt: at(59),
      pk: 'RUN#x',
      sk: 'x',
      documentCount: 3,
      failure: undefined,
    };
    await record({ runId, status: 'PREPARING', at: at(1), attributes: intruding });
    // Assess
    const run = await store.getRun(runId);
    expect(run).toMatchObject({
      runId,
      executionName: EXECUTION,
      status: 'PREPARING',
      statusRank: 1,
      createdAt: at(0),
      updatedAt: at(1),
      documentCount: 3,
    });
    expect(run).not.toHaveProperty('failure');
  });

  it('ends at the terminal status whatever order racing writes land in', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'PENDING', at: at(0) });
    // Act
    const results = await Promise.allSettled([
      record({ runId, status: 'PREPARING', at: at(1) }),
      record({ runId, status: 'FAILED', at: at(2) }),
      record({ runId, status: 'TRAINING', at: at(3) }),
    ]);
    // Assess: FAILED is always allowed from a non-terminal status; everything refused is a regression.
    expect(results[1]?.status).toBe('fulfilled');
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(StatusRegressionError);
    }
    expect((await store.getRun(runId))?.status).toBe('FAILED');
  });

  it('refuses a write from another execution to an existing run with a RunConflictError and leaves every item unchanged', async () => {
    // Prepare: the run belongs to EXECUTION, mid-lifecycle.
    const runId = newRunId();
    await record({ runId, status: 'PENDING', at: at(0), attributes: { trigger: 'schedule' } });
    await record({ runId, status: 'PREPARING', at: at(1), attributes: { documentCount: 4 } });
    const before = await itemsOf(runId);
    // Act: another execution started with the same runId writes each status, forward ones included.
    for (const status of ['PENDING', 'PREPARING', 'TRAINING', 'COMPLETED', 'FAILED'] as const) {
      const attempt = record({
        runId,
        executionName: 'exec-intruder',
        status,
        at: at(5),
        attributes: { trigger: 'manual', documentCount: 99 },
        detail: { from: 'intruder' },
      });
      // Assess
      await expect(attempt, status).rejects.toBeInstanceOf(RunConflictError);
      await expect(attempt, status).rejects.toMatchObject({ name: 'RunConflictError' });
      await expect(attempt, status).rejects.toThrow(`Run ${runId} already exists (status PREPARING) and belongs to execution ${EXECUTION}`);
    }
    // Nothing written: the record keeps its owner and attributes, no event was appended.
    expect(await itemsOf(runId)).toEqual(before);
    expect(await store.getRun(runId)).toMatchObject({ executionName: EXECUTION, status: 'PREPARING', documentCount: 4 });
    expect((await store.listEvents(runId)).map((e) => e.status)).toEqual(['PENDING', 'PREPARING']);
  });

  it('refuses another execution on a terminal run: a FAILED record keeps its failure', async () => {
    // Prepare
    const runId = newRunId();
    const failure = { error: 'EmptyDatasetError', message: 'No usable documents' };
    await record({ runId, status: 'PENDING', at: at(0) });
    await record({ runId, status: 'FAILED', at: at(2), attributes: { failure }, detail: failure });
    const before = await itemsOf(runId);
    // Act: the other execution fails too and tries to record its own failure on this record.
    const attempt = record({
      runId,
      executionName: 'exec-intruder',
      status: 'FAILED',
      at: at(3),
      attributes: { failure: { error: 'RunConflictError', message: 'not mine' } },
      detail: { error: 'RunConflictError' },
    });
    // Assess: a conflict, not a regression, and the original failure stands.
    await expect(attempt).rejects.toBeInstanceOf(RunConflictError);
    await expect(attempt).rejects.not.toBeInstanceOf(StatusRegressionError);
    await expect(attempt).rejects.toThrow(/status FAILED/);
    expect(await itemsOf(runId)).toEqual(before);
    expect(await store.getRun(runId)).toMatchObject({ executionName: EXECUTION, status: 'FAILED', failure, updatedAt: at(2) });
    expect(await store.listEvents(runId)).toEqual([
      { status: 'PENDING', at: at(0) },
      { status: 'FAILED', at: at(2), detail: failure },
    ]);
  });

  it('still refuses the owning execution moving backwards with a StatusRegressionError (not a conflict)', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'TRAINING', at: at(0) });
    const before = await itemsOf(runId);
    // Act
    const attempt = record({ runId, executionName: EXECUTION, status: 'PENDING', at: at(1) });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(StatusRegressionError);
    await expect(attempt).rejects.not.toBeInstanceOf(RunConflictError);
    expect(await itemsOf(runId)).toEqual(before);
  });

  it('lets different executions own different runs side by side', async () => {
    // Prepare
    const first = newRunId();
    const second = newRunId();
    // Act
    await record({ runId: first, executionName: 'exec-a', status: 'PENDING', at: at(0) });
    await record({ runId: second, executionName: 'exec-b', status: 'PENDING', at: at(0) });
    await record({ runId: second, executionName: 'exec-b', status: 'PREPARING', at: at(1) });
    // Assess
    expect(await store.getRun(first)).toMatchObject({ executionName: 'exec-a', status: 'PENDING' });
    expect(await store.getRun(second)).toMatchObject({ executionName: 'exec-b', status: 'PREPARING' });
  });

  it('hands a run to the execution named in continuedBy (continue-as-new): it owns the record from its first write', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'TRAINING' });
    await record({ runId, status: 'TRAINING', attributes: { continuedBy: 'exec-owner-c1' } });
    // Act
    await record({ runId, executionName: 'exec-owner-c1', status: 'TRAINING', at: at(2) });
    // Assess: the new execution owns it; the old one (and any other) is refused.
    expect(await store.getRun(runId)).toMatchObject({ executionName: 'exec-owner-c1', continuedBy: 'exec-owner-c1' });
    await expect(record({ runId, status: 'TRAINING', at: at(3) })).rejects.toBeInstanceOf(RunConflictError);
    await expect(record({ runId, executionName: 'exec-other', status: 'TRAINING', at: at(3) })).rejects.toBeInstanceOf(RunConflictError);
  });

  it('takes a stop request on a running run once, and refuses one on a terminal or unknown run', async () => {
    // Prepare
    const runId = newRunId();
    await record({ runId, status: 'TRAINING' });
    // Act
    const first = await store.requestStop(runId, { at: at(1), by: 'ops', reason: 'wrong data' });
    const second = await store.requestStop(runId, { at: at(2), by: 'someone-else' });
    // Assess: the first request stays.
    expect([first, second]).toEqual(['requested', 'already-requested']);
    expect((await store.getRun(runId))?.['stopRequested']).toEqual({ at: at(1), by: 'ops', reason: 'wrong data' });
    await record({ runId, status: 'STOPPED', at: at(3) });
    expect(await store.requestStop(runId, { at: at(4), by: 'ops' })).toBe('terminal');
    expect(await store.requestStop(newRunId(), { at: at(4), by: 'ops' })).toBe('unknown');
  });

  it('returns undefined for an unknown run', async () => {
    expect(await store.getRun('no-such-run')).toBeUndefined();
    expect(await store.listEvents('no-such-run')).toEqual([]);
  });
});

describe('RunStore.listRunsByStatus (byStatus index)', () => {
  it('lists the runs of one status newest first, bounded by the limit', async () => {
    // Prepare: three FAILED runs updated at different times, written out of order, and a COMPLETED one.
    const prefix = newRunId();
    const runs = [
      { runId: `${prefix}-b`, minute: 20 },
      { runId: `${prefix}-a`, minute: 10 },
      { runId: `${prefix}-c`, minute: 30 },
    ];
    for (const { runId, minute } of runs) {
      await store.writeStatusChange({
        executionName: EXECUTION,
        runId,
        status: 'SKIPPED',
        at: new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString(),
      });
    }
    await store.writeStatusChange({
      executionName: EXECUTION,
      runId: `${prefix}-d`,
      status: 'COMPLETED',
      at: new Date(Date.UTC(2030, 0, 1)).toISOString(),
    });
    // Act
    const all = await store.listRunsByStatus('SKIPPED');
    const newest = await store.listRunsByStatus('SKIPPED', 2);
    // Assess
    const mine = all.filter((run) => run.runId.startsWith(prefix));
    expect(mine.map((run) => run.runId)).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
    expect(newest.map((run) => run.runId)).toEqual([`${prefix}-c`, `${prefix}-b`]);
    expect(all.every((run) => run.status === 'SKIPPED')).toBe(true);
  });

  it('moves a run between index partitions as its status changes', async () => {
    // Prepare
    const runId = newRunId();
    await store.writeStatusChange({
      executionName: EXECUTION,
      runId,
      status: 'PREPARING',
      at: new Date(Date.UTC(2031, 0, 1)).toISOString(),
    });
    expect((await store.listRunsByStatus('PREPARING')).map((run) => run.runId)).toContain(runId);
    // Act
    await store.writeStatusChange({
      executionName: EXECUTION,
      runId,
      status: 'TRAINING',
      at: new Date(Date.UTC(2031, 0, 2)).toISOString(),
    });
    // Assess
    expect((await store.listRunsByStatus('PREPARING')).map((run) => run.runId)).not.toContain(runId);
    expect((await store.listRunsByStatus('TRAINING'))[0]?.runId).toBe(runId);
  });
});
