/**
 * The training poll loop on the local runtime: the real ASL and handlers, the local Step Functions service
 * (continue-as-new through states:startExecution, StopExecution, EventBridge delivery) and the local
 * SageMaker running a fake trainer on a job clock 20,000x the real one (1 real second = 5.6 job hours).
 *
 * Each run enters the pipeline the way a continued execution does (`{continuation: {config, dataset,
 * polling}}` -> straight into the poll loop) for a job the test created: the loop under test is the same,
 * and no OCR or real training is needed to rehearse days of training.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTrainingJobCommand, type DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/lib-dynamodb';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_EVENT_LIMIT } from '../../src/contracts/poll-pace';
import { startLocalPipeline, type LocalPipeline } from '../../local/pipeline';
import type { ExecutionOutcome } from '../../local/stepfunctions';
import { createRehearsalRun, fakeTrainer, pollLoopInput, type RehearsalRun } from '../../local/rehearsal';

const root = path.resolve(import.meta.dirname, '../..');
const TIME_SCALE = 20_000;
const DAY = 86_400;
/** Small enough that a few seconds of polling needs several executions (20 polls each). */
const LOOP_HISTORY_BUDGET = 240;

let pipeline: LocalPipeline;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-polling-'));
  pipeline = await startLocalPipeline({
    root,
    dataDir,
    stage: 'local',
    waitMs: 25,
    retryTimeScale: 0.01,
    sagemaker: {
      runner: 'process',
      trainer: fakeTrainer(root),
      timeScale: TIME_SCALE,
      checkpointSyncSeconds: 0.2,
    },
    // The stage's settings, tuned for the rehearsal.
    settings: {
      DOCTRAIN_LOOP_HISTORY_BUDGET: String(LOOP_HISTORY_BUDGET),
      // One fake epoch (0.5-1 real s) is 10,000-20,000 job seconds.
      DOCTRAIN_CHECKPOINT_INTERVAL_SECONDS: '20000',
    },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const createTrainingRun = (runId: string, options: Parameters<typeof createRehearsalRun>[2]): Promise<RehearsalRun> =>
  createRehearsalRun(pipeline, runId, options);
const loopInput = (run: RehearsalRun): unknown => pollLoopInput(run);

const describeJob = (name: string): Promise<DescribeTrainingJobResponse> =>
  pipeline.services.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));

const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('training poll loop on the local runtime', () => {
  it('carries a multi-day job across executions (continue-as-new), each under the history limit', async () => {
    // Prepare: 12 epochs of 0.8 real s = 2.2 job days.
    const run = await createTrainingRun('poll-multiday', { epochs: 12, epochSeconds: 0.8 });

    // Act
    const chain = await pipeline.executeChain(loopInput(run), { executionName: run.runId });

    // Assess: several executions, each far under the limit, each but the last handing over.
    const last = chain.at(-1);
    expect(last, `${last?.error}: ${last?.cause}`).toMatchObject({ status: 'SUCCEEDED', output: { status: 'COMPLETED' } });
    expect(chain.length).toBeGreaterThanOrEqual(2);
    for (const outcome of chain) {
      expect(outcome.historyEvents, outcome.executionName).toBeLessThan(HISTORY_EVENT_LIMIT);
      // The loop's budget plus the entry and hand-over states.
      expect(outcome.historyEvents, outcome.executionName).toBeLessThanOrEqual(LOOP_HISTORY_BUDGET + 40);
    }
    for (const outcome of chain.slice(0, -1)) {
      expect(outcome.events.filter((e) => e.type === 'StateEntered').at(-1)?.stateName).toBe('ContinuedAsNew');
    }
    const names = chain.map((outcome) => outcome.executionName);
    expect(names).toEqual([run.runId, ...names.slice(1).map((_, i) => `${run.runId}-c${i + 1}`)]);

    // Assess: one run record for the whole chain, linked executions, the job's days on it.
    const { record, events } = await pipeline.runRecord(run.runId);
    expect(record?.status).toBe('COMPLETED');
    expect(record?.['executions']).toEqual(names);
    expect(record?.['executionName']).toBe(names.at(-1));
    const job = await describeJob(run.jobName);
    expect(job.TrainingJobStatus).toBe('Completed');
    expect(job.TrainingTimeInSeconds).toBeGreaterThan(2 * DAY);
    expect(record?.['trainingSeconds']).toBe(job.TrainingTimeInSeconds);
    expect(record?.['billableSeconds']).toBe(job.BillableTimeInSeconds);
    const progress = record?.['progress'] as { elapsedSeconds: number; metrics: Record<string, number>; polls: number };
    expect(progress.elapsedSeconds).toBeGreaterThan(DAY);
    expect(Object.keys(progress.metrics)).toEqual(expect.arrayContaining(['val_f1', 'train_loss']));
    // One progress event per secondary status, however many polls.
    const progressKeys = events.filter((e) => e.status === 'TRAINING' && e.progressKey !== undefined).map((e) => e.progressKey);
    expect(progressKeys).toEqual(expect.arrayContaining([expect.stringMatching(/-Training$/)]));
    expect(new Set(progressKeys).size).toBe(progressKeys.length);
  }, 120_000);

  it('keeps a healthy job running when recording progress fails, and records again once it can', async () => {
    // Prepare: the first progress writes fail with DynamoDB throttling, after the SDK's own retries.
    const run = await createTrainingRun('poll-flaky-store', { epochs: 16, epochSeconds: 0.5 });
    // Two polls' worth: the SDK makes 4 attempts at a DynamoDB write (its default maxAttempts).
    const FAILED_ATTEMPTS = 8;
    let failed = 0;
    const throttleProgressWrites: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const body = String(request.body); // JSON text (a string or its bytes)
      const progressWrite =
        request.headers?.['x-amz-target'] === 'DynamoDB_20120810.UpdateItem' && body.includes(run.runId) && body.includes('"progress"');
      if (progressWrite && failed < FAILED_ATTEMPTS) {
        failed += 1;
        throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    };
    // Below the SDK's retry middleware (priority high in the same step), so its retries run as on AWS.
    const stack = pipeline.services.clients.dynamo.middlewareStack;
    stack.add(throttleProgressWrites, { step: 'finalizeRequest', priority: 'low', name: 'testThrottleProgressWrites' });

    try {
      // Act (slow, failing polls may take the run past one execution's budget: follow the chain)
      const chain = await pipeline.executeChain(loopInput(run), { executionName: run.runId });
      const outcome = chain.at(-1) as ExecutionOutcome;
      const events = chain.flatMap((execution) => execution.events);

      // Assess: the job ran to its end (never stopped), the run is COMPLETED, progress was recorded later.
      expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED', output: { status: 'COMPLETED' } });
      expect(failed).toBe(FAILED_ATTEMPTS);
      expect(events.some((e) => e.stateName === 'StopTrainingAfterError' || e.stateName === 'StopRequestedJob')).toBe(false);
      const job = await describeJob(run.jobName);
      expect(job.TrainingJobStatus).toBe('Completed');
      expect(job.SecondaryStatusTransitions?.map((t) => t.Status)).not.toContain('Stopping');
      const { record } = await pipeline.runRecord(run.runId);
      expect(record?.status).toBe('COMPLETED');
      // Polls whose write failed went on polling; a later poll recorded progress again.
      const recorded = events
        .filter((e) => e.type === 'StateExited' && e.stateName === 'PollTraining')
        .map((e) => (e.output as { polling: { progressRecorded: boolean } }).polling.progressRecorded);
      expect(recorded).toContain(false);
      expect(recorded.lastIndexOf(true)).toBeGreaterThan(recorded.indexOf(false));
      const lastPolls = (chain.at(-1)?.events ?? []).filter((e) => e.type === 'StateExited' && e.stateName === 'PollTraining').length;
      expect((record?.['progress'] as { polls: number } | undefined)?.polls).toBe(lastPolls);
    } finally {
      stack.remove('testThrottleProgressWrites');
    }
  }, 120_000);

  it('stopping the execution stops the training job and records the run STOPPED', async () => {
    // Prepare: a job of 60 real seconds.
    const run = await createTrainingRun('poll-aborted', { epochs: 100, epochSeconds: 0.6 });
    const execution = pipeline.start(loopInput(run), { executionName: run.runId });
    await until(
      () => pipeline.runRecord(run.runId),
      ({ record }) => record?.['secondaryStatus'] === 'Training',
      'the loop to see Training',
    );

    // Act: StopExecution
    execution.abort();
    const outcome = await execution.outcome;
    await pipeline.stepFunctions.settle();

    // Assess
    expect(outcome.status).toBe('ABORTED');
    const job = await until(
      () => describeJob(run.jobName),
      (d) => d.TrainingJobStatus === 'Stopped',
      'the job to stop',
      60_000,
    );
    expect(job.SecondaryStatus).toBe('Stopped');
    const { record, events } = await pipeline.runRecord(run.runId);
    expect(record?.status).toBe('STOPPED');
    expect(record?.['stoppedBecause']).toBe(`execution ${run.runId} ABORTED`);
    expect(events.at(-1)?.status).toBe('STOPPED');
    // ...and StopEndedRun notified it (the aborted execution ran no Notify state).
    const notified = pipeline.services.events().filter((event) => event.detail['runId'] === run.runId);
    expect(notified).toMatchObject([{ source: 'doctrain', 'detail-type': 'Run Stopped', detail: { status: 'STOPPED' } }]);
  }, 120_000);

  it('an execution that fails past every Catch (States.Runtime) has its running job stopped and the run recorded FAILED with the cause', async () => {
    // Prepare: a job of 60 real seconds, running.
    const run = await createTrainingRun('poll-runtime-error', { epochs: 100, epochSeconds: 0.6 });
    expect((await describeJob(run.jobName)).TrainingJobStatus).toBe('InProgress');
    // A copy of the pipeline whose poll reads a path its input does not have: States.Runtime, which no
    // Catch (States.ALL included) takes. Registered under the pipeline's own name and logical id, so the
    // stop rule's Ref still names it; the production definition is registered again afterwards.
    const { name, logicalId, definition } = pipeline.stateMachine;
    const broken = structuredClone(definition) as { States: Record<string, { Parameters?: Record<string, unknown> }> };
    const parameters = broken.States['PollTraining']?.Parameters;
    if (parameters?.['textractPagesBilled.$'] === undefined) throw new Error('PollTraining no longer reads $.dataset.textractPagesBilled');
    parameters['textractPagesBilled.$'] = '$.dataset.noSuchCount';
    pipeline.stepFunctions.register(name, broken, { logicalId });
    try {
      // Act
      const execution = pipeline.start(loopInput(run), { executionName: run.runId });
      const outcome = await execution.outcome;
      await pipeline.stepFunctions.settle();

      // Assess: the execution failed without any Catch running (nothing in it stopped the job)...
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(outcome.cause).toContain('noSuchCount');
      const entered = outcome.events.filter((e) => e.type === 'StateEntered').map((e) => e.stateName);
      expect(entered).not.toContain('StopTrainingAfterError');
      expect(entered).not.toContain('RecordFailure');
      // ...and StopEndedRun, on the FAILED event, stopped the job and recorded the run FAILED with the cause.
      const job = await until(
        () => describeJob(run.jobName),
        (d) => d.TrainingJobStatus === 'Stopped',
        'the job to stop',
        60_000,
      );
      expect(job.SecondaryStatus).toBe('Stopped');
      const { record, events } = await pipeline.runRecord(run.runId);
      expect(record?.status).toBe('FAILED');
      expect(record?.failure).toEqual({ error: 'States.Runtime', message: outcome.cause });
      expect(record?.['stoppedBecause']).toBe(`execution ${run.runId} FAILED`);
      expect(events.at(-1)).toMatchObject({ status: 'FAILED', detail: { executionStatus: 'FAILED', trainingJobName: run.jobName } });
      // ...and notified it: the ended execution ran no Notify state.
      const notified = pipeline.services.events().filter((event) => event.detail['runId'] === run.runId);
      expect(notified).toMatchObject([{ source: 'doctrain', 'detail-type': 'Run Failed', detail: { status: 'FAILED' } }]);
    } finally {
      pipeline.stepFunctions.register(name, definition, { logicalId });
    }
  }, 120_000);

  it('a stop request on the run (doctrain stop) stops the training job and the run ends STOPPED', async () => {
    // Prepare
    const run = await createTrainingRun('poll-stop-request', { epochs: 100, epochSeconds: 0.6 });
    const execution = pipeline.start(loopInput(run), { executionName: run.runId });
    await until(
      () => pipeline.runRecord(run.runId),
      ({ record }) => record?.['secondaryStatus'] === 'Training',
      'the loop to see Training',
    );

    // Act
    expect(await pipeline.store.requestStop(run.runId, { at: new Date().toISOString(), by: 'test' })).toBe('requested');
    const outcome = await execution.outcome;

    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED', output: { status: 'STOPPED' } });
    expect(outcome.events.some((e) => e.type === 'StateEntered' && e.stateName === 'StopRequestedJob')).toBe(true);
    expect((await describeJob(run.jobName)).TrainingJobStatus).toBe('Stopped');
    const { record } = await pipeline.runRecord(run.runId);
    expect(record?.status).toBe('STOPPED');
    expect(await pipeline.store.requestStop(run.runId, { at: new Date().toISOString(), by: 'test' })).toBe('terminal');
    const notified = pipeline.services.events().filter((event) => event.detail['runId'] === run.runId);
    expect(notified).toMatchObject([{ source: 'doctrain', 'detail-type': 'Run Stopped', detail: { status: 'STOPPED' } }]);
  }, 120_000);

  it('a spot interruption mid-training resumes from the checkpoint, losing at most one checkpoint interval, billing only instance time', async () => {
    // Prepare: epochs of 0.5 real s = 10,000 job s (the checkpoint interval); reclaimed 4.6 intervals into
    // Training (room for the trainer's start on a loaded machine); 2 job hours without capacity before the restart.
    const interval = 0.5 * TIME_SCALE;
    pipeline.services.setSageMakerFaults({ spotInterruptAfterSeconds: 4.6 * interval, spotRestartDelaySeconds: 7200 });
    const run = await createTrainingRun('poll-spot', { epochs: 8, epochSeconds: 0.5, spot: true });
    pipeline.services.setSageMakerFaults({});

    // Act
    const outcome = await pipeline.execute(loopInput(run), { executionName: run.runId });

    // Assess: completed after an interruption and a restart
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED', output: { status: 'COMPLETED' } });
    const job = await describeJob(run.jobName);
    const statuses = job.SecondaryStatusTransitions?.map((t) => t.Status) ?? [];
    expect(statuses).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Interrupted',
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed',
    ]);

    // Assess: resumed from the newest checkpoint; every completed epoch ran once (only the partial one was lost).
    const log = await readFile(path.join(dataDir, 'sagemaker', run.jobName, 'logs.txt'), 'utf8');
    const saved = Number(/SIGTERM: checkpoint saved at epoch (\d+)/.exec(log)?.[1]);
    const resumed = Number(/\[resume\] from epoch (\d+)/.exec(log)?.[1]);
    expect(saved).toBeGreaterThanOrEqual(1);
    expect(resumed).toBe(saved);
    const epochsRun = [...log.matchAll(/\[metric\] epoch=(\d+)/g)].map((m) => Number(m[1]));
    expect(epochsRun).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // Assess: billable = training time less the 2 h (or, a loaded machine's timers running late, a little
    // more) without an instance; the 8 epochs trained are billed.
    const training = job.TrainingTimeInSeconds ?? 0;
    const billable = job.BillableTimeInSeconds ?? 0;
    expect(training - billable).toBeGreaterThanOrEqual(7200 - 60);
    expect(billable).toBeGreaterThanOrEqual(8 * interval);
    const { record } = await pipeline.runRecord(run.runId);
    expect(record).toMatchObject({ status: 'COMPLETED', billableSeconds: billable, trainingSeconds: training });
    expect(record?.['spotSavingsPercent']).toBeGreaterThan(0);
  }, 120_000);

  it('the checkpoint watchdog warns on the run when training goes on without new checkpoints', async () => {
    // Prepare: a trainer whose checkpoints never reach the checkpoint URI; 3 x 20,000 job s = 3 real s.
    const run = await createTrainingRun('poll-no-checkpoints', { epochs: 8, epochSeconds: 0.6, checkpointing: false });

    // Act
    const outcome = await pipeline.execute(loopInput(run), { executionName: run.runId });

    // Assess: a warning on the record and its event; the job itself is left to run (a warning, not a stop).
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED', output: { status: 'COMPLETED' } });
    const { events } = await pipeline.runRecord(run.runId);
    const warning = events.find((e) => e.progressKey?.endsWith('-Training-checkpoint-stale'));
    expect(warning?.detail?.['message']).toMatch(/no checkpoint under the checkpoint URI/);
  }, 120_000);
});
