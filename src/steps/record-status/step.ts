/**
 * The status-writer step: turns what the state machine knows at a point (a status and its attributes, a
 * caught error) into one RunStore change. Training progress is PollTraining's (src/steps/poll-training/step.ts).
 */
import type { RunAttributes } from '../../contracts/run-record';
import { lambdaErrorCauseSchema, type CaughtError } from '../../contracts/step-common';
import type { RecordStatusEvent, RecordStatusResult } from './schema';
import type { RunStore, StatusChange } from '../../status/run-store';

/** Lambda errors reach Step Functions as a JSON Cause ({errorType, errorMessage, ...}); show the message. */
export const failureFromCaught = (caught: CaughtError): { error: string; message: string } => {
  let message = caught.Cause ?? '';
  try {
    const parsed = lambdaErrorCauseSchema.safeParse(JSON.parse(message));
    if (parsed.success) message = parsed.data.errorMessage;
  } catch {
    // Service-integration causes are plain text already.
  }
  return { error: caught.Error, message: message || caught.Error };
};

export const statusChangeFor = (params: RecordStatusEvent, at: string): StatusChange => {
  const failure = params.error === undefined ? undefined : failureFromCaught(params.error);
  const attributes: RunAttributes = { ...params.attributes };
  const detail: Record<string, unknown> = {};
  if (failure !== undefined) {
    attributes['failure'] = failure;
    Object.assign(detail, failure);
  }
  return {
    runId: params.runId,
    executionName: params.executionName,
    status: params.status,
    at,
    attributes,
    ...(Object.keys(detail).length === 0 ? {} : { detail }),
  };
};

/** The RecordStatus Lambda's step: a Record* state's event -> the run's status change, written. */
export const recordRunStatus = async (
  deps: { store: RunStore; now: () => Date },
  params: RecordStatusEvent,
): Promise<RecordStatusResult> => {
  await deps.store.writeStatusChange(statusChangeFor(params, deps.now().toISOString()));
  return { runId: params.runId, status: params.status };
};
