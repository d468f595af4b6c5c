/**
 * StopEndedRun: an execution of the pipeline stopped (aborted, timed out) while its run was not final.
 * Nothing of the state machine runs any more to stop the training job, so this step, triggered by
 * EventBridge's "Step Functions Execution Status Change" event, stops it (no orphan GPU) and records
 * the run STOPPED. Only the execution that owns the run acts: an earlier link of a continue-as-new
 * chain, or an execution whose run id belongs to another one, leaves the run alone.
 */
import { StopTrainingJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import * as z from 'zod';
import { runIdFromExecutionName } from '../validate-input/step';
import { isTerminal } from '../../contracts/run-status';
import type { RunStore } from '../../status/run-store';

export interface EndedExecution {
  executionName: string;
  status: string;
  /** The execution's input, as the event carries it (a JSON string). */
  input: string | null | undefined;
}

export type StopEndedRunResult =
  | { action: 'stopped'; runId: string; trainingJobName: string | null }
  | { action: 'ignored'; runId: string; reason: 'no-run' | 'not-owner' | 'already-final' };

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
  await deps.store.writeStatusChange({
    runId,
    executionName: execution.executionName,
    status: 'STOPPED',
    at: deps.now().toISOString(),
    attributes: { stoppedBecause: `execution ${execution.executionName} ${execution.status}` },
    detail: { executionStatus: execution.status, trainingJobName },
  });
  return { action: 'stopped', runId, trainingJobName };
};
