/** Tiny import fixtures written per test into a temp folder: blank PNGs of a given size and text files. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import type { ImportedDocument } from '../../../src/importers';

export interface FixtureDir {
  readonly dir: string;
  png(relative: string, width: number, height: number): Promise<string>;
  text(relative: string, body: string): Promise<string>;
  remove(): Promise<void>;
}

export const fixtureDir = async (): Promise<FixtureDir> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'doctrain-import-'));
  const write = async (relative: string, body: Uint8Array | string): Promise<string> => {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, body);
    return target;
  };
  return {
    dir,
    png: (relative, width, height) => {
      const canvas = createCanvas(width, height);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      return write(relative, canvas.toBuffer('image/png'));
    },
    text: (relative, body) => write(relative, body),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
};

export const collect = async (documents: AsyncIterable<ImportedDocument>): Promise<ImportedDocument[]> => {
  const out: ImportedDocument[] = [];
  for await (const document of documents) out.push(document);
  return out;
};

/** Skips reported by an importer, as [item, reason]. */
export const skipRecorder = (): { skipped: [string, string][]; onSkip: (item: string, reason: string) => void } => {
  const skipped: [string, string][] = [];
  return { skipped, onSkip: (item, reason) => skipped.push([item, reason]) };
};
