/**
 * The training poll loop's pace and its Step Functions history budget, in one place: the PollTraining
 * step, the settings' floor and the bench (bench/polling.ts) all use these numbers.
 *
 * The loop is Wait -> PollTraining (one Lambda: DescribeTrainingJob, progress, watchdog, stop request) ->
 * TrainingStatus (Choice). Per poll that is 3 state transitions and, in a Standard workflow's history:
 *   Wait:   WaitStateEntered, WaitStateExited                                              2
 *   Lambda: TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
 *           LambdaFunctionSucceeded, TaskStateExited                                       5
 *   Choice: ChoiceStateEntered, ChoiceStateExited                                          2
 * (the old loop, Wait -> DescribeTrainingJob -> RecordProgress -> Choice, was 4 transitions, 14 events).
 */

/** AWS Step Functions Standard: at most 25,000 events in one execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;
export const TRANSITIONS_PER_POLL = 3;
export const HISTORY_EVENTS_PER_POLL = 9;
/**
 * Budgeted per poll: the 9 events plus room for a retried PollTraining attempt in every poll (a Lambda
 * retry adds LambdaFunctionScheduled/Started/Failed: 3 events), so the budget holds even on a bad day.
 */
export const BUDGETED_EVENTS_PER_POLL = HISTORY_EVENTS_PER_POLL + 3;
/** Above this many loop events an execution continues as new; the rest of the 25,000 is for what came before the loop. */
export const DEFAULT_LOOP_HISTORY_BUDGET = 15_000;

/**
 * The least `pollSeconds` accepted (settings, execution input). Below it the first minutes would poll
 * every few seconds for nothing (a job takes minutes to start), and 1 s, accepted before, would spend a
 * whole loop history budget in hours.
 */
export const MIN_POLL_SECONDS = 10;
/** Each wait is this share of the job's elapsed time, between pollSeconds and maxPollSeconds. */
export const POLL_GROWTH = 1;
/**
 * The least `maxPollSeconds` accepted: at 240 s the steady pace is 15 polls (45 transitions) an hour, and
 * with the growing early waits no training hour exceeds 60 transitions for any pollSeconds >= the floor
 * (test/unit/polling/schedule.test.ts checks every allowed pair).
 */
export const MIN_MAX_POLL_SECONDS = 240;

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
export const pollsPerExecution = (loopHistoryBudget: number): number => Math.max(1, Math.floor(loopHistoryBudget / BUDGETED_EVENTS_PER_POLL));

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

export const countLoop = (jobSeconds: number, waitFor: (elapsedSeconds: number) => number, loopHistoryBudget = DEFAULT_LOOP_HISTORY_BUDGET): LoopCount => {
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
