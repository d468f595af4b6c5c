import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readClassDocuments } from '../../../src/importers/classes';
import type { ImportedDocument } from '../../../src/importers/types';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'doctrain-classes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const touch = async (relative: string): Promise<void> => {
  await mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
  await writeFile(path.join(dir, relative), 'x');
};

const collect = async (input: string): Promise<{ docs: ImportedDocument[]; skipped: string[] }> => {
  const skipped: string[] = [];
  const docs: ImportedDocument[] = [];
  for await (const doc of readClassDocuments(input, { onSkip: (item, reason) => skipped.push(`${item}: ${reason}`) })) docs.push(doc);
  return { docs, skipped };
};

describe('classes importer', () => {
  it('reads a folder per class as class annotations, the class from the folder name', async () => {
    // Prepare
    await touch('Purchase Order/po-1.pdf');
    await touch('invoice/a.png');
    await touch('invoice/notes.txt');
    // Act
    const { docs, skipped } = await collect(dir);
    // Assess
    expect(docs.map((d) => [d.id, d.annotation])).toEqual([
      ['purchase_order/po-1', { schemaVersion: 1, class: 'purchase_order' }],
      ['invoice/a', { schemaVersion: 1, class: 'invoice' }],
    ]);
    expect(skipped).toEqual([expect.stringMatching(/^invoice\/notes.txt: not a document type/)]);
  });

  it('reads an RVL-CDIP labels file: class names or RVL-CDIP indices, paths relative to the file', async () => {
    // Prepare
    await touch('images/a/1.tif');
    await touch('images/b/2.tif');
    await writeFile(path.join(dir, 'train.txt'), 'images/a/1.tif 11\nimages/b/2.tif memo\nimages/c/3.tif 0\nimages/a/1.tif 99\n');
    // Act
    const { docs, skipped } = await collect(path.join(dir, 'train.txt'));
    // Assess
    expect(docs.map((d) => [d.id, d.annotation])).toEqual([
      ['images/a/1', { schemaVersion: 1, class: 'invoice' }],
      ['images/b/2', { schemaVersion: 1, class: 'memo' }],
    ]);
    expect(skipped).toEqual(['train.txt:3: images/c/3.tif not found', expect.stringMatching(/^train.txt:4: class "99" is no class name/)]);
  });
});
