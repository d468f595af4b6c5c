/**
 * Training attempts along the instance plan. Each attempt is one SageMaker job,
 * `doctrain-<runId>-a<n>`; all of a run's attempts share its checkpoint URI, so a fallback resumes from
 * the last checkpoint. This module decides, after CreateTrainingJob failed or a job ended for capacity,
 * what the run does next, and keeps the attempts list the run record shows.
 *
 * How errors reach it (statemachines/train-pipeline.asl.yml): the Step Functions SageMaker integration
 * names an error `SageMaker.<Code>Exception` for the codes the SageMaker model declares
 * (ResourceInUse, ResourceLimitExceeded, ResourceNotFound) and reports the others (ThrottlingException,
 * ValidationException, ...) as `SageMaker.AmazonSageMakerException`, with the code only in the Cause
 * ("... Error Code: ThrottlingException ..."). So the name decides where it can, the Cause otherwise.
 */
import { trainingJobName } from '../validate-input/step';
import { stoppingConditionFor, trainingEnvironmentFor } from '../../contracts/instance-plan';
import type { AttemptRecord, TrainingConfig } from '../../contracts/training-config';
import { InstancePlanExhaustedError, ThrottlingError, TrainingJobRejectedError } from '../../contracts/errors';

/** What a failed CreateTrainingJob means for the run. */
export type CreateFailureKind = 'throttled' | 'exists' | 'capacity' | 'rejected';

export interface CaughtTaskError {
  Error: string;
  Cause?: string | undefined;
}

const THROTTLED = /ThrottlingException|Throttling|Rate exceeded|TooManyRequests/i;
const EXISTS = /ResourceInUse|already exists/i;
/** Quota and capacity: another instance type (or on-demand) may still run. */
const CAPACITY = /ResourceLimitExceeded|CapacityError|InsufficientCapacity|InsufficientInstanceCapacity/i;

export const classifyCreateError = (error: CaughtTaskError): CreateFailureKind => {
  const text = `${error.Error} ${error.Cause ?? ''}`;
  if (error.Error === 'SageMaker.ResourceInUseException') return 'exists';
  if (error.Error === 'SageMaker.ResourceLimitExceededException') return 'capacity';
  if (error.Error === 'SageMaker.ThrottlingException') return 'throttled';
  if (EXISTS.test(text)) return 'exists';
  if (THROTTLED.test(text)) return 'throttled';
  if (CAPACITY.test(text)) return 'capacity';
  return 'rejected';
};

/**
 * A job that ended for lack of capacity (FailureReason `CapacityError: ...`, `InsufficientCapacity...`), or a
 * spot job that waited MaxWaitTimeInSeconds for capacity: the next plan entry may run it. The same rule is
 * the poll loop's Choice in the ASL (StringMatches), which routes such a job here.
 */
export const CAPACITY_FAILURE_PATTERNS = ['*CapacityError*', '*InsufficientCapacity*', '*MaxWaitTimeExceeded*'] as const;
export const isCapacityFailure = (job: { FailureReason?: string | undefined; SecondaryStatus?: string | undefined }): boolean =>
  /CapacityError|InsufficientCapacity|MaxWaitTimeExceeded/.test(`${job.FailureReason ?? ''} ${job.SecondaryStatus ?? ''}`);

/** Throttled creates retried per attempt, with a doubling wait (5, 10, 20, 40, 80 s). */
export const MAX_CREATE_RETRIES = 5;
const backoffSeconds = (retry: number): number => Math.min(120, 5 * 2 ** (retry - 1));

const attemptRecord = (training: TrainingConfig): AttemptRecord => ({
  attempt: training.attempt,
  jobName: training.jobName,
  instanceType: training.instanceType,
  spot: training.spot,
  status: 'Creating',
});

/** The first attempt on the (pre-flight checked) plan: its first entry. */
export const firstAttempt = (training: TrainingConfig, plan: TrainingConfig['plan'], runId: string): TrainingConfig =>
  onEntry({ ...training, plan, attempts: [] }, runId, 1, 0);

/** Attempt `attempt` on plan entry `planIndex`: its job name, instance, StoppingCondition, a fresh create. */
const onEntry = (training: TrainingConfig, runId: string, attempt: number, planIndex: number): TrainingConfig => {
  const entry = training.plan[planIndex];
  if (entry === undefined) throw new RangeError(`The instance plan has no entry ${planIndex}`);
  const next: TrainingConfig = {
    ...training,
    attempt,
    planIndex,
    jobName: trainingJobName(runId, attempt),
    instanceType: entry.instanceType,
    spot: entry.spot,
    environment: trainingEnvironmentFor(entry.instanceType),
    stoppingCondition: stoppingConditionFor(entry.spot, training),
    next: 'create',
    waitSeconds: 0,
    createRetries: 0,
  };
  return { ...next, attempts: [...training.attempts, attemptRecord(next)] };
};

const updateCurrent = (training: TrainingConfig, change: Partial<AttemptRecord>): AttemptRecord[] =>
  training.attempts.map((a) => (a.attempt === training.attempt ? { ...a, ...change } : a));

export type AttemptOutcome =
  /** The state machine goes on with this training config (create or adopt its current job). */
  | { kind: 'continue'; training: TrainingConfig }
  /** The run ends: record `training.attempts`, then throw `error`. */
  | { kind: 'stop'; training: TrainingConfig; error: Error };

/** The next plan entry, a new attempt with the next job name; or the end of the plan. */
const fallBack = (training: TrainingConfig, runId: string, reason: string): AttemptOutcome => {
  const planIndex = training.planIndex + 1;
  if (planIndex >= training.plan.length) {
    return {
      kind: 'stop',
      training,
      error: new InstancePlanExhaustedError(
        `Every entry of the instance plan failed for capacity (${training.attempts.map((a) => `${a.jobName} ${a.instanceType}${a.spot ? ' spot' : ''}: ${a.failureReason ?? a.status}`).join('; ')}). Last: ${reason}. Start the run again later, or add instance types to instanceFallbacks; checkpoints under ${training.checkpointS3Uri} are kept and resumed from`,
      ),
    };
  }
  return { kind: 'continue', training: onEntry(training, runId, training.attempt + 1, planIndex) };
};

export const afterCreateFailure = (training: TrainingConfig, runId: string, error: CaughtTaskError): AttemptOutcome => {
  const kind = classifyCreateError(error);
  const reason = `${error.Error}: ${error.Cause ?? ''}`.slice(0, 1024);
  switch (kind) {
    case 'exists':
      // The job name is this run's own (run ids are unique per execution, RecordPending checks it): a create
      // whose response was lost. Adopt the job instead of stopping it.
      return { kind: 'continue', training: { ...training, next: 'adopt', waitSeconds: 0 } };
    case 'throttled': {
      const retry = training.createRetries + 1;
      if (retry > MAX_CREATE_RETRIES) {
        return {
          kind: 'stop',
          training: { ...training, attempts: updateCurrent(training, { status: 'CreateFailed', failureReason: reason }) },
          error: new ThrottlingError(`CreateTrainingJob throttled ${retry} times for ${training.jobName}: ${reason}`),
        };
      }
      return { kind: 'continue', training: { ...training, next: 'create', createRetries: retry, waitSeconds: backoffSeconds(retry) } };
    }
    case 'capacity':
      return fallBack({ ...training, attempts: updateCurrent(training, { status: 'CreateFailed', failureReason: reason }) }, runId, reason);
    case 'rejected':
      return {
        kind: 'stop',
        training: { ...training, attempts: updateCurrent(training, { status: 'CreateFailed', failureReason: reason }) },
        error: new TrainingJobRejectedError(`SageMaker rejected CreateTrainingJob for ${training.jobName} (not retried): ${reason}`),
      };
  }
};

export interface EndedJob {
  TrainingJobStatus: string;
  FailureReason?: string | undefined;
  SecondaryStatus?: string | undefined;
  BillableTimeInSeconds?: number | undefined;
  TrainingTimeInSeconds?: number | undefined;
}

/** The current job ended for capacity (the poll loop's Choice said so): record it, take the next entry. */
export const afterCapacityFailure = (training: TrainingConfig, runId: string, job: EndedJob): AttemptOutcome => {
  // The ASL's Choice and this rule must agree (test/unit/steps/training-attempt/attempts.test.ts compares them).
  if (!isCapacityFailure(job))
    throw new RangeError(`${training.jobName} did not end for capacity (${job.TrainingJobStatus}: ${job.FailureReason ?? ''})`);
  const reason = job.FailureReason ?? job.SecondaryStatus ?? job.TrainingJobStatus;
  const status = job.TrainingJobStatus === 'Stopped' ? 'Stopped' : 'Failed';
  const ended = updateCurrent(training, {
    status,
    failureReason: reason,
    ...(job.BillableTimeInSeconds === undefined ? {} : { billableSeconds: job.BillableTimeInSeconds }),
    ...(job.TrainingTimeInSeconds === undefined ? {} : { trainingSeconds: job.TrainingTimeInSeconds }),
  });
  return fallBack({ ...training, attempts: ended }, runId, reason);
};

/** The job exists (created or adopted): its attempt is InProgress. */
export const attemptStarted = (training: TrainingConfig): TrainingConfig => ({
  ...training,
  attempts: updateCurrent(training, { status: 'InProgress' }),
});
