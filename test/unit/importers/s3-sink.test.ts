/** The documents layout written under an S3 prefix (a real local S3, s3rver), as `--bucket` and `doctrain run --format` do. */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBytes, getJson, listKeys } from '../../../src/aws/s3-objects';
import { readLabelledWords, s3Sink, writeDocumentsLayout } from '../../../src/importers';
import { startLocalS3, type LocalS3 } from '../local/helpers';
import { fixtureDir, type FixtureDir } from './fixtures';

const BUCKET = 'import-sink-test';
let s3: LocalS3;
let fixture: FixtureDir;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  fixture = await fixtureDir();
});
afterAll(async () => {
  await s3?.close();
  await fixture?.remove();
});

describe('s3Sink', () => {
  it('puts each imported document and its annotation under the prefix', async () => {
    // Prepare
    const image = await fixture.png('scans/r1.png', 400, 1000);
    const csv = await fixture.text('labels.csv', 'document,text,label\nscans/r1.png,TOTAL,total\n');

    // Act
    const written = await writeDocumentsLayout(readLabelledWords(csv), s3Sink(s3.client, BUCKET, 'imports/'));

    // Assess
    expect(written).toEqual([{ id: 'scans/r1', documentKey: 'scans/r1.png', annotationKey: 'scans/r1.json' }]);
    expect(await listKeys(s3.client, BUCKET, 'imports/')).toEqual(['imports/scans/r1.json', 'imports/scans/r1.png']);
    expect(Buffer.from(await getBytes(s3.client, { bucket: BUCKET, key: 'imports/scans/r1.png' }))).toEqual(await readFile(image));
    expect(await getJson(s3.client, { bucket: BUCKET, key: 'imports/scans/r1.json' })).toEqual({
      schemaVersion: 1,
      words: [{ text: 'TOTAL', label: 'total' }],
    });
  });
});
