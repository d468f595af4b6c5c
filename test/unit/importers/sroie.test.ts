import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { annotationSchema } from '../../../src/contracts/annotation';
import { InvalidInputError } from '../../../src/contracts/errors';
import { readSroieFolder, sroieKeyToAnnotation } from '../../../src/importers/sroie';
import type { FieldsAnnotation } from '../../../src/contracts/annotation';
import type { ImportedDocument } from '../../../src/importers/types';

interface SkippedEntry {
  readonly path: string;
  readonly reason: string;
}

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/sroie');

const readAll = async (dir: string): Promise<{ documents: ImportedDocument<FieldsAnnotation>[]; skipped: SkippedEntry[] }> => {
  const documents: ImportedDocument<FieldsAnnotation>[] = [];
  const skipped: SkippedEntry[] = [];
  for await (const doc of readSroieFolder(dir, { onSkip: (item, reason) => skipped.push({ path: item, reason }) })) documents.push(doc);
  return { documents, skipped };
};

let temp: string | undefined;
afterEach(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
  temp = undefined;
});

const folderWithKey = async (key: string): Promise<string> => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'doctrain-sroie-'));
  await mkdir(path.join(temp, 'img'));
  await mkdir(path.join(temp, 'key'));
  await writeFile(path.join(temp, 'img', '007.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
  await writeFile(path.join(temp, 'key', '007.json'), key);
  return temp;
};

describe('readSroieFolder', () => {
  it('pairs img/NNN.jpg with key/NNN.json as contract 1 annotations, in id order', async () => {
    // Act
    const { documents } = await readAll(FIXTURE);

    // Assess
    expect(documents.map((d) => [d.id, path.relative(FIXTURE, d.documentPath)])).toEqual([
      ['000', path.join('img', '000.jpg')],
      ['001', path.join('img', '001.jpg')],
    ]);
    expect(documents[0]?.annotation).toEqual({
      schemaVersion: 1,
      fields: {
        company: 'BOOK TA .K (TAMAN DAYA) SDN BHD',
        date: '25/12/2018',
        // A line break and doubled spaces inside a value are collapsed; the text is otherwise as printed.
        address: 'NO.53 55,57 & 59, JALAN SAGU 18, TAMAN DAYA, 81100 JOHOR BAHRU, JOHOR.',
        total: '9.00',
      },
    });
    for (const doc of documents) expect(annotationSchema.parse(doc.annotation)).toEqual(doc.annotation);
  });

  it('reads a key file with a byte order mark and leaves an empty value out', async () => {
    // Act
    const { documents } = await readAll(FIXTURE);

    // Assess: 001's total is "" in the key file.
    expect(documents[1]?.annotation.fields).toEqual({ company: 'INDAH GIFT & HOME DECO', date: '19/10/2018' });
  });

  it('reports an image without key fields and key fields without an image, and yields neither', async () => {
    // Act
    const { documents, skipped } = await readAll(FIXTURE);

    // Assess
    expect(documents.map((d) => d.id)).not.toContain('002');
    expect(documents.map((d) => d.id)).not.toContain('003');
    expect(skipped.map((s) => [path.relative(FIXTURE, s.path), s.reason])).toEqual([
      [path.join('key', '002.json'), 'key fields without an image in img/'],
      [path.join('img', '003.jpg'), 'no key fields: expected key/003.json'],
    ]);
  });

  it('rejects a key file that is not SROIE key fields, naming the file and the field', async () => {
    // Prepare
    const dir = await folderWithKey(JSON.stringify({ company: 'X', totl: '1.00' }));

    // Act / Assess
    await expect(readAll(dir)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(readAll(dir)).rejects.toThrow(/007\.json: not a SROIE key file: totl: unknown key/);
  });

  it('rejects a key file that is not JSON, and a folder that is not a SROIE folder', async () => {
    // Prepare
    const dir = await folderWithKey('{"company": ');

    // Act / Assess
    await expect(readAll(dir)).rejects.toThrow(/007\.json: not JSON/);
    await expect(readAll(path.join(dir, 'img'))).rejects.toThrow(
      /is not a SROIE folder: expected images under img\/ and key fields under key\//,
    );
  });
});

describe('sroieKeyToAnnotation', () => {
  it('keeps values as printed, collapsing whitespace only', () => {
    expect(sroieKeyToAnnotation({ company: '  99 SPEED  MART S/B ', date: '11/5/2018', total: 'RM 9.00' })).toEqual({
      schemaVersion: 1,
      fields: { company: '99 SPEED MART S/B', date: '11/5/2018', total: 'RM 9.00' },
    });
  });
});
