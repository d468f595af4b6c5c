/**
 * The model lineage in DynamoDB (src/contracts/lineage.ts): the champion pointer, the champions before it,
 * the last COMPLETED run, and the append-only history. The pointer changes only by a write conditioned on
 * the `version` its writer read, so of two runs that finish at once exactly one becomes champion; the
 * other's write fails (`superseded`) and that run is recorded as rejected.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryByPrefix } from '../aws/dynamodb-client';
import {
  LINEAGE_HISTORY_PREFIX,
  LINEAGE_SK,
  MAX_PREVIOUS_CHAMPIONS,
  lineageHistoryItemSchema,
  lineageHistorySk,
  lineageItemSchema,
  lineagePk,
  type LineageAction,
  type LineageHistoryItem,
  type LineageItem,
  type LineageModel,
} from '../contracts/lineage';
import { parseOrThrow } from '../validation';

/** What a champion change is conditioned on: the lineage version its decider read (0: no lineage item yet). */
export interface ChampionChange {
  modelName: string;
  expectedVersion: number;
  champion: LineageModel;
  /** Earlier champions after the change, newest last (a promotion pushes the old champion, a rollback pops). */
  previous: readonly LineageModel[];
  at: string;
  /** A promotion also records the run as the lineage's last COMPLETED one. */
  completed?: { runId: string; fingerprint: string };
}

export interface HistoryEntry {
  modelName: string;
  at: string;
  action: LineageAction;
  runId: string;
  by: string;
  reason: string;
  championBefore: string | null;
  championAfter: string | null;
  /** Anything else worth keeping with the decision (the promotion's figures). */
  detail?: Record<string, unknown>;
}

/** An empty lineage: what a model name without any item reads as. */
export const emptyLineage = (modelName: string, at: string): LineageItem => ({
  pk: lineagePk(modelName),
  sk: LINEAGE_SK,
  modelName,
  version: 0,
  champion: null,
  previous: [],
  updatedAt: at,
});

export class LineageStore {
  public constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async get(modelName: string): Promise<LineageItem | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: lineagePk(modelName), sk: LINEAGE_SK }, ConsistentRead: true }),
    );
    return result.Item === undefined ? undefined : parseOrThrow(lineageItemSchema, result.Item, `lineage ${modelName}`);
  }

  /**
   * Makes `champion` the champion if the lineage is still at `expectedVersion`; `superseded` if another
   * change got there first (nothing written). The old champion is the caller's to put in `previous`.
   */
  public async changeChampion(change: ChampionChange): Promise<'changed' | 'superseded'> {
    const previous = change.previous.slice(-MAX_PREVIOUS_CHAMPIONS);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: lineagePk(change.modelName), sk: LINEAGE_SK },
          UpdateExpression: `SET modelName = :name, version = :next, champion = :champion, previous = :previous, updatedAt = :at${
            change.completed === undefined ? '' : ', lastCompleted = :completed'
          }`,
          ConditionExpression:
            change.expectedVersion === 0 ? 'attribute_not_exists(version) OR version = :expected' : 'version = :expected',
          ExpressionAttributeValues: {
            ':name': change.modelName,
            ':expected': change.expectedVersion,
            ':next': change.expectedVersion + 1,
            ':champion': change.champion,
            ':previous': previous,
            ':at': change.at,
            ...(change.completed === undefined ? {} : { ':completed': { ...change.completed, at: change.at } }),
          },
        }),
      );
      return 'changed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'superseded';
      throw error;
    }
  }

  /** The champion's model package, once registered (only while that run is still champion). */
  public async setChampionPackage(modelName: string, runId: string, modelPackageArn: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: lineagePk(modelName), sk: LINEAGE_SK },
          UpdateExpression: 'SET champion.modelPackageArn = :arn',
          ConditionExpression: 'champion.runId = :runId',
          ExpressionAttributeValues: { ':arn': modelPackageArn, ':runId': runId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records a COMPLETED run that did not become champion as the lineage's last COMPLETED run (creating the lineage if need be). */
  public async recordCompleted(modelName: string, completed: { runId: string; fingerprint: string }, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: lineagePk(modelName), sk: LINEAGE_SK },
        UpdateExpression:
          'SET modelName = :name, lastCompleted = :completed, updatedAt = :at, version = if_not_exists(version, :zero), champion = if_not_exists(champion, :none), previous = if_not_exists(previous, :empty)',
        ExpressionAttributeValues: {
          ':name': modelName,
          ':completed': { ...completed, at },
          ':at': at,
          ':zero': 0,
          ':none': null,
          ':empty': [],
        },
      }),
    );
  }

  /** Appends one history entry (its key is derived from it: a retried write puts the same item). */
  public async appendHistory(entry: HistoryEntry): Promise<void> {
    const { modelName, detail, ...rest } = entry;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: lineagePk(modelName),
          sk: lineageHistorySk(entry.at, entry.runId),
          ...rest,
          ...(detail === undefined ? {} : { detail }),
        },
      }),
    );
  }

  /** The lineage's history, oldest first. */
  public async history(modelName: string): Promise<LineageHistoryItem[]> {
    const items = await queryByPrefix(this.db, this.tableName, lineagePk(modelName), LINEAGE_HISTORY_PREFIX);
    return items.map((raw) => parseOrThrow(lineageHistoryItemSchema, raw, `lineage ${modelName} history ${String(raw['sk'])}`));
  }
}
