/**
 * NotifyRun: the run's outcome as EventBridge events (src/contracts/notification.ts), built from the run
 * record once it is final: `Run Completed|Failed|Skipped|Stopped` or `Budget Exceeded`, and for a
 * COMPLETED run `Model Promoted` or `Promotion Rejected`. A notification that cannot be sent never
 * changes the run's outcome (the ASL catches it); PutEvents entries that fail are retried by the ASL.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { s3Uri } from '../../aws/s3-objects';
import { NotificationError } from '../../contracts/errors';
import { NOTIFICATION_SOURCE, type NotificationDetail, type NotificationDetailType } from '../../contracts/notification';
import type { RunRecord } from '../../contracts/run-record';
import type { RunStatus } from '../../contracts/run-status';
import { isTerminal } from '../../contracts/run-status';
import { promotionKey } from '../../contracts/s3-layout';
import { challengerScores } from '../../retrain/promotion';
import type { LineageStore } from '../../status/lineage-store';
import type { RunStore } from '../../status/run-store';
import type { NotifyRunEvent, NotifyRunResult } from './schema';

const OUTCOME_EVENT: Partial<Record<RunStatus, NotificationDetailType>> = {
  COMPLETED: 'Run Completed',
  FAILED: 'Run Failed',
  SKIPPED: 'Run Skipped',
  STOPPED: 'Run Stopped',
  BUDGET_EXCEEDED: 'Budget Exceeded',
};

/** The events of a final run record: its outcome, then its promotion decision. */
export const notificationsFor = (
  run: RunRecord,
  champion: string | null,
  bucket: string,
  at: string,
): { detailType: NotificationDetailType; detail: NotificationDetail }[] => {
  const outcome = OUTCOME_EVENT[run.status];
  if (outcome === undefined) return [];
  const scores = challengerScores(run.metrics ?? {});
  const promotion = run.promotion;
  const lastTraining = run.cost?.training.at(-1);
  const detail: NotificationDetail = {
    schemaVersion: 1,
    runId: run.runId,
    modelName: run.modelName ?? 'unknown',
    status: run.status,
    ...(run.trigger === undefined ? {} : { trigger: run.trigger }),
    at,
    ...((promotion?.reason ?? run.failure?.message ?? run.retrain?.reason ?? run.stoppedBecause) === undefined
      ? {}
      : { reason: promotion?.reason ?? run.failure?.message ?? run.retrain?.reason ?? run.stoppedBecause }),
    metrics: { entityF1: scores?.entityF1 ?? null, fields: scores?.fields ?? {} },
    champion:
      promotion === undefined
        ? { before: champion, after: champion }
        : { before: promotion.championBefore, after: promotion.championAfter },
    ...(promotion === undefined
      ? {}
      : {
          promotion: {
            decision: promotion.decision,
            rule: promotion.rule,
            ...(promotion.modelPackageArn === undefined ? {} : { modelPackageArn: promotion.modelPackageArn }),
          },
        }),
    ...(run.cost === undefined
      ? {}
      : {
          cost: {
            totalUsd: run.cost.totalUsd,
            trainingUsd: run.cost.trainingUsd,
            textractPages: run.cost.textract.pages,
            spotSavingsPercent: lastTraining?.spotSavingsPercent ?? null,
          },
        }),
    report: {
      command: `doctrain status ${run.runId}`,
      ...(run.modelArtifactUri === undefined ? {} : { modelArtifactUri: run.modelArtifactUri }),
      ...(run.datasetUri === undefined ? {} : { datasetUri: s3Uri({ bucket, key: run.datasetUri }) }),
      ...(promotion === undefined ? {} : { promotionUri: s3Uri({ bucket, key: promotionKey(run.modelName ?? 'unknown', run.runId) }) }),
    },
  };
  const events: { detailType: NotificationDetailType; detail: NotificationDetail }[] = [{ detailType: outcome, detail }];
  if (promotion !== undefined)
    events.push({ detailType: promotion.decision === 'promoted' ? 'Model Promoted' : 'Promotion Rejected', detail });
  return events;
};

export const notifyRun = async (
  deps: { eventBridge: EventBridgeClient; store: RunStore; lineage: LineageStore; eventBus: string; now: () => Date },
  event: NotifyRunEvent,
): Promise<NotifyRunResult> => {
  const run = await deps.store.getRun(event.runId);
  if (run === undefined || !isTerminal(run.status)) {
    throw new NotificationError(`run ${event.runId} is ${run?.status ?? 'not recorded'}: only a final run is notified`);
  }
  const lineage = run.modelName === undefined ? undefined : await deps.lineage.get(run.modelName);
  const events = notificationsFor(run, lineage?.champion?.runId ?? null, event.bucket, deps.now().toISOString());
  if (events.length === 0) return { sent: [], eventIds: [] };
  const result = await deps.eventBridge.send(
    new PutEventsCommand({
      Entries: events.map(({ detailType, detail }) => ({
        EventBusName: deps.eventBus,
        Source: NOTIFICATION_SOURCE,
        DetailType: detailType,
        Detail: JSON.stringify(detail),
      })),
    }),
  );
  const failed = (result.Entries ?? []).filter((entry) => entry.ErrorCode !== undefined);
  if ((result.FailedEntryCount ?? 0) > 0 || failed.length > 0) {
    throw new NotificationError(
      `PutEvents refused ${result.FailedEntryCount ?? failed.length} of ${events.length} notifications of run ${run.runId}: ${failed.map((entry) => `${entry.ErrorCode ?? ''} ${entry.ErrorMessage ?? ''}`).join('; ')}`,
    );
  }
  return {
    sent: events.map((entry) => entry.detailType),
    eventIds: (result.Entries ?? []).flatMap((entry) => (entry.EventId === undefined ? [] : [entry.EventId])),
  };
};
