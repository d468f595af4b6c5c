/**
 * StopEndedRun: an execution of the pipeline ended without a Catch running while its run was not final:
 * stopped (aborted, timed out), or failed with an error no Catch takes (States.Runtime, e.g. a JSONPath
 * that does not resolve). Nothing of the state machine runs any more to stop the training job, so this
 * step, triggered by EventBridge's "Step Functions Execution Status Change" event, stops it (no orphan
 * GPU) and records the run STOPPED, or FAILED with the execution's error and cause. A failure the
 * pipeline caught ends FAILED too, but after RecordFailure made the run final: that run is left alone.
 * Only the execution that owns the run acts: an earlier link of a continue-as-new chain, or an execution
 * whose run id belongs to another one, leaves the run alone.
 */
import { StopHyperParameterTuningJobCommand, StopTrainingJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import * as z from 'zod';
import { runIdFromExecutionName } from '../validate-input/step';
import { isTerminal } from '../../contracts/run-status';
import type { RunAttributes } from '../../contracts/run-record';
import type { RunStore } from '../../status/run-store';
import { failureFromCaught } from '../record-status/step';

export interface EndedExecution {
  executionName: string;
  status: string;
  /** The execution's input, as the event carries it (a JSON string). */
  input: string | null | undefined;
  /** A FAILED execution's error and cause, as the event carries them. */
  error?: string | null | undefined;
  cause?: string | null | undefined;
}

/** The run's status once its execution ended this way; any other execution status is not this step's. */
const RUN_STATUS_OF_ENDED = { ABORTED: 'STOPPED', TIMED_OUT: 'STOPPED', FAILED: 'FAILED' } as const;
type EndedStatus = keyof typeof RUN_STATUS_OF_ENDED;
const isEndedStatus = (status: string): status is EndedStatus => Object.hasOwn(RUN_STATUS_OF_ENDED, status);

export type StopEndedRunResult =
  | { action: 'stopped'; runId: string; trainingJobName: string | null; runStatus: 'STOPPED' | 'FAILED' }
  | { action: 'ignored'; runId: string; reason: 'other-status' | 'no-run' | 'not-owner' | 'already-final' };

/** The run id an execution works on: a continuation's config, the input's runId, or the execution name. */
const inputRunId = z
  .union([
    z.object({ continuation: z.object({ config: z.object({ runId: z.string().min(1) }) }) }).transform((i) => i.continuation.config.runId),
    z.object({ runId: z.string().min(1) }).transform((i) => i.runId),
  ])
  .optional()
  .catch(undefined);

export const runIdOfExecution = (execution: EndedExecution): string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(execution.input ?? 'null');
  } catch {
    parsed = undefined;
  }
  return inputRunId.parse(parsed) ?? runIdFromExecutionName(execution.executionName);
};

export const stopEndedRun = async (
  deps: { sagemaker: SageMakerClient; store: RunStore; now: () => Date },
  execution: EndedExecution,
): Promise<StopEndedRunResult> => {
  const runId = runIdOfExecution(execution);
  if (!isEndedStatus(execution.status)) return { action: 'ignored', runId, reason: 'other-status' };
  const runStatus = RUN_STATUS_OF_ENDED[execution.status];
  const record = await deps.store.getRun(runId);
  if (record === undefined) return { action: 'ignored', runId, reason: 'no-run' };
  if (record['executionName'] !== execution.executionName && record['continuedBy'] !== execution.executionName) {
    return { action: 'ignored', runId, reason: 'not-owner' };
  }
  if (isTerminal(record.status)) return { action: 'ignored', runId, reason: 'already-final' };
  const trainingJobName = typeof record['trainingJobName'] === 'string' ? record['trainingJobName'] : null;
  if (trainingJobName !== null) {
    try {
      await deps.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: trainingJobName }));
    } catch (error) {
      // Never created (stopped before CreateTrainingJob), or already ended: nothing runs, nothing to stop.
      if ((error as { name?: string }).name !== 'ValidationException') throw error;
    }
  }
  // A tuning run (src/steps/tuning-job): its tuning job stops its running trials.
  const tuningJobName = record.tuning?.jobName;
  if (tuningJobName !== undefined) {
    try {
      await deps.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuningJobName }));
    } catch (error) {
      // Never created, or already ended.
      if (!['ValidationException', 'ResourceNotFound'].includes((error as { name?: string }).name ?? '')) throw error;
    }
  }
  const stoppedBecause = `execution ${execution.executionName} ${execution.status}`;
  // The execution's own error (ExecutionFailed when the event names none), its cause as the message.
  const failure =
    runStatus === 'FAILED'
      ? failureFromCaught({ Error: execution.error || 'ExecutionFailed', ...(execution.cause ? { Cause: execution.cause } : {}) })
      : undefined;
  const attributes: RunAttributes = failure === undefined ? { stoppedBecause } : { stoppedBecause, failure };
  await deps.store.writeStatusChange({
    runId,
    executionName: execution.executionName,
    status: runStatus,
    at: deps.now().toISOString(),
    attributes,
    detail: { executionStatus: execution.status, trainingJobName, ...failure },
  });
  return { action: 'stopped', runId, trainingJobName, runStatus };
};
