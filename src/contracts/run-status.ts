/** The run lifecycle. Ranks only grow; terminal statuses share the top rank so none replaces another. */
export const RUN_STATUSES = [
  'PENDING',
  'PREPARING',
  'TRAINING',
  'EVALUATING',
  'COMPLETED',
  'FAILED',
  'SKIPPED',
  'STOPPED',
  'BUDGET_EXCEEDED',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const RANK: Readonly<Record<RunStatus, number>> = {
  PENDING: 0,
  PREPARING: 1,
  TRAINING: 2,
  /** The job completed; the challenger is being compared with the champion (PromoteModel). */
  EVALUATING: 3,
  COMPLETED: 4,
  FAILED: 4,
  /** Nothing changed since the lineage's champion or last COMPLETED run (CheckFingerprint): no OCR, no job. */
  SKIPPED: 4,
  /** Stopped on purpose: a stop request for the run, or its execution stopped (aborted, timed out). */
  STOPPED: 4,
  /** The poll loop stopped the training job: its projected cost passed the run's budget (src/cost/ledger.ts). */
  BUDGET_EXCEEDED: 4,
};

export const statusRank = (status: RunStatus): number => RANK[status];
export const isTerminal = (status: RunStatus): boolean => RANK[status] === RANK.COMPLETED;

/**
 * May a record at `current` be written with `next`? Forward is allowed, and the same status while the run
 * is not terminal (idempotent retries, progress updates). Backwards is not, and nothing at all once the run
 * is terminal: a terminal record is final, its metrics, model URI, cost and failure can never be rewritten
 * (a retried terminal write is answered by the run store as already recorded, without writing).
 */
export const canTransition = (current: RunStatus | undefined, next: RunStatus): boolean =>
  current === undefined || (!isTerminal(current) && (current === next || statusRank(next) > statusRank(current)));

/**
 * The same rule as a DynamoDB condition on the stored record (`#status` = status, `#rank` = statusRank),
 * used by the run store's conditional write. A test checks, for every pair of statuses against a real
 * (local) DynamoDB, that this condition accepts exactly what canTransition accepts.
 */
export const TRANSITION_CONDITION = '(#rank < :terminal AND (#status = :status OR #rank < :rank))';

/** The values TRANSITION_CONDITION reads, for a write of `next`. */
export const transitionConditionValues = (next: RunStatus): { ':status': RunStatus; ':rank': number; ':terminal': number } => ({
  ':status': next,
  ':rank': statusRank(next),
  ':terminal': RANK.COMPLETED,
});
