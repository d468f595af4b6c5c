/** One process at a time holds a persistent local stage (local/stage-lock.ts). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireStageLock, stageHolder, stageLockFile, StageInUseError } from '../../../local/stage-lock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stage-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid no process has: above the kernel's pid_max (4194304 at most). */
const GONE_PID = 99_999_999;

describe('stage lock', () => {
  it('is held by one holder at a time, names it, and is free again once released', async () => {
    // Prepare
    const lock = await acquireStageLock(dir, 'doctrain local up');

    // Act
    const second = acquireStageLock(dir, 'doctrain run ./receipts');

    // Assess
    await expect(second).rejects.toBeInstanceOf(StageInUseError);
    await expect(second).rejects.toThrow(`in use by PID ${process.pid} (doctrain local up, since `);
    expect(stageHolder(dir)?.owner).toBe('doctrain local up');
    await lock.release();
    expect(stageHolder(dir)).toBeUndefined();
    await (await acquireStageLock(dir, 'doctrain run ./receipts')).release();
  });

  it("publishes the holder's endpoints", async () => {
    // Prepare
    const lock = await acquireStageLock(dir, 'doctrain local up');
    const endpoints = {
      s3: 'http://127.0.0.1:4566',
      dynamodb: 'http://127.0.0.1:4567',
      textract: 'http://127.0.0.1:4568',
      sagemaker: 'http://127.0.0.1:4569',
      eventbridge: 'http://127.0.0.1:4570',
      ecr: 'http://127.0.0.1:4571',
      serviceQuotas: 'http://127.0.0.1:4572',
    };

    // Act
    await lock.setEndpoints(endpoints);

    // Assess
    expect(stageHolder(dir)?.endpoints).toEqual(endpoints);
    await lock.release();
  });

  it.each([
    ['whose process is gone', JSON.stringify({ pid: GONE_PID, owner: 'doctrain run', since: '2026-01-01T00:00:00Z' })],
    ['cut short while written', '{"pid": 12'],
  ])('takes over a stale lock %s', async (_name, content) => {
    // Prepare
    await writeFile(stageLockFile(dir), content);

    // Act
    const lock = await acquireStageLock(dir, 'doctrain status');

    // Assess
    expect(stageHolder(dir)?.pid).toBe(process.pid);
    await lock.release();
  });
});
