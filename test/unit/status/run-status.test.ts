import { describe, expect, it } from 'vitest';
import { RUN_STATUSES, canTransition, isTerminal, statusRank, type RunStatus } from '../../../src/contracts/run-status';

/** The full transition table: rows are the current status (undefined: no record yet), columns the next. */
const ALLOWED: Record<RunStatus | 'none', Record<RunStatus, boolean>> = {
  none: {
    PENDING: true,
    PREPARING: true,
    TRAINING: true,
    EVALUATING: true,
    COMPLETED: true,
    FAILED: true,
    SKIPPED: true,
    STOPPED: true,
    BUDGET_EXCEEDED: true,
  },
  PENDING: {
    PENDING: true,
    PREPARING: true,
    TRAINING: true,
    EVALUATING: true,
    COMPLETED: true,
    FAILED: true,
    SKIPPED: true,
    STOPPED: true,
    BUDGET_EXCEEDED: true,
  },
  PREPARING: {
    PENDING: false,
    PREPARING: true,
    TRAINING: true,
    EVALUATING: true,
    COMPLETED: true,
    FAILED: true,
    SKIPPED: true,
    STOPPED: true,
    BUDGET_EXCEEDED: true,
  },
  TRAINING: {
    PENDING: false,
    PREPARING: false,
    TRAINING: true,
    EVALUATING: true,
    COMPLETED: true,
    FAILED: true,
    SKIPPED: true,
    STOPPED: true,
    BUDGET_EXCEEDED: true,
  },
  EVALUATING: {
    PENDING: false,
    PREPARING: false,
    TRAINING: false,
    EVALUATING: true,
    COMPLETED: true,
    FAILED: true,
    SKIPPED: true,
    STOPPED: true,
    BUDGET_EXCEEDED: true,
  },
  COMPLETED: {
    PENDING: false,
    PREPARING: false,
    TRAINING: false,
    EVALUATING: false,
    COMPLETED: false,
    FAILED: false,
    SKIPPED: false,
    STOPPED: false,
    BUDGET_EXCEEDED: false,
  },
  FAILED: {
    PENDING: false,
    PREPARING: false,
    TRAINING: false,
    EVALUATING: false,
    COMPLETED: false,
    FAILED: false,
    SKIPPED: false,
    STOPPED: false,
    BUDGET_EXCEEDED: false,
  },
  SKIPPED: {
    PENDING: false,
    PREPARING: false,
    TRAINING: false,
    EVALUATING: false,
    COMPLETED: false,
    FAILED: false,
    SKIPPED: false,
    STOPPED: false,
    BUDGET_EXCEEDED: false,
  },
  STOPPED: {
    PENDING: false,
    PREPARING: false,
    TRAINING: false,
    EVALUATING: false,
    COMPLETED: false,
    FAILED: false,
    SKIPPED: false,
    STOPPED: false,
    BUDGET_EXCEEDED: false,
  },
  BUDGET_EXCEEDED: {
    PENDING: false,
    PREPARING: false,
    TRAINING: false,
    EVALUATING: false,
    COMPLETED: false,
    FAILED: false,
    SKIPPED: false,
    STOPPED: false,
    BUDGET_EXCEEDED: false,
  },
};

describe('canTransition', () => {
  const cases = (Object.keys(ALLOWED) as (RunStatus | 'none')[]).flatMap((from) =>
    RUN_STATUSES.map((to) => [from, to, ALLOWED[from][to]] as const),
  );

  it('covers every pair of statuses', () => {
    expect(cases).toHaveLength((RUN_STATUSES.length + 1) * RUN_STATUSES.length);
  });

  it.each(cases)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from === 'none' ? undefined : from, to)).toBe(allowed);
  });
});

describe('status ranks', () => {
  it('orders PENDING < PREPARING < TRAINING < terminal, terminals sharing the top rank', () => {
    expect(statusRank('PENDING')).toBeLessThan(statusRank('PREPARING'));
    expect(statusRank('PREPARING')).toBeLessThan(statusRank('TRAINING'));
    expect(statusRank('TRAINING')).toBeLessThan(statusRank('COMPLETED'));
    expect(statusRank('COMPLETED')).toBe(statusRank('FAILED'));
    expect(statusRank('FAILED')).toBe(statusRank('SKIPPED'));
  });

  it('calls exactly COMPLETED, FAILED, SKIPPED, STOPPED and BUDGET_EXCEEDED terminal', () => {
    expect(RUN_STATUSES.filter(isTerminal)).toEqual(['COMPLETED', 'FAILED', 'SKIPPED', 'STOPPED', 'BUDGET_EXCEEDED']);
  });
});
