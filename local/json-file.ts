/**
 * The local services' JSON files on disk: read and parsed with their schema (absent: undefined), and
 * written atomically (a temporary file renamed over the old one), one write after the other per writer,
 * so the newest value is the one left and a reader never sees half a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { parseOrThrow } from '../src/validation';

export const readJsonFile = async <S extends z.ZodType>(file: string, schema: S): Promise<z.output<S> | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseOrThrow(schema, JSON.parse(text), file);
};

export class JsonFileWriter {
  private writing: Promise<void> = Promise.resolve();

  /** Queues the write of `value` to `file` (its folder made); resolves once it is on disk. */
  public write(file: string, value: unknown): Promise<void> {
    const write = async (): Promise<void> => {
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.tmp`;
      await writeFile(temporary, `${JSON.stringify(value)}\n`);
      await rename(temporary, file);
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  /** Resolves once every write queued so far has ended. */
  public async flushed(): Promise<void> {
    await this.writing.catch(() => undefined);
  }
}
