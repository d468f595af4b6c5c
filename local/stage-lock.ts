/**
 * One process at a time holds a persistent local stage: its DynamoDB is a LevelDB folder that only one
 * dynalite may open (a second one dies later with dynalite's "Database is closed"). The holder writes
 * `<dataDir>/stage.lock.json` (its pid, what it is, and the endpoints it serves once they listen), created
 * exclusively; a lock whose process is gone is stale and taken over. Another process reads the holder to
 * say who holds the stage, or to talk to the holder's endpoints instead of opening the folder itself.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { LocalEndpoints } from './clients';

export const stageLockFile = (dataDir: string): string => path.join(dataDir, 'stage.lock.json');

const stageHolderSchema = z.strictObject({
  pid: z.number().int().positive(),
  /** What holds it, e.g. `doctrain local up`. */
  owner: z.string(),
  since: z.string(),
  /** A command that holds the stage for a moment (a read of its records): another one waits for it instead of failing. */
  brief: z.boolean().optional(),
  /** The holder's local AWS endpoints, once they listen. */
  endpoints: z
    .strictObject({
      s3: z.string(),
      dynamodb: z.string(),
      textract: z.string(),
      sagemaker: z.string(),
      ecr: z.string(),
      serviceQuotas: z.string(),
      eventbridge: z.string(),
      /** The local Step Functions API, where the holder serves one (`doctrain local up`). */
      stepFunctions: z.string().optional(),
    })
    .optional(),
});
export type StageHolder = z.infer<typeof stageHolderSchema>;

/** The stage is held by another live process. */
export class StageInUseError extends Error {
  public override readonly name = 'StageInUseError';
  public constructor(
    public readonly dataDir: string,
    public readonly holder: StageHolder,
  ) {
    super(`the local stage in ${dataDir} is in use by PID ${holder.pid} (${holder.owner}, since ${holder.since})`);
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readLock = (dataDir: string): StageHolder | undefined => {
  let text: string;
  try {
    text = readFileSync(stageLockFile(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined; // a holder killed while writing it: stale
  }
  const parsed = stageHolderSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
};

/** The live process holding the stage in `dataDir`, if any (a stale lock is none). */
export const stageHolder = (dataDir: string): StageHolder | undefined => {
  const holder = readLock(dataDir);
  return holder !== undefined && isAlive(holder.pid) ? holder : undefined;
};

export interface StageLock {
  /** Records the endpoints this holder serves, for other processes. */
  setEndpoints(endpoints: LocalEndpoints & { stepFunctions?: string }): Promise<void>;
  release(): Promise<void>;
}

/** Takes the stage in `dataDir` (which exists) for this process, or throws StageInUseError naming the holder. */
export const acquireStageLock = async (dataDir: string, owner: string, options: { brief?: boolean } = {}): Promise<StageLock> => {
  const file = stageLockFile(dataDir);
  const holder: StageHolder = {
    pid: process.pid,
    owner,
    since: new Date().toISOString(),
    ...(options.brief === true ? { brief: true } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, JSON.stringify(holder), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const current = stageHolder(dataDir);
      if (current !== undefined) throw new StageInUseError(dataDir, current);
      await rm(file, { force: true }); // stale: its process is gone
    }
  }
  return {
    setEndpoints: (endpoints) => writeFile(file, JSON.stringify({ ...holder, endpoints } satisfies StageHolder)),
    release: () => rm(file, { force: true }),
  };
};
