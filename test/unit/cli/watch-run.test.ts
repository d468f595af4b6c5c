/**
 * `doctrain status --watch`: a run followed from its record and events as a store returns them poll after
 * poll: each status event once, the training job as one status (a plain line per change), the latest
 * metrics when they change, the end with its exit code.
 */
import { describe, expect, it } from 'vitest';
import { plainDisplay } from '../../../cli/progress/display';
import { RunProgressView } from '../../../cli/progress/run-view';
import { watchRun, type RunReader } from '../../../cli/progress/watch-run';
import type { RunEvent, RunRecord } from '../../../src/status/run-store';
import type { RunStatus } from '../../../src/contracts/run-status';

const RUN = 'run-20261206000000003';

const record = (status: RunStatus, extra: Partial<RunRecord> = {}): RunRecord => ({
  pk: `RUN#${RUN}`,
  sk: 'RUN',
  runId: RUN,
  status,
  statusRank: 0,
  createdAt: '2026-12-06T00:00:00.000Z',
  updatedAt: '2026-12-06T00:00:00.000Z',
  executionName: RUN,
  ...extra,
});

const progress = (polls: number, metrics: Record<string, number>) => ({
  polledAt: `2026-12-06T00:0${polls}:00.000Z`,
  elapsedSeconds: 60 * polls,
  trainingSeconds: 50 * polls,
  billableSeconds: null,
  metrics,
  polls,
  execution: RUN,
});

/** A store whose n-th look returns the n-th snapshot (the last one from then on). */
const storeOf = (snapshots: { record: RunRecord | undefined; events: RunEvent[] }[]): RunReader & { looks: number } => {
  let look = 0;
  const at = () => snapshots[Math.min(look, snapshots.length - 1)] ?? { record: undefined, events: [] };
  return {
    get looks() {
      return look;
    },
    getRun: () => Promise.resolve(at().record),
    listEvents: () => {
      const { events } = at();
      look += 1;
      return Promise.resolve(events);
    },
  };
};

describe('status --watch', () => {
  it('follows a run to its end: events once, the poll as one status, metrics when they change', async () => {
    const events: RunEvent[] = [
      { status: 'PENDING', at: '2026-12-06T00:00:00.000Z' },
      { status: 'PREPARING', at: '2026-12-06T00:00:10.000Z' },
    ];
    const training: RunEvent = { status: 'TRAINING', at: '2026-12-06T00:01:00.000Z', progressKey: '003-Training' };
    const store = storeOf([
      { record: record('PREPARING'), events },
      {
        record: record('TRAINING', {
          trainingJobStatus: 'InProgress',
          secondaryStatus: 'Training',
          progress: progress(1, { val_f1: 0.5 }),
        }),
        events: [...events, training],
      },
      {
        record: record('TRAINING', {
          trainingJobStatus: 'InProgress',
          secondaryStatus: 'Training',
          progress: progress(2, { val_f1: 0.5 }),
        }),
        events: [...events, training],
      },
      {
        record: record('TRAINING', {
          trainingJobStatus: 'InProgress',
          secondaryStatus: 'Training',
          progress: progress(3, { val_f1: 0.75 }),
        }),
        events: [...events, training],
      },
      { record: record('COMPLETED'), events: [...events, training, { status: 'COMPLETED', at: '2026-12-06T00:05:00.000Z' }] },
    ]);
    const lines: string[] = [];
    const sleeps: number[] = [];

    const code = await watchRun({
      store,
      runId: RUN,
      view: new RunProgressView(
        plainDisplay((line) => lines.push(line)),
        0,
        () => 0,
      ),
      pollMs: 5000,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });

    expect(code).toBe(0);
    expect(sleeps).toEqual([5000, 5000, 5000, 5000]);
    expect(lines).toEqual([
      '[  0.0 s] -> PENDING at 2026-12-06T00:00:00.000Z',
      '[  0.0 s] -> PREPARING at 2026-12-06T00:00:10.000Z',
      '[  0.0 s] -> TRAINING (003-Training) at 2026-12-06T00:01:00.000Z',
      '[  0.0 s]   metrics (latest poll): val_f1=0.5000',
      '[  0.0 s] training job: InProgress/Training',
      '[  0.0 s]   metrics (latest poll): val_f1=0.7500',
      '[  0.0 s] -> COMPLETED at 2026-12-06T00:05:00.000Z',
      `[  0.0 s] run ${RUN} ended COMPLETED`,
    ]);
  });

  it('a failed run ends with exit code 1 and its failure; an unknown run at once', async () => {
    const failed = storeOf([{ record: record('FAILED', { failure: { error: 'AlgorithmError', message: 'exit code 2' } }), events: [] }]);
    const lines: string[] = [];
    const view = new RunProgressView(
      plainDisplay((line) => lines.push(line)),
      0,
      () => 0,
    );
    expect(await watchRun({ store: failed, runId: RUN, view, pollMs: 1 })).toBe(1);
    expect(lines.at(-1)).toBe(`[  0.0 s] run ${RUN} ended FAILED: AlgorithmError: exit code 2`);
    expect(await watchRun({ store: storeOf([{ record: undefined, events: [] }]), runId: RUN, view, pollMs: 1 })).toBe(1);
    expect(lines.at(-1)).toContain(`no run ${RUN}`);
  });

  it("shows the trainer's [metric] lines as they land in the job's log; a log it cannot read is said once", async () => {
    const job = `doctrain-${RUN}-a1`;
    const store = storeOf([
      { record: record('TRAINING', { trainingJobName: job }), events: [] },
      { record: record('TRAINING', { trainingJobName: job }), events: [] },
      { record: record('COMPLETED', { trainingJobName: job }), events: [] },
    ]);
    const batches = [['[doctrain] start', '[metric] epoch=1 val_f1=0.4'], ['[metric] epoch=2 val_f1=0.6'], []];
    const asked: string[] = [];
    const lines: string[] = [];
    const view = new RunProgressView(
      plainDisplay((line) => lines.push(line)),
      0,
      () => 0,
    );
    const trainerLines = (jobName: string) => {
      asked.push(jobName);
      return Promise.resolve(batches.shift() ?? []);
    };

    expect(await watchRun({ store, runId: RUN, view, pollMs: 1, sleep: () => Promise.resolve(), trainerLines })).toBe(0);
    expect(asked).toEqual([job, job, job]);
    expect(lines.filter((line) => line.includes('[metric]'))).toEqual([
      '[  0.0 s]   [metric] epoch=1 val_f1=0.4',
      '[  0.0 s]   [metric] epoch=2 val_f1=0.6',
    ]);

    lines.length = 0;
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(new Error('AccessDeniedException: logs:FilterLogEvents'));
    };
    const again = storeOf([
      { record: record('TRAINING', { trainingJobName: job }), events: [] },
      { record: record('COMPLETED', { trainingJobName: job }), events: [] },
    ]);
    expect(await watchRun({ store: again, runId: RUN, view, pollMs: 1, sleep: () => Promise.resolve(), trainerLines: failing })).toBe(0);
    expect(calls).toBe(1);
    expect(lines.filter((line) => line.includes('not shown'))).toHaveLength(1);
  });
});
