/**
 * The training poll loop's pace and its Step Functions history budget, in one place: the PollTraining
 * step (src/polling/schedule.ts), the settings' floor and the bench (bench/polling.ts) all use these numbers.
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
