/**
 * DynamoDB status writer and reader for run records (contract: docs/CONTRACTS.md section 5).
 * Two writes per status change, both idempotent: a conditional update of the record that can never move
 * its status backwards, then an append-only event whose key is derived from the change itself, so a
 * retried state writes the same event again instead of a duplicate.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { queryByPrefix } from '../aws/dynamodb-client';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RunConflictError, StatusRegressionError } from '../contracts/errors';
import {
  RUN_SK,
  STORE_KEYS,
  eventSk,
  runEventItemSchema,
  runPk,
  runRecordSchema,
  type RunAttributes,
  type RunRecord,
  type StopRequest,
} from '../contracts/run-record';
import { parseOrThrow } from '../validation';
import {
  RUN_STATUSES,
  TRANSITION_CONDITION,
  isTerminal,
  statusRank,
  transitionConditionValues,
  type RunStatus,
} from '../contracts/run-status';

export interface StatusChange {
  runId: string;
  /** The Step Functions execution that owns the run; only it may write the record. */
  executionName: string;
  status: RunStatus;
  /** ISO-8601 time of the change. */
  at: string;
  /** Attributes merged into the run record (metrics, job name, failure, ...; each declared in run-record.ts). */
  attributes?: RunAttributes;
  /** Distinguishes repeated events of one status (e.g. training progress); part of the event key. */
  progressKey?: string;
  /** Free-form detail kept on the event only. */
  detail?: Record<string, unknown>;
}

export interface RunEvent {
  status: RunStatus;
  at: string;
  progressKey?: string;
  detail?: Record<string, unknown>;
}

export type { RunRecord } from '../contracts/run-record';

const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set(STORE_KEYS);

export class RunStore {
  public constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Moves the run record to the change's status (never backwards, never again once terminal) and appends
   * the change's event. `unchanged`: the owner wrote the run's terminal status again (a retried FinalizeRun
   * or Record* state); the first terminal write stands, record and history stay as they were.
   */
  public async writeStatusChange(change: StatusChange): Promise<'written' | 'unchanged'> {
    if ((await this.updateRecord(change)) === 'unchanged') return 'unchanged';
    await this.appendEvent(change);
    return 'written';
  }

  private async updateRecord(change: StatusChange): Promise<'written' | 'unchanged'> {
    const names: Record<string, string> = { '#status': 'status', '#rank': 'statusRank', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = {
      ...transitionConditionValues(change.status),
      ':at': change.at,
      ':runId': change.runId,
      ':exec': change.executionName,
    };
    const sets = [
      '#status = :status',
      '#rank = :rank',
      '#updatedAt = :at',
      'createdAt = if_not_exists(createdAt, :at)',
      'runId = :runId',
      'executionName = :exec',
    ];
    Object.entries(change.attributes ?? {}).forEach(([key, value], index) => {
      if (RESERVED_ATTRIBUTES.has(key) || value === undefined) return;
      names[`#a${index}`] = key;
      values[`:a${index}`] = value;
      sets.push(`#a${index} = :a${index}`);
    });
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runPk(change.runId), sk: RUN_SK },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // A new run, or this execution's own run moving as canTransition allows (run-status.ts). The
          // execution a run was handed to (continue-as-new: `continuedBy`) owns it from its first write on.
          ConditionExpression: `attribute_not_exists(pk) OR ((executionName = :exec OR continuedBy = :exec) AND ${TRANSITION_CONDITION})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = await this.getRun(change.runId);
        const owner =
          current !== undefined && (current.executionName === change.executionName || current.continuedBy === change.executionName);
        if (current !== undefined && !owner) {
          throw new RunConflictError(
            `Run ${change.runId} already exists (status ${current.status}) and belongs to execution ${current.executionName}; start this execution with another runId, or leave runId out to use the execution name`,
            { cause: error },
          );
        }
        // A terminal record is final: the owner's repeat of the same terminal status is a retry, not an error.
        if (current !== undefined && current.status === change.status && isTerminal(current.status)) return 'unchanged';
        throw new StatusRegressionError(
          `Run ${change.runId} is ${current?.status ?? 'unknown'}; refusing to record ${change.status} (status never moves backwards)`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async appendEvent(change: StatusChange): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: runPk(change.runId),
            sk: eventSk(change.status, change.progressKey),
            eventStatus: change.status,
            at: change.at,
            ...(change.progressKey === undefined ? {} : { progressKey: change.progressKey }),
            ...(change.detail === undefined ? {} : { detail: change.detail }),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      // The same change was recorded before (a retried state): history stays append-only and unchanged.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Asks the run's poll loop to stop its training job (`doctrain stop`): an attribute on the record, written
   * only while the run is not terminal; the loop reads it on its next poll. Idempotent (the first request stays).
   */
  public async requestStop(runId: string, request: StopRequest): Promise<'requested' | 'already-requested' | 'terminal' | 'unknown'> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runPk(runId), sk: RUN_SK },
          UpdateExpression: 'SET stopRequested = if_not_exists(stopRequested, :request)',
          ConditionExpression: 'attribute_exists(pk) AND #rank < :terminal',
          ExpressionAttributeNames: { '#rank': 'statusRank' },
          ExpressionAttributeValues: { ':request': request, ':terminal': statusRank('COMPLETED') },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return result.Attributes?.['stopRequested'] === undefined ? 'requested' : 'already-requested';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.getRun(runId)) === undefined ? 'unknown' : 'terminal';
    }
  }

  public async getRun(runId: string): Promise<RunRecord | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: runPk(runId), sk: RUN_SK }, ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : parseOrThrow(runRecordSchema, result.Item, `run record ${runId}`);
  }

  public async listEvents(runId: string): Promise<RunEvent[]> {
    const events = (await queryByPrefix(this.db, this.tableName, runPk(runId), 'EVENT#')).map((raw): RunEvent => {
      const item = parseOrThrow(runEventItemSchema, raw, `run event ${runId} ${String(raw['sk'])}`);
      return {
        status: item.eventStatus,
        at: item.at,
        ...(item.progressKey === undefined ? {} : { progressKey: item.progressKey }),
        ...(item.detail === undefined ? {} : { detail: item.detail }),
      };
    });
    // Keys group events by status rank; within a rank, time orders them (progress keys are not ordinal).
    return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /** Newest first, via the byStatus index. */
  public async listRunsByStatus(status: RunStatus, limit = 20): Promise<RunRecord[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => parseOrThrow(runRecordSchema, item, `run record in byStatus ${status}`));
  }
}

export const isRunStatus = (value: unknown): value is RunStatus =>
  typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
