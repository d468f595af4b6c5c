/**
 * Every common document type end to end on the embedded local runtime (real ASL, real handlers, local
 * S3/DynamoDB/Textract/SageMaker, the real trainer, tiny training): PNG receipts, a 3-page PDF and a
 * 2-page TIFF go through (the multi-page ones by the async Textract API, collected by the ASL's
 * Wait -> CollectTextractJobs loop), one dataset record per page; each bad-document kind is quarantined
 * with its reason while the run completes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, uploadSyntheticReceipts, type LocalPipeline } from '../../local/pipeline';
import { incompressiblePng, multiPagePdf, multiPageTiff, withEncryptMarker } from '../../local/synth';
import { getBytes, getJson, putBody } from '../../src/aws/s3-objects';
import { datasetManifestSchema } from '../../src/contracts/objects';

const root = path.resolve(import.meta.dirname, '../..');
const SMALL_TRAINING = { epochs: 2, hidden_size: 32, num_layers: 1, num_heads: 2 };
const RUN_ID = 'e2e-doctypes';

let pipeline: LocalPipeline;
let dataDir: string;

const annotation = (fields: Record<string, string>): string => JSON.stringify({ schemaVersion: 1, fields });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-doctypes-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', waitMs: 100, retryTimeScale: 0.01 });
  const bucket = pipeline.services.bucket;
  const s3 = pipeline.services.clients.s3;
  const upload = async (name: string, body: Uint8Array | string, fields: Record<string, string>) => {
    await putBody(s3, { bucket, key: `documents/${name}` }, body, 'application/octet-stream');
    await putBody(s3, { bucket, key: `documents/${name.replace(/\.[a-z]+$/, '.json')}` }, annotation(fields), 'application/json');
  };
  await uploadSyntheticReceipts(pipeline.services.clients.s3, bucket, { count: 2, seed: 21 });
  const pdf = await multiPagePdf([
    ['HARBOUR SUPPLIES LTD', 'INVOICE 4711', 'DATE 14/03/2026'],
    ['ROPE 12.00', 'NETS 30.00'],
    ['TOTAL 42.00', 'THANK YOU'],
  ]);
  await upload('invoice-4711.pdf', pdf, { company: 'HARBOUR SUPPLIES LTD', total: '42.00' });
  await upload('scan-0002.tiff', multiPageTiff([['NORTH FOX DELI', 'CARROTS 1.20'], ['TOTAL DUE 12.40']]), {
    company: 'NORTH FOX DELI',
    total: '12.40',
  });
  // The bad kinds: zero bytes, truncated, a text file under a document's name, encrypted, over the limits.
  await upload('zero.png', new Uint8Array(0), { total: '1.00' });
  await upload('truncated.pdf', pdf.subarray(0, pdf.length - 400), { total: '1.00' });
  await upload('notes.pdf', 'minutes of the meeting, typed\n', { total: '1.00' });
  await upload('locked.pdf', withEncryptMarker(pdf), { total: '1.00' });
  await upload('poster.png', incompressiblePng(2000, 2000), { total: '1.00' });
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('every common document type on the local pipeline', () => {
  it('trains on PNG receipts, a 3-page PDF and a 2-page TIFF, one record per page, quarantining each bad kind with its reason', async () => {
    // Act
    // 5 of the 9 documents are bad on purpose: let the run go on past the default quarantine share.
    const outcome = await pipeline.execute(
      { runId: RUN_ID, dataset: { maxQuarantineShare: 1 }, training: { hyperparameters: SMALL_TRAINING } },
      { executionName: RUN_ID },
    );

    // Assess: the run completed
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { record } = await pipeline.runRecord(RUN_ID);
    expect(record?.status).toBe('COMPLETED');
    // The multi-page documents were waited for by the state machine, not inside a Lambda.
    const entered = outcome.events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName);
    expect(entered).toContain('WaitForTextractJobs');
    expect(entered).toContain('CollectTextractJobs');

    // Assess: one record per page, with document id and page number
    const bucket = pipeline.services.bucket;
    const fingerprint = String(record?.['datasetFingerprint']);
    const manifest = datasetManifestSchema.parse(
      await getJson(pipeline.services.clients.s3, { bucket, key: `datasets/${fingerprint}/manifest.json` }),
    );
    expect(manifest).toMatchObject({ recordLayout: 'page', counts: { documents: 4, pages: 2 + 3 + 2 } });
    expect(manifest.textractPagesBilled).toBe(7);
    const records: { id: string; documentId: string; page: { number: number }; words: string[]; labels: string[] }[] = [];
    for (const name of [...manifest.files.train, ...manifest.files.validation]) {
      const body = Buffer.from(await getBytes(pipeline.services.clients.s3, { bucket, key: `datasets/${fingerprint}/${name}` })).toString(
        'utf8',
      );
      records.push(
        ...body
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as (typeof records)[number]),
      );
    }
    expect(records.filter((r) => r.documentId === 'invoice-4711').map((r) => [r.id, r.page.number])).toEqual([
      ['invoice-4711#1', 1],
      ['invoice-4711#2', 2],
      ['invoice-4711#3', 3],
    ]);
    expect(records.filter((r) => r.documentId === 'scan-0002').map((r) => r.page.number)).toEqual([1, 2]);
    const invoiceTotalPage = records.find((r) => r.id === 'invoice-4711#3');
    expect(invoiceTotalPage?.labels[invoiceTotalPage.words.indexOf('42.00')]).toBe('B-TOTAL');

    // Assess: each bad kind quarantined with its reason
    const reasons = Object.fromEntries(manifest.quarantined.map((q) => [q.documentKey, q.reason]));
    expect(reasons).toEqual({
      'documents/zero.png': expect.stringMatching(/empty \(0 bytes\)/),
      'documents/truncated.pdf': expect.stringMatching(/PDF is truncated/),
      'documents/notes.pdf': expect.stringMatching(/plain text, not a PNG, JPEG, TIFF or PDF document \(its name ends in \.pdf/),
      'documents/locked.pdf': expect.stringMatching(/encrypted/),
      'documents/poster.png': expect.stringMatching(/over Textract's 10 MB limit/),
    });
    for (const key of Object.keys(reasons)) {
      expect(await getJson(pipeline.services.clients.s3, { bucket, key: `quarantine/${RUN_ID}/${key}.reason.json` })).toMatchObject({
        documentKey: key,
        stage: 'ocr',
      });
    }
  });
});
