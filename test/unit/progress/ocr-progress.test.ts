/**
 * The OCR count of a run from its objects in S3 (the same on AWS and locally): the total from the plan's
 * Map items, the documents done from the batch results that have landed, a pending async job not done,
 * and a complete batch read only once.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION_SCHEMA_VERSION } from '../../../src/contracts/annotation';
import type { OcrBatchFile } from '../../../src/contracts/objects';
import { ocrMapItemsKey, ocrResultKey, runPrefix } from '../../../src/contracts/s3-layout';
import { OcrProgressReader } from '../../../src/progress/ocr-progress';
import { startLocalS3, type LocalS3 } from '../local/helpers';

const BUCKET = 'ocr-progress-test';
const RUN = 'run-20261206000000002';
const HASH = 'a'.repeat(64);

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
}, 20_000);
afterAll(async () => {
  await s3?.close();
});

const put = (key: string, value: unknown) =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(value) }));

const doc = (id: string, cacheHit: boolean) => ({
  id,
  key: `documents/${id}.png`,
  annotationKey: `documents/${id}.json`,
  contentHash: HASH,
  annotationHash: HASH,
  ocrKey: `ocr-cache/${HASH}.json`,
  cacheHit,
  annotation: { schemaVersion: ANNOTATION_SCHEMA_VERSION, fields: { total: '1.00' } },
});

const batch = (batchIndex: number, file: Partial<OcrBatchFile>): OcrBatchFile => ({
  schemaVersion: 2,
  batchIndex,
  documents: [],
  quarantined: [],
  pending: [],
  polls: 0,
  cacheHits: 0,
  pagesBilled: 0,
  ...file,
});

describe('OCR progress', () => {
  it('counts the documents of the batch results landed so far against the plan', async () => {
    const prefix = runPrefix(RUN);
    const reader = new OcrProgressReader(s3.client, BUCKET, RUN);

    // Before the plan: nothing known
    expect(await reader.read()).toEqual({ total: undefined, batches: undefined, done: 0, quarantined: 0, cacheHits: 0, batchesDone: 0 });

    // Prepare: a plan of 3 batches (2 + 2 + 1 documents); batch 0 done (a cache hit), batch 1 with a pending async job
    await put(ocrMapItemsKey(prefix), [
      { batchIndex: 0, documents: 2 },
      { batchIndex: 1, documents: 2 },
      { batchIndex: 2, documents: 1 },
    ]);
    await put(ocrResultKey(prefix, 0), batch(0, { documents: [doc('a', true), doc('b', false)], cacheHits: 1 }));
    const { cacheHit: _cacheHit, ...pendingDocument } = doc('d', false);
    await put(
      ocrResultKey(prefix, 1),
      batch(1, {
        quarantined: [{ documentKey: 'documents/c.png', reason: 'blank page', stage: 'ocr' }],
        pending: [{ ...pendingDocument, jobId: 'job-1', pages: 3, startedAt: '2026-12-06T00:00:00.000Z' }],
      }),
    );
    // The Map's ResultWriter folder is not a batch result
    await put(`${prefix}ocr-map/run-1/manifest.json`, { not: 'a batch' });

    // Act + Assess
    expect(await reader.read()).toEqual({ total: 5, batches: 3, done: 3, quarantined: 1, cacheHits: 1, batchesDone: 1 });

    // Batch 1's job collected, batch 2 done: all 5; batch 0 (complete before) is not read again
    await put(
      ocrResultKey(prefix, 1),
      batch(1, {
        documents: [doc('d', false)],
        quarantined: [{ documentKey: 'documents/c.png', reason: 'blank page', stage: 'ocr' }],
        polls: 1,
      }),
    );
    await put(ocrResultKey(prefix, 2), batch(2, { documents: [doc('e', false)] }));
    await put(ocrResultKey(prefix, 0), { overwritten: 'a complete batch is never read twice' });
    expect(await reader.read()).toEqual({ total: 5, batches: 3, done: 5, quarantined: 1, cacheHits: 1, batchesDone: 3 });
  });
});
