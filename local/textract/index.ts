/**
 * Local Amazon Textract: the real AWS JSON 1.1 wire protocol on 127.0.0.1, so an unmodified
 * `TextractClient({ endpoint })` (or `AWS_ENDPOINT_URL_TEXTRACT`) works against it. OCR is tesseract.js.
 *
 * Supported: DetectDocumentText, AnalyzeDocument (returns PAGE/LINE/WORD only: no FORMS/TABLES blocks),
 * StartDocumentTextDetection + GetDocumentTextDetection (paginated, at most 1,000 blocks a response).
 * Documents: PNG, JPEG, and PDF/TIFF (rendered or decoded page by page in pages.ts), with the service's
 * limits and exception names: the synchronous APIs refuse a multi-page PDF/TIFF with
 * UnsupportedDocumentException, exactly as Textract does; the asynchronous API reads it page by page.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { JsonProtocolError, requestParser, startJsonProtocolServer, type LocalServer } from '../http/json-protocol-server';
import { mulberry32, type Rng } from '../synth/prng';
import type { TextractBlock } from './blocks';
import { OcrEngine } from './ocr';
import { openDocumentPages, type DocumentPages } from './pages';

export interface LocalTextractOptions {
  /** Where Document.S3Object is read from (the local S3). */
  s3: S3Client;
  /** 0 or absent: a free port. */
  port?: number;
  /**
   * Requests per second allowed per operation (Textract quotas are per API). Above it the request fails
   * with ProvisionedThroughputExceededException, which the SDK classifies as throttling and retries.
   * Absent: unlimited.
   */
  maxTps?: number;
  /** Injected throttling (also settable later with `setFaults`). */
  faults?: LocalTextractFaults;
}

export interface LocalTextractFaults {
  /**
   * Share of requests (0..1, every operation) answered with ProvisionedThroughputExceededException before
   * any work is done, drawn by a PRNG seeded with `seed` (default 1): the same seed throttles the same
   * request numbers.
   */
  throttleRate?: number;
  seed?: number;
}

export interface LocalTextractStats {
  requests: number;
  /** Of which answered with ProvisionedThroughputExceededException (injected or over maxTps). */
  throttled: number;
}

export type LocalTextract = LocalServer & {
  /** The OCR engine reading the pages, e.g. `tesseract 5.3.0 (native, eng 4.0.0_best_int)` (readers.ts). */
  readonly engine: string;
  setFaults(faults: LocalTextractFaults): void;
  stats(): LocalTextractStats;
};

const MAX_RESULTS = 1000;
const FEATURE_TYPES = ['TABLES', 'FORMS', 'QUERIES', 'SIGNATURES', 'LAYOUT'] as const;

const parseRequest = requestParser('InvalidParameterException');
const invalidParameter = (message: string): JsonProtocolError => new JsonProtocolError('InvalidParameterException', message);

/** The request members the local Textract reads, with the service's constraints (unknown members are ignored, as there). */
const s3ObjectSchema = z.looseObject({ Bucket: z.string().min(1), Name: z.string().min(1), Version: z.string().nullish() });
type S3ObjectMember = z.output<typeof s3ObjectSchema>;
const documentSchema = z
  .looseObject({
    Bytes: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not valid base64')
      .optional(),
    S3Object: s3ObjectSchema.nullish(),
  })
  .refine(
    (document) => (document.Bytes === undefined) !== (document.S3Object === undefined || document.S3Object === null),
    'specify either Bytes or S3Object',
  );
const detectSchema = z.looseObject({ Document: documentSchema });
const analyzeSchema = detectSchema.extend({ FeatureTypes: z.array(z.enum(FEATURE_TYPES)).min(1) });
const startDetectionSchema = z.looseObject({
  DocumentLocation: z.looseObject({ S3Object: s3ObjectSchema }),
  ClientRequestToken: z.string().nullish(),
});
const getDetectionSchema = z.looseObject({
  JobId: z.string().min(1),
  MaxResults: z.int().min(1).max(MAX_RESULTS).nullish(),
  NextToken: z.string().nullish(),
});

interface AsyncJob {
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  pages: number;
  blocks?: TextractBlock[];
  statusMessage?: string;
}

const readS3Object = async (s3: S3Client, { Bucket: bucket, Name: name, Version: version }: S3ObjectMember): Promise<Buffer> => {
  try {
    const out = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: name, ...(version === undefined || version === null ? {} : { VersionId: version }) }),
    );
    if (out.Body === undefined) throw new Error('empty body');
    return Buffer.from(await out.Body.transformToByteArray());
  } catch (error) {
    // Textract reports any unreadable S3 object this way (missing, no access, wrong region).
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new JsonProtocolError('InvalidS3ObjectException', `Unable to get object metadata from S3 (${detail})`);
  }
};

/** `Document` of the sync APIs: exactly one of Bytes (base64 on the wire) or S3Object (the schema checks which). */
const readDocument = async (s3: S3Client, document: z.output<typeof documentSchema>): Promise<Buffer> =>
  document.Bytes !== undefined ? Buffer.from(document.Bytes, 'base64') : readS3Object(s3, s3ObjectSchema.parse(document.S3Object));

const encodeToken = (jobId: string, offset: number): string => Buffer.from(JSON.stringify({ j: jobId, o: offset })).toString('base64url');

const decodeToken = (token: string, jobId: string): number => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      const { j, o } = parsed as { j?: unknown; o?: unknown };
      if (j === jobId && typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
    }
  } catch {
    // fall through
  }
  throw invalidParameter('Invalid NextToken');
};

export const startLocalTextract = async (options: LocalTextractOptions): Promise<LocalTextract> => {
  const ocr = new OcrEngine();
  // Textract answers with its model version (`1.0`); the local one names the engine that read the page, which
  // the OCR cache document and the dataset manifest then report (ocrEngines).
  const MODEL_VERSION = `local ${ocr.engine}`;
  const jobs = new Map<string, AsyncJob>();
  const jobsByToken = new Map<string, string>();
  const recent = new Map<string, number[]>(); // operation -> request times in the last second
  const stats: LocalTextractStats = { requests: 0, throttled: 0 };
  let faults: LocalTextractFaults = {};
  let draw: Rng = mulberry32(1);
  const setFaults = (next: LocalTextractFaults): void => {
    if (next.throttleRate !== undefined && !(next.throttleRate >= 0 && next.throttleRate <= 1)) {
      throw new RangeError(`throttleRate must be within 0..1, got ${next.throttleRate}`);
    }
    faults = { ...next };
    draw = mulberry32(next.seed ?? 1);
  };
  setFaults(options.faults ?? {});

  const throttle = (operation: string): void => {
    stats.requests += 1;
    if (faults.throttleRate !== undefined && faults.throttleRate > 0 && draw() < faults.throttleRate) {
      stats.throttled += 1;
      throw new JsonProtocolError('ProvisionedThroughputExceededException', `Provisioned rate exceeded (injected: ${operation})`);
    }
    if (options.maxTps === undefined) return;
    const now = Date.now();
    const times = (recent.get(operation) ?? []).filter((t) => now - t < 1000);
    if (times.length >= options.maxTps) {
      recent.set(operation, times);
      stats.throttled += 1;
      throw new JsonProtocolError(
        'ProvisionedThroughputExceededException',
        `Provisioned rate exceeded: ${operation} is limited to ${options.maxTps} TPS locally`,
      );
    }
    times.push(now);
    recent.set(operation, times);
  };

  /** Every page of the document through the OCR engine, in page order. */
  const recognizeAll = async (document: DocumentPages): Promise<TextractBlock[]> => {
    const blocks: TextractBlock[] = [];
    try {
      for (let pageNumber = 1; pageNumber <= document.pageCount; pageNumber++) {
        blocks.push(...(await ocr.recognizePage(await document.page(pageNumber), pageNumber)));
      }
    } finally {
      await document.close();
    }
    return blocks;
  };

  const detect = async ({ Document }: z.output<typeof detectSchema>) => {
    const document = await openDocumentPages(await readDocument(options.s3, Document), 'sync');
    return { DocumentMetadata: { Pages: document.pageCount }, Blocks: await recognizeAll(document) };
  };

  const server = await startJsonProtocolServer({
    targetPrefix: 'Textract',
    ...(options.port !== undefined ? { port: options.port } : {}),
    beforeDispatch: throttle,
    onClose: () => ocr.close(),
    handlers: {
      DetectDocumentText: async (input) => ({
        ...(await detect(parseRequest(detectSchema, input))),
        DetectDocumentTextModelVersion: MODEL_VERSION,
      }),
      AnalyzeDocument: async (input) => {
        // Only the text blocks are produced locally; FORMS/TABLES/... analysis is not emulated.
        return { ...(await detect(parseRequest(analyzeSchema, input))), AnalyzeDocumentModelVersion: MODEL_VERSION };
      },
      StartDocumentTextDetection: async (input) => {
        const request = parseRequest(startDetectionSchema, input);
        const s3Object = request.DocumentLocation.S3Object;
        const clientToken = request.ClientRequestToken ?? undefined;
        if (clientToken !== undefined) {
          // Idempotency: the same token starts the job once, like Textract.
          const existing = jobsByToken.get(clientToken);
          if (existing !== undefined) return { JobId: existing };
        }
        // Like the service, the object is read and its format, size and page count checked when the job starts.
        const document = await openDocumentPages(await readS3Object(options.s3, s3Object), 'async');
        const jobId = createHash('sha256').update(randomBytes(32)).digest('hex');
        const job: AsyncJob = { status: 'IN_PROGRESS', pages: document.pageCount };
        jobs.set(jobId, job);
        if (clientToken !== undefined) jobsByToken.set(clientToken, jobId);
        void (async () => {
          try {
            job.blocks = await recognizeAll(document);
            job.status = 'SUCCEEDED';
          } catch (error) {
            job.status = 'FAILED';
            job.statusMessage = error instanceof Error ? error.message : String(error);
          }
        })();
        return { JobId: jobId };
      },
      GetDocumentTextDetection: (input) => {
        const request = parseRequest(getDetectionSchema, input);
        const jobId = request.JobId;
        const job = jobs.get(jobId);
        if (job === undefined) throw new JsonProtocolError('InvalidJobIdException', `Job ID ${jobId} not found`);
        const maxResults = request.MaxResults ?? MAX_RESULTS;
        const nextToken = request.NextToken ?? undefined;
        const base = { DetectDocumentTextModelVersion: MODEL_VERSION, JobStatus: job.status };
        if (job.status === 'IN_PROGRESS') return base;
        if (job.status === 'FAILED') return { ...base, StatusMessage: job.statusMessage ?? 'Job failed' };
        const blocks = job.blocks ?? [];
        const offset = nextToken === undefined ? 0 : decodeToken(nextToken, jobId);
        const end = offset + maxResults;
        return {
          ...base,
          DocumentMetadata: { Pages: job.pages },
          Blocks: blocks.slice(offset, end),
          ...(end < blocks.length ? { NextToken: encodeToken(jobId, end) } : {}),
        };
      },
    },
  });
  return { ...server, engine: ocr.engine, setFaults, stats: () => ({ ...stats }) };
};
