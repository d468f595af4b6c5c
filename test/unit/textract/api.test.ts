import {
  BadDocumentException,
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  InvalidJobIdException,
  StartDocumentTextDetectionCommand,
  type Block,
  InternalServerError,
  ProvisionedThroughputExceededException,
  TextractClient,
  ThrottlingException,
  UnsupportedDocumentException,
} from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BadDocumentError, ThrottlingError } from '../../../src/contracts/errors';
import {
  detectWords,
  getTextDetection,
  MAX_BLOCKS_PER_RESPONSE,
  startTextDetection,
  TEXTRACT_ASYNC_ENGINE,
} from '../../../src/textract/api';
import { OCR_SCHEMA_VERSION, TEXTRACT_ENGINE, ocrDocumentSchema } from '../../../src/textract';
import { TextractLimiter, defaultTextractQuotas } from '../../../src/textract/throughput';

const textract = mockClient(TextractClient);
const client = new TextractClient({ region: 'us-east-1' });
const BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
const KEY = 'documents/receipt-0001.png';
const limiter = new TextractLimiter(defaultTextractQuotas('us-east-1'));

afterEach(() => textract.reset());

const caught = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

describe('detectWords', () => {
  it('sends the bytes and turns the WORD blocks into an OCR document with a page of words', async () => {
    // Prepare
    textract.on(DetectDocumentTextCommand).resolves({
      DocumentMetadata: { Pages: 1 },
      Blocks: [
        { BlockType: 'PAGE', Id: 'p', Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } } },
        {
          BlockType: 'WORD',
          Id: 'w1',
          Text: 'TOTAL',
          Confidence: 99.1,
          Geometry: { BoundingBox: { Left: 0.1, Top: 0.5, Width: 0.2, Height: 0.05 } },
        },
        {
          BlockType: 'WORD',
          Id: 'w2',
          Text: '8.32',
          Confidence: 97.5,
          Geometry: { BoundingBox: { Left: 0.7, Top: 0.5, Width: 0.1, Height: 0.05 } },
        },
      ],
    });
    // Act
    const document = await detectWords(client, KEY, BYTES, limiter);
    // Assess
    expect(textract.commandCalls(DetectDocumentTextCommand)).toHaveLength(1);
    expect(textract.commandCalls(DetectDocumentTextCommand)[0]?.args[0].input).toEqual({ Document: { Bytes: BYTES } });
    expect(document.schemaVersion).toBe(OCR_SCHEMA_VERSION);
    expect(document.engine).toBe(TEXTRACT_ENGINE);
    expect(Object.keys(document).sort()).toEqual(['engine', 'pages', 'schemaVersion']);
    // What the OCR cache stores: it must parse as a valid OCR document, or every later read is a miss.
    expect(ocrDocumentSchema.safeParse(document).success).toBe(true);
    const { pages } = document;
    expect(pages).toHaveLength(1);
    expect(pages[0]?.words.map((w) => w.text)).toEqual(['TOTAL', '8.32']);
    expect(pages[0]?.words[0]?.box).toEqual([100, 500, 300, 550]);
  });

  it('names the engine with the model version Textract answers with, so the manifest can say what read each document', async () => {
    // Prepare
    textract.on(DetectDocumentTextCommand).resolves({ DocumentMetadata: { Pages: 1 }, DetectDocumentTextModelVersion: '1.0' });
    // Act
    const document = await detectWords(client, KEY, BYTES, limiter);
    // Assess
    expect(document.engine).toBe(`${TEXTRACT_ENGINE} 1.0`);
  });

  it('gives a document with no pages (not an error) when Textract returns no blocks', async () => {
    // Prepare
    textract.on(DetectDocumentTextCommand).resolves({ DocumentMetadata: { Pages: 1 } });
    // Act
    const document = await detectWords(client, KEY, BYTES, limiter);
    // Assess
    expect(document).toEqual({ schemaVersion: OCR_SCHEMA_VERSION, engine: TEXTRACT_ENGINE, pages: [] });
  });

  it.each([
    [
      'ProvisionedThroughputExceededException',
      () => new ProvisionedThroughputExceededException({ message: 'Provisioned rate exceeded', $metadata: {} }),
    ],
    ['ThrottlingException', () => new ThrottlingException({ message: 'Slow down', $metadata: {} })],
  ])('maps %s to an unwrapped ThrottlingError (the ASL retries it by name)', async (name, make) => {
    // Prepare
    const original = make();
    textract.on(DetectDocumentTextCommand).rejects(original);
    // Act
    const error = await caught(detectWords(client, KEY, BYTES, limiter));
    // Assess
    expect(error).toBeInstanceOf(ThrottlingError);
    expect(error).not.toBeInstanceOf(BadDocumentError);
    expect(error.name).toBe('ThrottlingError');
    expect(error.constructor).toBe(ThrottlingError);
    expect(error.message).toContain(name);
    expect(error.cause).toBe(original);
  });

  it.each([
    [
      'UnsupportedDocumentException',
      () => new UnsupportedDocumentException({ message: 'Request has unsupported document format', $metadata: {} }),
    ],
    ['BadDocumentException', () => new BadDocumentException({ message: 'Unable to decode', $metadata: {} })],
  ])('maps %s to a BadDocumentError naming the document', async (name, make) => {
    // Prepare
    textract.on(DetectDocumentTextCommand).rejects(make());
    // Act
    const error = await caught(detectWords(client, KEY, BYTES, limiter));
    // Assess
    expect(error).toBeInstanceOf(BadDocumentError);
    expect(error.name).toBe('BadDocumentError');
    expect((error as BadDocumentError).documentKey).toBe(KEY);
    expect(error.message).toContain(name);
  });

  it('lets any other error propagate unchanged', async () => {
    // Prepare
    const internal = new InternalServerError({ message: 'Internal server error', $metadata: {} });
    const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    textract.on(DetectDocumentTextCommand).rejectsOnce(internal).rejectsOnce(network);
    // Act
    const first = await caught(detectWords(client, KEY, BYTES, limiter));
    const second = await caught(detectWords(client, KEY, BYTES, limiter));
    // Assess
    expect(first).toBe(internal);
    expect(second).toBe(network);
  });
});

/** Blocks of `pages` pages with `wordsPerPage` words each, as Textract lists them (PAGE, then its WORDs). */
const pageBlocks = (pages: number, wordsPerPage: number): Block[] =>
  Array.from({ length: pages }, (_, p) => [
    { BlockType: 'PAGE' as const, Id: `p${p}`, Page: p + 1, Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } } },
    ...Array.from({ length: wordsPerPage }, (_, w) => ({
      BlockType: 'WORD' as const,
      Id: `p${p}w${w}`,
      Page: p + 1,
      Text: `W${p + 1}-${w}`,
      Confidence: 90,
      Geometry: { BoundingBox: { Left: 0.05, Top: (w + 1) / (wordsPerPage + 2), Width: 0.1, Height: 0.5 / (wordsPerPage + 2) } },
    })),
  ]).flat();

describe('async text detection', () => {
  it('starts the job on the S3 object with the idempotency token', async () => {
    // Prepare
    textract.on(StartDocumentTextDetectionCommand).resolves({ JobId: 'job-1' });
    // Act
    const jobId = await startTextDetection(client, { bucket: 'b', key: 'docs/a.pdf' }, 'f'.repeat(64), limiter);
    // Assess
    expect(jobId).toBe('job-1');
    expect(textract.commandCalls(StartDocumentTextDetectionCommand)[0]?.args[0].input).toEqual({
      DocumentLocation: { S3Object: { Bucket: 'b', Name: 'docs/a.pdf' } },
      ClientRequestToken: 'f'.repeat(64),
    });
  });

  it('reports a running job as IN_PROGRESS and a failed one with its message', async () => {
    // Prepare
    textract
      .on(GetDocumentTextDetectionCommand)
      .resolvesOnce({ JobStatus: 'IN_PROGRESS' })
      .resolvesOnce({ JobStatus: 'FAILED', StatusMessage: 'UNSUPPORTED_DOCUMENT' });
    // Act / Assess
    expect(await getTextDetection(client, 'job-1', KEY, limiter)).toEqual({ status: 'IN_PROGRESS' });
    expect(await getTextDetection(client, 'job-1', KEY, limiter)).toEqual({ status: 'FAILED', message: 'UNSUPPORTED_DOCUMENT' });
  });

  it('reads every response page (NextToken, at most 1,000 blocks each) into one OCR document, page by page', async () => {
    // Prepare: 3 pages x 600 words = 1,803 blocks, served 1,000 at a time as the service does.
    const blocks = pageBlocks(3, 600);
    const responses = [blocks.slice(0, 1000), blocks.slice(1000, 2000), blocks.slice(2000)];
    textract.on(GetDocumentTextDetectionCommand).callsFake((input: { NextToken?: string }) => {
      const index = input.NextToken === undefined ? 0 : Number(input.NextToken);
      return {
        JobStatus: 'SUCCEEDED',
        DocumentMetadata: { Pages: 3 },
        Blocks: responses[index],
        ...(index + 1 < responses.length ? { NextToken: String(index + 1) } : {}),
      };
    });
    // Act
    const result = await getTextDetection(client, 'job-1', KEY, limiter);
    // Assess
    const calls = textract.commandCalls(GetDocumentTextDetectionCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { JobId: 'job-1', MaxResults: MAX_BLOCKS_PER_RESPONSE },
      { JobId: 'job-1', MaxResults: 1000, NextToken: '1' },
      { JobId: 'job-1', MaxResults: 1000, NextToken: '2' },
    ]);
    expect(result.status).toBe('SUCCEEDED');
    if (result.status !== 'SUCCEEDED') return;
    expect(result.pages).toBe(3);
    expect(result.document.engine).toBe(TEXTRACT_ASYNC_ENGINE);
    expect(ocrDocumentSchema.parse(result.document).pages.map((p) => [p.page, p.words.length])).toEqual([
      [1, 600],
      [2, 600],
      [3, 600],
    ]);
    expect(result.document.pages[2]?.words[0]?.text).toBe('W3-0');
  });

  it('keeps the pages of a PARTIAL_SUCCESS and says which failed', async () => {
    // Prepare
    textract.on(GetDocumentTextDetectionCommand).resolves({
      JobStatus: 'PARTIAL_SUCCESS',
      DocumentMetadata: { Pages: 2 },
      Blocks: pageBlocks(1, 2),
      Warnings: [{ ErrorCode: 'PAGE_FAILED', Pages: [2] }],
    });
    // Act
    const result = await getTextDetection(client, 'job-1', KEY, limiter);
    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED', pages: 2, warnings: ['PAGE_FAILED on pages 2'] });
  });

  it('maps throttling to ThrottlingError and an unknown job to a BadDocumentError', async () => {
    // Prepare
    textract
      .on(GetDocumentTextDetectionCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(new InvalidJobIdException({ message: 'Job not found', $metadata: {} }));
    textract
      .on(StartDocumentTextDetectionCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    // Act
    const throttled = await caught(getTextDetection(client, 'job-1', KEY, limiter));
    const unknown = await caught(getTextDetection(client, 'job-1', KEY, limiter));
    const startThrottled = await caught(startTextDetection(client, { bucket: 'b', key: KEY }, 'a', limiter));
    // Assess
    expect(throttled.name).toBe('ThrottlingError');
    expect(startThrottled.name).toBe('ThrottlingError');
    expect(unknown).toBeInstanceOf(BadDocumentError);
    expect(unknown.message).toContain('InvalidJobIdException');
  });
});
