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
import {
  JsonProtocolError,
  makeReaders,
  startJsonProtocolServer,
  type JsonObject,
  type LocalServer,
} from '../http/json-protocol-server';
import { mulberry32, type Rng } from '../synth/prng';
import { OcrEngine, type TextractBlock } from './ocr';
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
  setFaults(faults: LocalTextractFaults): void;
  stats(): LocalTextractStats;
};

const MODEL_VERSION = '1.0';
const MAX_RESULTS = 1000;
const FEATURE_TYPES = new Set(['TABLES', 'FORMS', 'QUERIES', 'SIGNATURES', 'LAYOUT']);

const r = makeReaders('InvalidParameterException');

interface AsyncJob {
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  pages: number;
  blocks?: TextractBlock[];
  statusMessage?: string;
}

const readS3Object = async (s3: S3Client, s3Object: JsonObject): Promise<Buffer> => {
  const bucket = r.string(s3Object['Bucket'], 'S3Object.Bucket');
  const name = r.string(s3Object['Name'], 'S3Object.Name');
  const version = r.optionalString(s3Object['Version'], 'S3Object.Version');
  try {
    const out = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: name, ...(version !== undefined ? { VersionId: version } : {}) }),
    );
    if (out.Body === undefined) throw new Error('empty body');
    return Buffer.from(await out.Body.transformToByteArray());
  } catch (error) {
    // Textract reports any unreadable S3 object this way (missing, no access, wrong region).
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new JsonProtocolError('InvalidS3ObjectException', `Unable to get object metadata from S3 (${detail})`);
  }
};

/** `Document` of the sync APIs: exactly one of Bytes (base64 on the wire) or S3Object. */
const readDocument = async (s3: S3Client, input: JsonObject): Promise<Buffer> => {
  const document = r.optionalObject(input['Document'], 'Document');
  if (document === undefined) return r.fail('Document is required');
  const bytes = document['Bytes'];
  const s3Object = r.optionalObject(document['S3Object'], 'Document.S3Object');
  if (bytes !== undefined && s3Object !== undefined) return r.fail('Specify either Document.Bytes or Document.S3Object');
  if (typeof bytes === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(bytes)) return r.fail('Document.Bytes is not valid base64');
    return Buffer.from(bytes, 'base64');
  }
  if (bytes !== undefined) return r.fail('Document.Bytes must be a base64 string');
  if (s3Object !== undefined) return readS3Object(s3, s3Object);
  return r.fail('Document must contain Bytes or S3Object');
};

const encodeToken = (jobId: string, offset: number): string =>
  Buffer.from(JSON.stringify({ j: jobId, o: offset })).toString('base64url');

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
  return r.fail('Invalid NextToken');
};

export const startLocalTextract = async (options: LocalTextractOptions): Promise<LocalTextract> => {
  const ocr = new OcrEngine();
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

  const detect = async (input: JsonObject) => {
    const document = await openDocumentPages(await readDocument(options.s3, input), 'sync');
    return { DocumentMetadata: { Pages: document.pageCount }, Blocks: await recognizeAll(document) };
  };

  const server = await startJsonProtocolServer({
    targetPrefix: 'Textract',
    ...(options.port !== undefined ? { port: options.port } : {}),
    beforeDispatch: throttle,
    onClose: () => ocr.close(),
    handlers: {
      DetectDocumentText: async (input) => ({
        ...(await detect(input)),
        DetectDocumentTextModelVersion: MODEL_VERSION,
      }),
      AnalyzeDocument: async (input) => {
        const features = input['FeatureTypes'];
        if (!Array.isArray(features) || features.length === 0) return r.fail('FeatureTypes is required');
        for (const f of features) {
          if (typeof f !== 'string' || !FEATURE_TYPES.has(f)) return r.fail(`Invalid FeatureType: ${String(f)}`);
        }
        // Only the text blocks are produced locally; FORMS/TABLES/... analysis is not emulated.
        return { ...(await detect(input)), AnalyzeDocumentModelVersion: MODEL_VERSION };
      },
      StartDocumentTextDetection: async (input) => {
        const location = r.optionalObject(input['DocumentLocation'], 'DocumentLocation');
        if (location === undefined) return r.fail('DocumentLocation is required');
        const s3Object = r.object(location['S3Object'], 'DocumentLocation.S3Object');
        r.string(s3Object['Bucket'], 'S3Object.Bucket');
        r.string(s3Object['Name'], 'S3Object.Name');
        const clientToken = r.optionalString(input['ClientRequestToken'], 'ClientRequestToken');
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
        const jobId = r.string(input['JobId'], 'JobId');
        const job = jobs.get(jobId);
        if (job === undefined) throw new JsonProtocolError('InvalidJobIdException', `Job ID ${jobId} not found`);
        const maxResults = r.optionalInteger(input['MaxResults'], 'MaxResults', 1, MAX_RESULTS) ?? MAX_RESULTS;
        const nextToken = r.optionalString(input['NextToken'], 'NextToken');
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
  return { ...server, setFaults, stats: () => ({ ...stats }) };
};
