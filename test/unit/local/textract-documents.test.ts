/**
 * The local Textract with PDF and TIFF documents: rendered/decoded page by page, the service's limits and
 * exception names, the sync API refusing multi-page documents and the async API reading every page.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  StartDocumentTextDetectionCommand,
  TextractClient,
  type Block,
  type GetDocumentTextDetectionCommandOutput,
} from '@aws-sdk/client-textract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiPagePdf, multiPageTiff, withEncryptMarker } from '../../../local/synth';
import { startLocalTextract, type LocalTextract } from '../../../local/textract';
import { startLocalS3, type LocalS3 } from './helpers';
import { localClientConfig } from '../../../local/clients';

const BUCKET = 'textract-documents-test';
const PDF_PAGES = [['INVOICE NUMBER 4711', 'HARBOUR SUPPLIES'], ['SECOND PAGE ITEMS'], ['GRAND TOTAL 99.10']];
const TIFF_PAGES = [['FIRST TIFF PAGE'], ['TOTAL DUE 12.40']];

let s3: LocalS3;
let textract: LocalTextract;
let client: TextractClient;
let pdf: Uint8Array;
let tiff: Buffer;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  textract = await startLocalTextract({ s3: s3.client });
  client = new TextractClient(localClientConfig(textract.endpoint));
  pdf = await multiPagePdf(PDF_PAGES);
  tiff = multiPageTiff(TIFF_PAGES);
  const put = (Key: string, Body: Uint8Array) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  await put('docs/three.pdf', pdf);
  await put('docs/two.tif', tiff);
  await put('docs/locked.pdf', withEncryptMarker(await multiPagePdf([['SECRET']])));
}, 30_000);

afterAll(async () => {
  client?.destroy();
  await textract?.close();
  await s3?.close();
});

const untilDone = async (JobId: string): Promise<GetDocumentTextDetectionCommandOutput> => {
  for (;;) {
    const out = await client.send(new GetDocumentTextDetectionCommand({ JobId, MaxResults: 10 }));
    if (out.JobStatus !== 'IN_PROGRESS') return out;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Every block of a finished job, following NextToken with small pages so pagination is exercised. */
const allBlocks = async (JobId: string): Promise<{ blocks: Block[]; responses: number; pages: number | undefined }> => {
  const first = await untilDone(JobId);
  expect(first.JobStatus).toBe('SUCCEEDED');
  const blocks = [...(first.Blocks ?? [])];
  let token = first.NextToken;
  let responses = 1;
  while (token !== undefined) {
    const next = await client.send(new GetDocumentTextDetectionCommand({ JobId, MaxResults: 10, NextToken: token }));
    expect(next.Blocks?.length ?? 0).toBeLessThanOrEqual(10);
    blocks.push(...(next.Blocks ?? []));
    token = next.NextToken;
    responses++;
  }
  return { blocks, responses, pages: first.DocumentMetadata?.Pages };
};

const wordsOnPage = (blocks: readonly Block[], page: number): string[] =>
  blocks.filter((b) => b.BlockType === 'WORD' && b.Page === page).map((b) => b.Text ?? '');

describe('local Textract with PDF and TIFF', { timeout: 60_000 }, () => {
  it('reads a 3-page PDF through the async API, every block on its page, paginated', async () => {
    const { JobId } = await client.send(
      new StartDocumentTextDetectionCommand({ DocumentLocation: { S3Object: { Bucket: BUCKET, Name: 'docs/three.pdf' } } }),
    );
    const { blocks, responses, pages } = await allBlocks(String(JobId));
    expect(pages).toBe(3);
    expect(responses).toBeGreaterThan(1);
    expect(blocks.filter((b) => b.BlockType === 'PAGE').map((b) => b.Page)).toEqual([1, 2, 3]);
    expect(wordsOnPage(blocks, 1)).toEqual(expect.arrayContaining(['INVOICE', '4711', 'HARBOUR']));
    expect(wordsOnPage(blocks, 2)).toEqual(expect.arrayContaining(['SECOND', 'PAGE', 'ITEMS']));
    expect(wordsOnPage(blocks, 3)).toEqual(expect.arrayContaining(['GRAND', 'TOTAL', '99.10']));
  });

  it('reads a 2-page TIFF through the async API', async () => {
    const { JobId } = await client.send(
      new StartDocumentTextDetectionCommand({ DocumentLocation: { S3Object: { Bucket: BUCKET, Name: 'docs/two.tif' } } }),
    );
    const { blocks, pages } = await allBlocks(String(JobId));
    expect(pages).toBe(2);
    expect(wordsOnPage(blocks, 1)).toEqual(expect.arrayContaining(['FIRST', 'TIFF', 'PAGE']));
    expect(wordsOnPage(blocks, 2)).toEqual(expect.arrayContaining(['TOTAL', 'DUE', '12.40']));
  });

  it('refuses multi-page PDF/TIFF on the sync API as Textract does, and reads single pages', async () => {
    const detect = (Bytes: Uint8Array) => client.send(new DetectDocumentTextCommand({ Document: { Bytes } }));
    await expect(detect(pdf)).rejects.toMatchObject({ name: 'UnsupportedDocumentException' });
    await expect(detect(tiff)).rejects.toMatchObject({ name: 'UnsupportedDocumentException' });
    const onePage = await detect(await multiPagePdf([['SINGLE PAGE PDF']]));
    expect(onePage.DocumentMetadata?.Pages).toBe(1);
    expect(wordsOnPage(onePage.Blocks ?? [], 1)).toEqual(expect.arrayContaining(['SINGLE', 'PAGE', 'PDF']));
    const oneTiff = await detect(multiPageTiff([['SINGLE TIFF']]));
    expect(wordsOnPage(oneTiff.Blocks ?? [], 1)).toEqual(expect.arrayContaining(['SINGLE', 'TIFF']));
  });

  it('refuses encrypted, truncated and empty documents with the service exception names', async () => {
    const detect = (Bytes: Uint8Array) => client.send(new DetectDocumentTextCommand({ Document: { Bytes } }));
    await expect(detect(withEncryptMarker(await multiPagePdf([['SECRET']])))).rejects.toMatchObject({
      name: 'UnsupportedDocumentException',
    });
    await expect(detect(tiff.subarray(0, tiff.length - 1000))).rejects.toMatchObject({ name: 'BadDocumentException' });
    await expect(detect(pdf.subarray(0, pdf.length - 200))).rejects.toMatchObject({ name: 'BadDocumentException' });
    await expect(
      client.send(new StartDocumentTextDetectionCommand({ DocumentLocation: { S3Object: { Bucket: BUCKET, Name: 'docs/locked.pdf' } } })),
    ).rejects.toMatchObject({ name: 'UnsupportedDocumentException' });
  });

  it('refuses more than 10 MB on the sync API with DocumentTooLargeException', async () => {
    // A valid 1-page TIFF padded past 10 MB with bytes after its image data.
    const big = Buffer.concat([multiPageTiff([['BIG']], { width: 200, height: 100 }), Buffer.alloc(10 * 1024 * 1024)]);
    await expect(client.send(new DetectDocumentTextCommand({ Document: { Bytes: big } }))).rejects.toMatchObject({
      name: 'DocumentTooLargeException',
    });
  });
});
