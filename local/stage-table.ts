/**
 * A persistent local stage's run table, for a command that only reads or writes records (`doctrain
 * status|runs|stop --stage`): the holder's DynamoDB when a process holds the stage (`doctrain local up`,
 * a `doctrain run` in progress: local/stage-lock.ts), else the stage's own folder opened for the command
 * alone (dynalite on disk, the stage held meanwhile). Nothing else of the local AWS is started.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '../src/aws/clients';
import { localClientConfig } from './clients';
import { startLocalDynamoDB } from './dynamodb';
import { LOCAL_TABLE } from './resources';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireStageLock, stageHolder, StageInUseError, type StageLock } from './stage-lock';

export interface StageTable {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /** Where the records were read: the holder's endpoint or the stage's folder. */
  via: string;
  close: () => Promise<void>;
}

/** The stage in `dataDir` has no DynamoDB folder: no `doctrain run` (or `local up`) has used it yet. */
export class StageNotFoundError extends Error {
  public override readonly name = 'StageNotFoundError';
  public constructor(public readonly dataDir: string) {
    super(`no local stage in ${dataDir}`);
  }
}

/**
 * The stage's DynamoDB folder; a folder no `doctrain run` or `local up` has used is StageNotFoundError, so
 * that a command reading a stage never creates an empty one (cli/stage.ts and openStageTable alike).
 */
export const requireLocalStage = (dataDir: string): string => {
  const folder = path.join(dataDir, 'dynamodb');
  if (!existsSync(folder)) throw new StageNotFoundError(dataDir);
  return folder;
};

const BRIEF_WAIT_MS = 30_000;

const acquireBriefly = async (dataDir: string, owner: string): Promise<StageLock> => {
  const until = Date.now() + BRIEF_WAIT_MS;
  for (;;) {
    try {
      return await acquireStageLock(dataDir, owner, { brief: true });
    } catch (error) {
      if (!(error instanceof StageInUseError && error.holder.brief === true && Date.now() < until)) throw error;
      await sleep(100);
    }
  }
};

export const openStageTable = async (dataDir: string, owner: string): Promise<StageTable> => {
  const holder = stageHolder(dataDir);
  if (holder?.endpoints !== undefined) {
    const dynamo = createDynamoDocumentClient(localClientConfig(holder.endpoints.dynamodb));
    return {
      dynamo,
      tableName: LOCAL_TABLE,
      via: `${holder.endpoints.dynamodb} (served by PID ${holder.pid}, ${holder.owner})`,
      close: () => Promise.resolve(dynamo.destroy()),
    };
  }
  const folder = requireLocalStage(dataDir);
  // Free: taken for the command. Held by another brief command: its turn is over within seconds, so wait
  // for it. Held by anything else (a start in progress): acquiring names the holder.
  const lock = await acquireBriefly(dataDir, owner);
  try {
    const server = await startLocalDynamoDB({ path: folder });
    const dynamo = createDynamoDocumentClient(localClientConfig(server.endpoint));
    return {
      dynamo,
      tableName: LOCAL_TABLE,
      via: dataDir,
      close: async () => {
        dynamo.destroy();
        await server.close();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
};
