/** The poll loop's schedule and history count, from the pace and history budget in src/contracts/poll-pace.ts. */
import {
  TRANSITIONS_PER_POLL,
  HISTORY_EVENTS_PER_POLL,
  BUDGETED_EVENTS_PER_POLL,
  DEFAULT_LOOP_HISTORY_BUDGET,
  POLL_GROWTH,
} from '../contracts/poll-pace';

export interface PollSchedule {
  /** The first (shortest) wait, seconds. */
  pollSeconds: number;
  /** The longest wait, seconds. */
  maxPollSeconds: number;
}

/**
 * Seconds to wait before the next poll, given how long the job has existed: short while the job starts
 * (statuses change every few seconds to minutes), then growing with its age (a 6-hour job is not
 * expected to end within the next minute), bounded by maxPollSeconds. A stop in progress polls at the
 * shortest pace, so STOPPED is recorded soon after the job stops.
 */
export const nextPollSeconds = (schedule: PollSchedule, elapsedSeconds: number, options: { stopping?: boolean } = {}): number => {
  const { pollSeconds, maxPollSeconds } = schedule;
  if (options.stopping === true) return pollSeconds;
  const grown = Math.round(Math.max(0, elapsedSeconds) * POLL_GROWTH);
  return Math.min(Math.max(pollSeconds, maxPollSeconds), Math.max(pollSeconds, grown));
};

/** How many polls one execution may make before it continues as new. */
export const pollsPerExecution = (loopHistoryBudget: number): number =>
  Math.max(1, Math.floor(loopHistoryBudget / BUDGETED_EVENTS_PER_POLL));

export interface LoopCount {
  polls: number;
  transitions: number;
  historyEvents: number;
  /** Executions the loop needs (continue-as-new), and the transitions/events the hand-overs add. */
  executions: number;
}

/**
 * A continue-as-new hand-over: RecordContinuation, ContinueAsNew, ContinuedAsNew in the old execution,
 * EnterPipeline and ResumePolling in the new one (5 transitions); their 16 events plus the old one's
 * ExecutionSucceeded and the new one's ExecutionStarted (18). bench/polling.ts checks both on the local runtime.
 */
export const CONTINUE_TRANSITIONS = 5;
export const CONTINUE_EVENTS = 18;

/**
 * The loop of a job that runs `jobSeconds`: how many polls until one sees it ended, with `waitFor(elapsed)`
 * the wait before each poll, and the hand-overs its executions need.
 */

export const countLoop = (
  jobSeconds: number,
  waitFor: (elapsedSeconds: number) => number,
  loopHistoryBudget = DEFAULT_LOOP_HISTORY_BUDGET,
): LoopCount => {
  let elapsed = 0;
  let polls = 0;
  while (elapsed < jobSeconds) {
    elapsed += waitFor(elapsed);
    polls += 1;
  }
  const executions = Math.max(1, Math.ceil(polls / pollsPerExecution(loopHistoryBudget)));
  return {
    polls,
    transitions: polls * TRANSITIONS_PER_POLL + (executions - 1) * CONTINUE_TRANSITIONS,
    historyEvents: polls * HISTORY_EVENTS_PER_POLL + (executions - 1) * CONTINUE_EVENTS,
    executions,
  };
};
