/** `doctrain run` refuses what it cannot run before it starts anything (the full run: test/integration/run-folder.test.ts). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../cli/program';
import { importFormatNames } from '../../../src/importers';
import { EXIT_CODES } from '../../../cli/exit-codes';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'doctrain-run-args-'));
  await writeFile(path.join(work, 'labels.csv'), 'document,text,label\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const run = async (args: string[]): Promise<{ code: number; errors: string[]; logs: string[] }> => {
  const errors: string[] = [];
  const logs: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((message: unknown) => errors.push(String(message)));
  const log = vi.spyOn(console, 'log').mockImplementation((message: unknown) => logs.push(String(message)));
  try {
    return { code: await runCli(['run', ...args]), errors, logs };
  } finally {
    error.mockRestore();
    log.mockRestore();
  }
};

describe('doctrain run: arguments', () => {
  it.each([
    ['a folder that does not exist', () => [path.join(work, 'nowhere')], 'does not exist', EXIT_CODES.notFound],
    [
      'a file without --format',
      () => [path.join(work, 'labels.csv')],
      'is not a folder: give a folder in the documents layout, or --format FORMAT to import it',
      EXIT_CODES.usage,
    ],
    [
      '--format with an s3:// prefix',
      () => ['s3://doctrain-local/uploads/x/', '--format', 'words'],
      '--format imports local files',
      EXIT_CODES.usage,
    ],
    [
      'an unknown --format',
      () => [work, '--format', 'labelbox'],
      `unknown import format "labelbox": known are ${importFormatNames().join(', ')}`,
      EXIT_CODES.usage,
    ],
    ['a stage name that is a path', () => [work, '--stage', '../prod'], '--stage must be letters, digits', EXIT_CODES.usage],
    ['a folder with no document', () => [work], 'has no usable document', EXIT_CODES.usage],
  ])('refuses %s before starting the local AWS', async (_name, args, message, exitCode) => {
    // Act
    const result = await run(args());

    // Assess
    expect(result.code).toBe(exitCode);
    expect(result.errors.join('\n')).toContain(message);
    expect(result.logs.join('\n')).not.toContain('local AWS up');
  });
});
