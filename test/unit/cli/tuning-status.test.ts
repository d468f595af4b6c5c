/** `doctrain status` of a tuning run (cli/remote.ts tuningLines): the tuning job, its best trial, and every trial. */
import { describe, expect, it } from 'vitest';
import { tuningLines } from '../../../cli/remote';
import type { RunRecord } from '../../../src/status/run-store';

const record = (tuning: RunRecord['tuning']): RunRecord => ({ tuning }) as RunRecord;

describe('tuningLines', () => {
  it('names the tuning job, its progress and best trial, then one row per trial with what it drew', () => {
    // Prepare
    const tuning: RunRecord['tuning'] = {
      jobName: 'doctrain-r1',
      strategy: 'Random',
      objective: { metric: 'val_f1', type: 'Maximize' },
      status: 'Completed',
      trialsTotal: 2,
      trialsEnded: 2,
      trialsInProgress: 0,
      best: { trainingJobName: 'doctrain-r1-002-0000000b', objectiveValue: 0.81 },
      trials: [
        {
          trainingJobName: 'doctrain-r1-001-0000000a',
          status: 'Completed',
          objectiveValue: 0.7,
          hyperparameters: { dropout: '0.1' },
          billableSeconds: 40,
        },
        {
          trainingJobName: 'doctrain-r1-002-0000000b',
          status: 'Completed',
          objectiveValue: 0.81,
          hyperparameters: { dropout: '0.2' },
          billableSeconds: 42,
        },
      ],
    };
    // Act
    const lines = tuningLines(record(tuning));
    // Assess
    expect(lines[0]).toBe(
      'tuning: doctrain-r1, Random, Maximize val_f1: Completed, 2 of 2 trials ended, best doctrain-r1-002-0000000b (0.81)',
    );
    expect(lines[1]).toMatch(/^ {2}TRIAL +STATUS +VAL_F1 +BILLABLE S +HYPERPARAMETERS$/);
    expect(lines.slice(2).map((line) => line.split(/ +/).slice(1))).toEqual([
      ['doctrain-r1-001-0000000a', 'Completed', '0.7', '40', 'dropout=0.1'],
      ['doctrain-r1-002-0000000b', 'Completed', '0.81', '42', 'dropout=0.2'],
    ]);
  });

  it('is one line while the job runs, and nothing for a run without tuning', () => {
    // Act
    const running = tuningLines(
      record({
        jobName: 'doctrain-r1',
        strategy: 'Bayesian',
        objective: { metric: 'val_f1', type: 'Maximize' },
        status: 'InProgress',
        trialsTotal: 8,
        trialsEnded: 3,
        trialsInProgress: 2,
        best: null,
      }),
    );
    // Assess
    expect(running).toEqual(['tuning: doctrain-r1, Bayesian, Maximize val_f1: InProgress, 3 of 8 trials ended, best -']);
    expect(tuningLines({} as RunRecord)).toEqual([]);
  });
});
