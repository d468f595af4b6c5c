/**
 * The TrainingAttempt step: one Lambda for every move along the instance plan (the first attempt, a job
 * that now exists, a failed create, a job ended for capacity). It returns the updated `config.training`
 * (the ASL writes it back there), and keeps the run record's `attempts` list current: each attempt's job
 * name, instance type, spot, status, billable seconds and failure reason.
 */
import type { TrainingAttemptEvent } from './schema';
import type { TrainingConfig } from '../../contracts/training-config';
import type { RunAttributes } from '../../contracts/run-record';
import type { RunStore } from '../../status/run-store';
import { afterCapacityFailure, afterCreateFailure, attemptStarted, firstAttempt, type AttemptOutcome } from './attempts';

/** What the run record shows of the current attempt, beside the list. */
const currentAttempt = (training: TrainingConfig): RunAttributes => ({
  attempts: training.attempts,
  trainingJobName: training.jobName,
  instanceType: training.instanceType,
  spot: training.spot,
});

/** Records the attempts on the run as it is now (the status unchanged: a fallback is no status change). */
const recordAttempts = async (
  deps: { store: RunStore; now: () => Date },
  event: TrainingAttemptEvent,
  training: TrainingConfig,
): Promise<void> => {
  const run = await deps.store.getRun(event.runId);
  const status = run?.status ?? 'PREPARING';
  await deps.store.writeStatusChange({
    runId: event.runId,
    executionName: event.executionName,
    status,
    at: deps.now().toISOString(),
    attributes: currentAttempt(training),
    progressKey: `attempt-${training.attempt}-${training.attempts.at(-1)?.status ?? 'Creating'}`,
    detail: { attempts: training.attempts.length, trainingJobName: training.jobName },
  });
};

export const trainingAttemptStep = async (
  deps: { store: RunStore; now: () => Date },
  event: TrainingAttemptEvent,
): Promise<TrainingConfig> => {
  switch (event.action) {
    case 'first':
      return firstAttempt(event.training, event.plan, event.runId);
    case 'started': {
      const training = attemptStarted(event.training);
      await deps.store.writeStatusChange({
        runId: event.runId,
        executionName: event.executionName,
        status: 'TRAINING',
        at: deps.now().toISOString(),
        attributes: { ...event.attributes, ...currentAttempt(training) },
        // One TRAINING event per attempt (the first keeps the key a single-attempt run always had).
        ...(training.attempt === 1 ? {} : { progressKey: `attempt-${training.attempt}` }),
      });
      return training;
    }
    case 'createFailed':
    case 'jobFailed': {
      const outcome: AttemptOutcome =
        event.action === 'createFailed'
          ? afterCreateFailure(event.training, event.runId, event.error)
          : afterCapacityFailure(event.training, event.runId, event.job);
      // Adopting or retrying a throttled create changes no attempt: nothing to record.
      if (outcome.kind === 'continue' && outcome.training.attempt === event.training.attempt) return outcome.training;
      await recordAttempts(deps, event, outcome.training);
      if (outcome.kind === 'stop') throw outcome.error;
      return outcome.training;
    }
  }
};
