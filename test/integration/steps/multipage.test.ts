/**
 * OcrBatch + CollectTextractJobs + BuildDataset with multi-page PDF/TIFF and bad documents, on local S3
 * and the local Textract: the async jobs are started by OcrBatch, collected after waits (as the state
 * machine's Wait -> Collect -> Choice loop does), cached by content, and each page becomes a record.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateReceipts, incompressiblePng, multiPagePdf, multiPageTiff, withEncryptMarker } from '../../../local/synth';
import { startLocalTextract, type LocalTextract } from '../../../local/textract';
import { getBytes, getJson, listKeys } from '../../../src/aws/s3-objects';
import { collectTextractJobs } from '../../../src/steps/collect-textract-jobs/step';
import { buildDatasetStep } from '../../../src/steps/build-dataset/step';
import { ocrBatch, readOcrBatchFile } from '../../../src/steps/ocr-batch/step';
import { planBatches } from '../../../src/steps/plan-batches/step';
import { ocrDocumentSchema } from '../../../src/textract';
import { startLocalS3, type LocalS3 } from '../../unit/local/helpers';
import type { OcrBatchSummary } from '../../../src/steps/ocr-batch/schema';
import { datasetManifestSchema } from '../../../src/contracts/objects';

const BUCKET = 'pipeline-multipage-test';
const RUN = 'mp-1';
const PREFIX = 'docs/';
const params = { bucket: BUCKET, runId: RUN, runPrefix: `runs/${RUN}/` };
const annotation = (fields: Record<string, string>) => JSON.stringify({ schemaVersion: 1, fields });

let s3: LocalS3;
let textract: LocalTextract;
let client: TextractClient;

const put = (key: string, body: string | Uint8Array): Promise<unknown> =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  textract = await startLocalTextract({ s3: s3.client });
  client = new TextractClient({
    endpoint: textract.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  const [receipt] = await generateReceipts({ count: 1, seed: 5 });
  if (!receipt) throw new Error('no receipt');
  const pdf = await multiPagePdf([['HARBOUR SUPPLIES LTD', 'INVOICE 4711'], ['ROPE 12.00', 'NETS 30.00'], ['TOTAL 42.00']]);
  const docs: [string, Uint8Array, string][] = [
    ['receipt.png', receipt.png, JSON.stringify(receipt.annotation)],
    ['invoice.pdf', pdf, annotation({ company: 'HARBOUR SUPPLIES LTD', total: '42.00' })],
    ['scan.tiff', multiPageTiff([['NORTH FOX DELI'], ['TOTAL DUE 12.40']]), annotation({ company: 'NORTH FOX DELI', total: '12.40' })],
    // A PDF saved as .png: the bytes decide, it is read as the PDF it is.
    ['misnamed.png', await multiPagePdf([['CEDAR BAKERY'], ['TOTAL 3.10']]), annotation({ company: 'CEDAR BAKERY', total: '3.10' })],
    ['empty.pdf', new Uint8Array(0), annotation({ total: '1.00' })],
    ['cut.pdf', pdf.subarray(0, pdf.length - 300), annotation({ total: '1.00' })],
    ['notes.pdf', Buffer.from('meeting notes, not a scan\n'), annotation({ total: '1.00' })],
    ['locked.pdf', withEncryptMarker(pdf), annotation({ total: '1.00' })],
    ['huge.png', incompressiblePng(2000, 2000), annotation({ total: '1.00' })],
  ];
  for (const [name, bytes, json] of docs) {
    await put(`${PREFIX}${name}`, bytes);
    await put(`${PREFIX}${name.replace(/\.[a-z]+$/, '.json')}`, json);
  }
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await textract?.close();
  await s3?.close();
});

describe('multi-page documents through OcrBatch and CollectTextractJobs', { timeout: 120_000 }, () => {
  it('routes by content, quarantines bad documents with their reasons, collects async jobs, and builds one record per page', async () => {
    // Prepare
    const plan = await planBatches(s3.client, { ...params, documentsPrefix: PREFIX, batchSize: 20 });
    expect(plan).toMatchObject({ documentCount: 9, quarantinedCount: 0 });

    // Act: OcrBatch, then Wait -> Collect until nothing is pending (as the state machine loops)
    let summary: OcrBatchSummary = await ocrBatch({ s3: s3.client, textract: client }, { ...params, batchIndex: 0 });
    const afterStart = summary;
    let looks = 0;
    while (summary.pendingJobs > 0 && looks < 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      summary = await collectTextractJobs({ s3: s3.client, textract: client }, { ...params, batchIndex: 0 });
      looks++;
    }

    // Assess: the three multi-page documents went the async way; the image the sync way
    expect(afterStart.pendingJobs).toBe(3);
    expect(afterStart.waitSeconds).toBe(5);
    expect(summary).toMatchObject({ pendingJobs: 0, documents: 4, quarantined: 5, pagesBilled: 1 + 3 + 2 + 2 });
    const file = await readOcrBatchFile(s3.client, BUCKET, summary.resultKey);
    const reasons = Object.fromEntries(file.quarantined.map((q) => [q.documentKey.slice(PREFIX.length), q.reason]));
    expect(reasons).toEqual({
      'empty.pdf': expect.stringMatching(/empty \(0 bytes\)/),
      'cut.pdf': expect.stringMatching(/PDF is truncated/),
      'notes.pdf': expect.stringMatching(/content is plain text, not a PNG, JPEG, TIFF or PDF document \(its name ends in \.pdf/),
      'locked.pdf': expect.stringMatching(/encrypted \(password protected\)/),
      'huge.png': expect.stringMatching(/over Textract's 10 MB limit for images/),
    });
    for (const key of Object.keys(reasons)) {
      expect(await getJson(s3.client, { bucket: BUCKET, key: `quarantine/${RUN}/${PREFIX}${key}.reason.json` })).toMatchObject({
        stage: 'ocr',
      });
    }
    // The async results are in the content-addressed cache, page by page
    const invoice = file.documents.find((d) => d.id === 'invoice');
    const cached = ocrDocumentSchema.parse(await getJson(s3.client, { bucket: BUCKET, key: String(invoice?.ocrKey) }));
    expect(cached.engine).toBe(`textract:StartDocumentTextDetection local ${textract.engine}`);
    expect(cached.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(cached.pages[2]?.words.map((w) => w.text)).toEqual(expect.arrayContaining(['TOTAL', '42.00']));

    // Act: the dataset
    const dataset = await buildDatasetStep(s3.client, {
      ...params,
      batchCount: 1,
      validationFraction: 0.25,
      maxQuarantineShare: 1,
      pageImages: true,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: 's3://models-elsewhere/layoutlmv3-base/',
      champion: null,
    });

    // Assess: one record per page, each with its document id and page number
    const manifest = datasetManifestSchema.parse(await getJson(s3.client, { bucket: BUCKET, key: `runs/${RUN}/dataset-manifest.json` }));
    expect(manifest).toMatchObject({ recordLayout: 'page', counts: { documents: 4, pages: 8 } });
    expect(dataset.counts.documents).toBe(4);
    const prefix = `datasets/${dataset.fingerprint}/`;
    const lines: { id: string; documentId: string; page: { number: number }; labels: string[] }[] = [];
    for (const name of [...manifest.files.train, ...manifest.files.validation]) {
      const body = Buffer.from(
        await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}` }))).Body!.transformToByteArray(),
      ).toString('utf8');
      lines.push(
        ...body
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as (typeof lines)[number]),
      );
    }
    const pagesOf = (documentId: string) => lines.filter((l) => l.documentId === documentId).map((l) => [l.id, l.page.number]);
    expect(pagesOf('invoice')).toEqual([
      ['invoice#1', 1],
      ['invoice#2', 2],
      ['invoice#3', 3],
    ]);
    expect(pagesOf('scan')).toEqual([
      ['scan#1', 1],
      ['scan#2', 2],
    ]);
    expect(pagesOf('misnamed')).toEqual([
      ['misnamed#1', 1],
      ['misnamed#2', 2],
    ]);
    expect(pagesOf(String(file.documents.find((d) => d.key.endsWith('receipt.png'))?.id))).toEqual([['receipt', 1]]);
    // Page images: the PNG receipt's own bytes under its record id; none for the PDF/TIFF pages.
    const imageKeys = await listKeys(s3.client, BUCKET, `${prefix}images/`);
    expect(imageKeys).toEqual([`${prefix}images/receipt.png`]);
    expect(Buffer.from(await getBytes(s3.client, { bucket: BUCKET, key: `${prefix}images/receipt.png` }))).toEqual(
      Buffer.from(await getBytes(s3.client, { bucket: BUCKET, key: `${PREFIX}receipt.png` })),
    );
    expect(dataset.imagesS3Uri).toBe(`s3://${BUCKET}/${prefix}images/`);
    expect(dataset.inputDataConfig.map((c) => [c.ChannelName, c.DataSource.S3DataSource.S3Uri])).toEqual([
      ['train', dataset.trainS3Uri],
      ['validation', dataset.validationS3Uri],
      ['labels', dataset.labelsS3Uri],
      ['images', `s3://${BUCKET}/${prefix}images/`],
      ['model', 's3://models-elsewhere/layoutlmv3-base/'],
    ]);
    // The invoice's company is labelled on page 1, its total on page 3.
    const invoicePage = (n: number) => lines.find((l) => l.id === `invoice#${n}`)?.labels ?? [];
    expect(invoicePage(1)).toContain('B-COMPANY');
    expect(invoicePage(3)).toContain('B-TOTAL');
    expect(invoicePage(2).every((l) => l === 'O')).toBe(true);
  });
});
