/**
 * CollectTextractJobs on its own: one look at each pending job of a batch file in (local) S3, with the
 * Textract client mocked so each job status can be set: running, over the time limit, failed, blank,
 * finished, throttled.
 */
import { GetDocumentTextDetectionCommand, TextractClient, ThrottlingException, type Block } from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getJson, putJson } from '../../../../src/aws/s3-objects';
import { collectTextractJobs, TEXTRACT_JOB_TIMEOUT_SECONDS } from '../../../../src/steps/collect-textract-jobs/step';
import { readOcrBatchFile, textractJobToken } from '../../../../src/steps/ocr-batch/step';
import { startLocalS3, type LocalS3 } from '../../local/helpers';
import { quarantineReasonSchema, type OcrBatchFile, type PendingTextractJob } from '../../../../src/contracts/objects';
import { ocrCacheKey, ocrResultKey } from '../../../../src/contracts/s3-layout';
import { ocrDocumentSchema } from '../../../../src/contracts/ocr-document';

const BUCKET = 'collect-jobs-test';
const RUN = 'collect-1';
const params = { bucket: BUCKET, runId: RUN, runPrefix: `runs/${RUN}/`, batchIndex: 0 };
const STARTED = new Date('2026-03-14T10:00:00.000Z');
const hash = (n: number): string => String(n).repeat(64).slice(0, 64);

const client = new TextractClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const textract = mockClient(client);
let s3: LocalS3;

const job = (name: string, n: number): PendingTextractJob => ({
  id: name,
  key: `docs/${name}.pdf`,
  annotationKey: `docs/${name}.json`,
  contentHash: hash(n),
  annotationHash: hash(n + 1),
  ocrKey: ocrCacheKey(hash(n)),
  annotation: { schemaVersion: 1, fields: { total: '1.00' } },
  jobId: `job-${name}`,
  pages: 2,
  startedAt: STARTED.toISOString(),
});

const word = (page: number, text: string): Block => ({
  BlockType: 'WORD',
  Id: `${page}-${text}`,
  Page: page,
  Text: text,
  Confidence: 95,
  Geometry: { BoundingBox: { Left: 0.1, Top: 0.1 * page, Width: 0.2, Height: 0.05 } },
});
const pageBlock = (page: number): Block => ({
  BlockType: 'PAGE',
  Id: `p${page}`,
  Page: page,
  Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } },
});

const writeBatch = (pending: PendingTextractJob[]): Promise<void> =>
  putJson(s3.client, { bucket: BUCKET, key: ocrResultKey(params.runPrefix, 0) }, {
    schemaVersion: 2,
    batchIndex: 0,
    documents: [],
    quarantined: [],
    pending,
    polls: 0,
    cacheHits: 0,
    pagesBilled: 0,
  } satisfies OcrBatchFile);

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
});
afterEach(() => textract.reset());
afterAll(async () => {
  client.destroy();
  await s3?.close();
});

describe('collectTextractJobs', () => {
  it('keeps running jobs pending, caches finished ones, quarantines failed, blank and overdue ones', async () => {
    // Prepare: 'overdue' started longer ago than the limit; the others a minute before this look.
    const overdueStart = new Date(STARTED.getTime() - (TEXTRACT_JOB_TIMEOUT_SECONDS + 60) * 1000).toISOString();
    await writeBatch([
      job('running', 1),
      job('done', 2),
      job('failed', 3),
      job('blank', 4),
      { ...job('overdue', 5), startedAt: overdueStart },
    ]);
    textract.on(GetDocumentTextDetectionCommand, { JobId: 'job-running' }).resolves({ JobStatus: 'IN_PROGRESS' });
    textract.on(GetDocumentTextDetectionCommand, { JobId: 'job-overdue' }).resolves({ JobStatus: 'IN_PROGRESS' });
    textract
      .on(GetDocumentTextDetectionCommand, { JobId: 'job-failed' })
      .resolves({ JobStatus: 'FAILED', StatusMessage: 'UNSUPPORTED_DOCUMENT' });
    textract
      .on(GetDocumentTextDetectionCommand, { JobId: 'job-blank' })
      .resolves({ JobStatus: 'SUCCEEDED', DocumentMetadata: { Pages: 2 }, Blocks: [pageBlock(1), pageBlock(2)] });
    textract.on(GetDocumentTextDetectionCommand, { JobId: 'job-done' }).resolves({
      JobStatus: 'SUCCEEDED',
      DocumentMetadata: { Pages: 2 },
      Blocks: [pageBlock(1), word(1, 'HELLO'), pageBlock(2), word(2, 'TOTAL'), word(2, '1.00')],
    });

    // Act
    const summary = await collectTextractJobs({ s3: s3.client, textract: client, now: () => new Date(STARTED.getTime() + 60_000) }, params);

    // Assess
    expect(summary).toMatchObject({ pendingJobs: 1, documents: 1, quarantined: 3, pagesBilled: 2, waitSeconds: 10 });
    const file = await readOcrBatchFile(s3.client, BUCKET, summary.resultKey);
    expect(file.pending.map((p) => p.id)).toEqual(['running']);
    expect(file.polls).toBe(1);
    expect(file.documents).toEqual([expect.objectContaining({ id: 'done', cacheHit: false, ocrKey: ocrCacheKey(hash(2)) })]);
    expect(Object.fromEntries(file.quarantined.map((q) => [q.documentKey, q.reason]))).toEqual({
      'docs/failed.pdf': 'the Textract job job-failed failed: UNSUPPORTED_DOCUMENT',
      'docs/blank.pdf': 'OCR found no text in the document (none on any of its 2 pages) (blank or unreadable scan)',
      'docs/overdue.pdf': expect.stringMatching(/still running after \d+ minutes; given up/),
    });
    const cached = ocrDocumentSchema.parse(await getJson(s3.client, { bucket: BUCKET, key: ocrCacheKey(hash(2)) }));
    expect(cached.pages.map((p) => [p.page, p.words.map((w) => w.text)])).toEqual([
      [1, ['HELLO']],
      [2, ['TOTAL', '1.00']],
    ]);
    expect(
      quarantineReasonSchema.parse(await getJson(s3.client, { bucket: BUCKET, key: `quarantine/${RUN}/docs/failed.pdf.reason.json` })),
    ).toMatchObject({ stage: 'ocr', runId: RUN });
  });

  it('fails the look with ThrottlingError (the ASL retries it) and leaves the batch file as it was', async () => {
    // Prepare
    await writeBatch([job('a', 6)]);
    textract.on(GetDocumentTextDetectionCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    // Act
    const error = await collectTextractJobs({ s3: s3.client, textract: client }, params).catch((e: unknown) => e as Error);
    // Assess
    expect((error as Error).name).toBe('ThrottlingError');
    const file = await readOcrBatchFile(s3.client, BUCKET, ocrResultKey(params.runPrefix, 0));
    expect(file).toMatchObject({ polls: 0, pending: [expect.objectContaining({ id: 'a' })] });
  });

  it("derives the async job token from run and content, within Textract's 64-character pattern", () => {
    const token = textractJobToken(RUN, hash(1));
    expect(token).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(textractJobToken(RUN, hash(1))).toBe(token);
    expect(textractJobToken('other-run', hash(1))).not.toBe(token);
  });
});
