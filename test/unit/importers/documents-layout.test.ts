import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/contracts/errors';
import { folderSink, writeDocumentsLayout, type DocumentsSink, type ImportedDocument } from '../../../src/importers';
import { fixtureDir, type FixtureDir } from './fixtures';

async function* from(documents: ImportedDocument[]): AsyncIterable<ImportedDocument> {
  for (const document of documents) yield await Promise.resolve(document);
}

/** Records what would be written, and where. */
const memorySink = (): DocumentsSink & { objects: Map<string, { body: Uint8Array | string; contentType: string }> } => {
  const objects = new Map<string, { body: Uint8Array | string; contentType: string }>();
  return {
    where: 'memory:/',
    objects,
    put: (key, body, contentType) => {
      objects.set(key, { body, contentType });
      return Promise.resolve();
    },
  };
};

let fixture: FixtureDir;
beforeEach(async () => {
  fixture = await fixtureDir();
});
afterEach(async () => {
  await fixture.remove();
});

describe('writeDocumentsLayout', () => {
  it('writes each document with its annotation beside it, the extension lower-cased', async () => {
    // Prepare
    const image = await fixture.png('in/Scan 1.PNG', 10, 10);
    const sink = memorySink();

    // Act
    const written = await writeDocumentsLayout(
      from([{ id: 'batch-a/Scan 1', documentPath: image, annotation: { schemaVersion: 1, fields: { total: '8.32' } } }]),
      sink,
    );

    // Assess
    expect(written).toEqual([{ id: 'batch-a/Scan 1', documentKey: 'batch-a/Scan 1.png', annotationKey: 'batch-a/Scan 1.json' }]);
    expect(sink.objects.get('batch-a/Scan 1.png')?.contentType).toBe('image/png');
    expect(Buffer.from(sink.objects.get('batch-a/Scan 1.png')?.body ?? '')).toEqual(await readFile(image));
    expect(JSON.parse(String(sink.objects.get('batch-a/Scan 1.json')?.body))).toEqual({ schemaVersion: 1, fields: { total: '8.32' } });
  });

  it('writes into a folder, creating sub-folders', async () => {
    // Prepare
    const image = await fixture.png('in/a.png', 10, 10);

    // Act
    await writeDocumentsLayout(
      from([{ id: 'x/a', documentPath: image, annotation: { schemaVersion: 1, words: [] } }]),
      folderSink(`${fixture.dir}/out`),
    );

    // Assess
    expect(await readFile(`${fixture.dir}/out/x/a.png`)).toEqual(await readFile(image));
    expect(JSON.parse(await readFile(`${fixture.dir}/out/x/a.json`, 'utf8'))).toEqual({ schemaVersion: 1, words: [] });
  });

  it.each([
    [
      'an annotation outside the contract',
      { id: 'a', annotation: { schemaVersion: 1, boxes: [{ label: 'Total', box: { left: 0, top: 0, width: 1, height: 1 } }] } },
      /breaks the contract: boxes\.0\.label/,
    ],
    ['an id that climbs out of the folder', { id: '../a', annotation: { schemaVersion: 1, words: [] } }, /cannot name a file/],
  ])('refuses %s', async (_name, document, message) => {
    // Prepare
    const image = await fixture.png('a.png', 10, 10);

    // Act
    const result = writeDocumentsLayout(from([{ documentPath: image, ...document } as ImportedDocument]), memorySink());

    // Assess
    await expect(result).rejects.toThrow(InvalidInputError);
    await expect(result).rejects.toThrow(message);
  });

  it('refuses two documents with one id', async () => {
    // Prepare
    const a = await fixture.png('one/a.png', 10, 10);
    const b = await fixture.png('two/a.png', 10, 10);
    const annotation = { schemaVersion: 1 as const, words: [] };

    // Act
    const result = writeDocumentsLayout(
      from([
        { id: 'a', documentPath: a, annotation },
        { id: 'a', documentPath: b, annotation },
      ]),
      memorySink(),
    );

    // Assess
    await expect(result).rejects.toThrow(/two documents would both be "a"/);
  });
});
