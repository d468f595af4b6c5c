import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_SETTINGS } from '../../../src/contracts/settings';
import {
  BUDGETED_EVENTS_PER_POLL,
  DEFAULT_LOOP_HISTORY_BUDGET,
  HISTORY_EVENT_LIMIT,
  MIN_MAX_POLL_SECONDS,
  MIN_POLL_SECONDS,
} from '../../../src/contracts/poll-pace';
import { countLoop, nextPollSeconds, pollsPerExecution } from '../../../src/polling/schedule';

const HOUR = 3600;
const schedule = { pollSeconds: 60, maxPollSeconds: 600 };

describe('nextPollSeconds', () => {
  it('waits pollSeconds while the job is young', () => {
    expect(nextPollSeconds(schedule, 0)).toBe(60);
    expect(nextPollSeconds(schedule, 59)).toBe(60);
  });

  it("then grows with the job's age (a wait as long as the job has existed)", () => {
    expect(nextPollSeconds(schedule, 150)).toBe(150);
    expect(nextPollSeconds(schedule, 500)).toBe(500);
  });

  it('never waits longer than maxPollSeconds', () => {
    expect(nextPollSeconds(schedule, 601)).toBe(600);
    expect(nextPollSeconds(schedule, 30 * 24 * HOUR)).toBe(600);
  });

  it('polls at the shortest pace while a stop is in progress', () => {
    expect(nextPollSeconds(schedule, 10 * HOUR, { stopping: true })).toBe(60);
  });

  it('treats a clock skew (negative age) as a new job and a max below the min as the min', () => {
    expect(nextPollSeconds(schedule, -50)).toBe(60);
    expect(nextPollSeconds({ pollSeconds: 120, maxPollSeconds: 60 }, 10 * HOUR)).toBe(120);
  });

  it('is monotonic in the elapsed time', () => {
    const waits = Array.from({ length: 200 }, (_, i) => nextPollSeconds(schedule, i * 37));
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });

  it('a 10-hour job waits 60 s first, 600 s at the end', () => {
    expect(nextPollSeconds(schedule, 0)).toBe(60);
    expect(nextPollSeconds(schedule, 10 * HOUR)).toBe(600);
  });
});

describe('the loop per training hour', () => {
  it('the default schedule stays within 60 transitions in every training hour, the fixed 30 s poll does not', () => {
    for (let hours = 1; hours <= 48; hours += 1) {
      const adaptive = countLoop(hours * HOUR, (elapsed) => nextPollSeconds(schedule, elapsed));
      expect(adaptive.transitions / hours, `${hours} h`).toBeLessThanOrEqual(60);
    }
    expect(countLoop(HOUR, () => 30).transitions).toBeGreaterThan(60);
  });

  it('every allowed pair (pollSeconds >= its floor, maxPollSeconds >= its floor) stays within 60 transitions in every training hour', () => {
    const parse = (name: 'DOCTRAIN_POLL_SECONDS' | 'DOCTRAIN_MAX_POLL_SECONDS', value: number): number =>
      DEPLOYMENT_SETTINGS[name].schema.parse(String(value));
    expect(() => parse('DOCTRAIN_MAX_POLL_SECONDS', MIN_MAX_POLL_SECONDS - 1)).toThrow();
    const worst: { pair: string; perHour: number }[] = [];
    for (const pollSeconds of [MIN_POLL_SECONDS, 11, 15, 20, 30, 45, 60, 90, 120, 239, 240, 600, 3600]) {
      for (const maxPollSeconds of [MIN_MAX_POLL_SECONDS, 241, 300, 600, 1800, 3600]) {
        const pace = {
          pollSeconds: parse('DOCTRAIN_POLL_SECONDS', pollSeconds),
          maxPollSeconds: parse('DOCTRAIN_MAX_POLL_SECONDS', maxPollSeconds),
        };
        for (let hours = 1; hours <= 24; hours += 1) {
          const perHour = countLoop(hours * HOUR, (elapsed) => nextPollSeconds(pace, elapsed)).transitions / hours;
          if (perHour > 60) worst.push({ pair: `${pollSeconds}/${maxPollSeconds} over ${hours} h`, perHour });
        }
      }
    }
    expect(worst).toEqual([]);
  });

  it('every allowed schedule keeps each execution under the history limit, however long the job', () => {
    const minPoll = DEPLOYMENT_SETTINGS.DOCTRAIN_POLL_SECONDS.schema.parse(String(MIN_POLL_SECONDS));
    expect(() => DEPLOYMENT_SETTINGS.DOCTRAIN_POLL_SECONDS.schema.parse(String(MIN_POLL_SECONDS - 1))).toThrow();
    const loop = countLoop(28 * 24 * HOUR, () => minPoll); // the longest SageMaker job at the fastest pace
    expect(loop.executions).toBeGreaterThan(1);
    const perExecution = pollsPerExecution(DEFAULT_LOOP_HISTORY_BUDGET) * BUDGETED_EVENTS_PER_POLL;
    expect(perExecution).toBeLessThanOrEqual(DEFAULT_LOOP_HISTORY_BUDGET);
    // What is left of 25,000 for the steps before the loop (the OCR Map of the first execution).
    expect(HISTORY_EVENT_LIMIT - perExecution).toBeGreaterThanOrEqual(10_000);
  });
});

describe('pollsPerExecution', () => {
  it('divides the budget by the budgeted events of a poll, at least one poll', () => {
    expect(pollsPerExecution(15_000)).toBe(Math.floor(15_000 / BUDGETED_EVENTS_PER_POLL));
    expect(pollsPerExecution(1)).toBe(1);
  });
});
