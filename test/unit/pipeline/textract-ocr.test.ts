import {
  BadDocumentException,
  DetectDocumentTextCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  TextractClient,
  ThrottlingException,
  UnsupportedDocumentException,
} from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BadDocumentError, ThrottlingError } from '../../../src/errors';
import { detectWords } from '../../../src/pipeline/textract-ocr';
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

  it('gives a document with no pages (not an error) when Textract returns no blocks', async () => {
    // Prepare
    textract.on(DetectDocumentTextCommand).resolves({ DocumentMetadata: { Pages: 1 } });
    // Act
    const document = await detectWords(client, KEY, BYTES, limiter);
    // Assess
    expect(document).toEqual({ schemaVersion: OCR_SCHEMA_VERSION, engine: TEXTRACT_ENGINE, pages: [] });
  });

  it.each([
    ['ProvisionedThroughputExceededException', () => new ProvisionedThroughputExceededException({ message: 'Provisioned rate exceeded', $metadata: {} })],
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
    ['UnsupportedDocumentException', () => new UnsupportedDocumentException({ message: 'Request has unsupported document format', $metadata: {} })],
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
