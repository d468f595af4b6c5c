import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AnalyzeDocumentCommand,
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  StartDocumentTextDetectionCommand,
  TextractClient,
  type Block,
  type GetDocumentTextDetectionCommandOutput,
} from '@aws-sdk/client-textract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalTextract, type LocalTextract } from '../../../local/textract';
import { renderReceipt, startLocalS3, type LocalS3 } from './helpers';
import { localClientConfig } from '../../../local/clients';

const BUCKET = 'textract-test';
const LINES = ['BLUE HERON MARKET', 'OAT MILK 3.20', 'SOURDOUGH LOAF 4.50', 'TOTAL 8.32'];
const receipt = renderReceipt(LINES);

let s3: LocalS3;
let textract: LocalTextract;
let client: TextractClient;

const clientFor = (endpoint: string, maxAttempts = 3): TextractClient =>
  new TextractClient({ ...localClientConfig(endpoint), maxAttempts });

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  textract = await startLocalTextract({ s3: s3.client });
  client = clientFor(textract.endpoint);
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'documents/receipt.png', Body: receipt.png }));
}, 20_000);

afterAll(async () => {
  client?.destroy();
  await textract?.close();
  await s3?.close();
});

const words = (blocks: Block[] | undefined): Block[] => (blocks ?? []).filter((b) => b.BlockType === 'WORD');

describe('local Textract', { timeout: 120_000 }, () => {
  it('DetectDocumentText finds the rendered words with plausible boxes', async () => {
    const out = await client.send(new DetectDocumentTextCommand({ Document: { Bytes: receipt.png } }));
    expect(out.DocumentMetadata?.Pages).toBe(1);
    const blocks = out.Blocks ?? [];
    expect(blocks[0]?.BlockType).toBe('PAGE');
    const texts = words(blocks).map((b) => b.Text);
    for (const w of ['BLUE', 'HERON', 'MARKET', 'TOTAL', '8.32', 'SOURDOUGH']) expect(texts).toContain(w);

    const total = words(blocks).find((b) => b.Text === 'TOTAL');
    const box = total?.Geometry?.BoundingBox;
    // Drawn at x=60, y=60+3*70 on an 800x600 page, 32 px font.
    expect(box?.Left).toBeCloseTo(60 / 800, 1);
    expect(box?.Top).toBeGreaterThan((receipt.lineTops[3] ?? 0) / 600 - 0.02);
    expect(box?.Top).toBeLessThan(((receipt.lineTops[3] ?? 0) + 32) / 600);
    expect(box?.Height).toBeGreaterThan(0.02);
    expect(box?.Height).toBeLessThan(0.1);
    expect(total?.Geometry?.Polygon).toHaveLength(4);
    expect(total?.Confidence).toBeGreaterThan(50);
    expect(total?.TextType).toBe('PRINTED');

    // PAGE -> LINE -> WORD relationships resolve.
    const byId = new Map(blocks.map((b) => [b.Id, b]));
    const lineIds = blocks[0]?.Relationships?.[0]?.Ids ?? [];
    expect(lineIds).toHaveLength(LINES.length);
    const lineTexts = lineIds.map((id) => byId.get(id)?.Text);
    expect(lineTexts[0]).toBe('BLUE HERON MARKET');
    const lastLine = byId.get(lineIds[3] ?? '');
    expect(lastLine?.Relationships?.[0]?.Ids?.map((id) => byId.get(id)?.Text)).toEqual(['TOTAL', '8.32']);
  });

  it('AnalyzeDocument reads the document from S3', async () => {
    const out = await client.send(
      new AnalyzeDocumentCommand({
        Document: { S3Object: { Bucket: BUCKET, Name: 'documents/receipt.png' } },
        FeatureTypes: ['FORMS'],
      }),
    );
    expect(words(out.Blocks).map((b) => b.Text)).toContain('HERON');
  });

  it('rejects garbage, PDFs, corrupt images, missing documents and unknown S3 objects like Textract', async () => {
    const send = (Bytes: Uint8Array) => client.send(new DetectDocumentTextCommand({ Document: { Bytes } }));
    await expect(send(Buffer.from('definitely not an image'))).rejects.toMatchObject({
      name: 'UnsupportedDocumentException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(send(Buffer.from('%PDF-1.7\n...'))).rejects.toMatchObject({ name: 'BadDocumentException' });
    await expect(send(receipt.png.subarray(0, 200))).rejects.toMatchObject({ name: 'BadDocumentException' });
    await expect(client.send(new DetectDocumentTextCommand({ Document: {} }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(
      client.send(new DetectDocumentTextCommand({ Document: { S3Object: { Bucket: BUCKET, Name: 'nope.png' } } })),
    ).rejects.toMatchObject({ name: 'InvalidS3ObjectException' });
  });

  it('paginates the async API', async () => {
    const { JobId } = await client.send(
      new StartDocumentTextDetectionCommand({
        DocumentLocation: { S3Object: { Bucket: BUCKET, Name: 'documents/receipt.png' } },
      }),
    );
    expect(JobId).toMatch(/^[0-9a-f]{64}$/);
    let first: GetDocumentTextDetectionCommandOutput;
    for (;;) {
      first = await client.send(new GetDocumentTextDetectionCommand({ JobId, MaxResults: 5 }));
      if (first.JobStatus !== 'IN_PROGRESS') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(first.JobStatus).toBe('SUCCEEDED');
    const all: Block[] = [...(first.Blocks ?? [])];
    expect(all).toHaveLength(5);
    let token = first.NextToken;
    let pages = 1;
    while (token !== undefined) {
      const page = await client.send(new GetDocumentTextDetectionCommand({ JobId, MaxResults: 5, NextToken: token }));
      all.push(...(page.Blocks ?? []));
      token = page.NextToken;
      pages += 1;
    }
    const full = await client.send(new GetDocumentTextDetectionCommand({ JobId }));
    expect(full.NextToken).toBeUndefined();
    expect(all.map((b) => b.Id)).toEqual(full.Blocks?.map((b) => b.Id));
    expect(pages).toBe(Math.ceil(all.length / 5));
    expect(all.every((b) => b.Page === 1)).toBe(true);

    await expect(client.send(new GetDocumentTextDetectionCommand({ JobId: 'f'.repeat(64) }))).rejects.toMatchObject({
      name: 'InvalidJobIdException',
    });
    await expect(client.send(new GetDocumentTextDetectionCommand({ JobId, NextToken: 'bogus' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('refuses a document it cannot read when the async job starts', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'documents/x.pdf', Body: '%PDF-1.4 nothing' }));
    await expect(
      client.send(new StartDocumentTextDetectionCommand({ DocumentLocation: { S3Object: { Bucket: BUCKET, Name: 'documents/x.pdf' } } })),
    ).rejects.toMatchObject({ name: 'BadDocumentException' });
  });

  it('throttles above maxTps; the SDK treats it as throttling and retries', async () => {
    const limited = await startLocalTextract({ s3: s3.client, maxTps: 2 });
    const once = clientFor(limited.endpoint, 1);
    const retrying = clientFor(limited.endpoint, 6);
    const garbage = { Document: { Bytes: Buffer.from('x') } };
    try {
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => once.send(new DetectDocumentTextCommand(garbage))));
      const names = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'ok'));
      expect(names.filter((n) => n === 'ProvisionedThroughputExceededException')).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 1000)); // let the window empty
      // A burst with retries: every request eventually reaches the service (which then rejects the bytes).
      const retried = await Promise.allSettled([1, 2, 3].map(() => retrying.send(new DetectDocumentTextCommand(garbage))));
      const errors = retried.map((r) =>
        r.status === 'rejected' ? (r.reason as { name: string; $metadata: { attempts?: number } }) : undefined,
      );
      expect(errors.map((e) => e?.name)).toEqual(Array(3).fill('UnsupportedDocumentException'));
      expect(Math.max(...errors.map((e) => e?.$metadata.attempts ?? 0))).toBeGreaterThan(1);
    } finally {
      once.destroy();
      retrying.destroy();
      await limited.close();
    }
  }, 20_000); // the SDK's throttling backoff is randomised (500 ms base, exponential)
});
