/**
 * OcrBatch (one Map iteration): validate each document's annotation first (free), then OCR it through a
 * content-addressed cache (Textract is billed per page, so an unchanged document is never OCR'd twice).
 * What a document is comes from its bytes (src/documents): a bad or over-the-limit one is quarantined
 * with its reason before Textract is called. Images and one-page PDF/TIFF are OCR'd here with the sync
 * API; a multi-page PDF/TIFF gets an async Textract job, recorded as pending in the batch file; the
 * state machine then waits and calls CollectTextractJobs until none is pending (no Lambda waits on a job).
 * A bad document is quarantined with its reason; throttling fails the whole batch so the ASL retries it,
 * and the retry is cheap because finished documents are cache hits by then and job starts are idempotent.
 */
import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TextractClient } from '@aws-sdk/client-textract';
import { getBytesIfExists, getJson, putJson } from '../../aws/s3-objects';
import { BadDocumentError } from '../../contracts/errors';
import { annotationSchema } from '../../contracts/annotation';
import { batchFileSchema, ocrBatchFileSchema, type DocumentRef, type OcrBatchFile, type QuarantineEntry } from '../../contracts/objects';
import { batchKey, ocrCacheKey, ocrResultKey } from '../../contracts/s3-layout';
import type { OcrBatchParams, OcrBatchSummary } from './schema';
import { inspectDocument, routeForTextract } from '../../documents';
import { ocrDocumentSchema, type OcrDocument } from '../../textract';
import { describeIssues, parseOrThrow } from '../../validation';
import { TextractLimiter, defaultTextractQuotas } from '../../textract/throughput';
import { quarantine } from '../../documents/quarantine';
import { detectWords, startTextDetection } from '../../textract/api';

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Seconds to wait before the next look at the batch's async jobs: short at first (a few pages finish in
 * seconds), longer later, so a long document costs few state transitions (and history events).
 */
export const nextPollSeconds = (polls: number): number => [5, 10, 15, 30][polls] ?? 60;

export const readOcrBatchFile = async (s3: S3Client, bucket: string, key: string): Promise<OcrBatchFile> =>
  parseOrThrow(ocrBatchFileSchema, await getJson(s3, { bucket, key }), key);

export const summarize = (file: OcrBatchFile, resultKey: string): OcrBatchSummary => ({
  batchIndex: file.batchIndex,
  resultKey,
  documents: file.documents.length,
  quarantined: file.quarantined.length,
  cacheHits: file.cacheHits,
  pagesBilled: file.pagesBilled,
  pendingJobs: file.pending.length,
  waitSeconds: nextPollSeconds(file.polls),
});

/** Gone since PlanBatches listed it (deleted or renamed meanwhile): quarantine, do not fail the run. */
const getDocumentPart = async (s3: S3Client, bucket: string, key: string, ref: DocumentRef): Promise<Uint8Array> => {
  const bytes = await getBytesIfExists(s3, { bucket, key });
  if (bytes === undefined) throw new BadDocumentError(`${key} disappeared after the run listed it; upload it again`, ref.key);
  return bytes;
};

/** A cache object that is not a valid OCR document (truncated, foreign) counts as a miss. */
const isValidCacheEntry = (bytes: Uint8Array): boolean => {
  try {
    return ocrDocumentSchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8'))).success;
  } catch {
    return false;
  }
};

const readAnnotation = async (s3: S3Client, bucket: string, ref: DocumentRef) => {
  const bytes = await getDocumentPart(s3, bucket, ref.annotationKey, ref);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new BadDocumentError(`annotation ${ref.annotationKey} is not valid JSON: ${(error as Error).message}`, ref.key);
  }
  const result = annotationSchema.safeParse(parsed);
  if (!result.success) {
    throw new BadDocumentError(`annotation ${ref.annotationKey} is invalid: ${describeIssues(result.error.issues)}`, ref.key);
  }
  return { annotation: result.data, annotationHash: sha256(bytes) };
};

/** The cache entry for an OCR'd document; a document without a single word is quarantined instead. */
export const storeOcrDocument = async (
  s3: S3Client,
  bucket: string,
  documentKey: string,
  ocrKey: string,
  document: OcrDocument,
): Promise<void> => {
  const wordCount = document.pages.reduce((sum, page) => sum + page.words.length, 0);
  if (wordCount === 0) {
    const pages = document.pages.length > 1 ? ` (none on any of its ${document.pages.length} pages)` : '';
    throw new BadDocumentError(`OCR found no text in the document${pages} (blank or unreadable scan)`, documentKey);
  }
  await putJson(s3, { bucket, key: ocrKey }, document);
};

type OcrOutcome =
  | { kind: 'done'; contentHash: string; ocrKey: string; cacheHit: boolean; pagesBilled: number }
  | { kind: 'pending'; contentHash: string; ocrKey: string; jobId: string; pages: number };

/**
 * Textract's idempotency token for a document's async job in a run: a retry of the batch in the same run
 * gets the same job back; another run starts a fresh job (an earlier run's job may have failed or expired).
 */
export const textractJobToken = (runId: string, contentHash: string): string => sha256(`${runId}\n${contentHash}`);

const ocrWithCache = async (
  deps: { s3: S3Client; textract: TextractClient; limiter: TextractLimiter },
  bucket: string,
  runId: string,
  ref: DocumentRef,
): Promise<OcrOutcome> => {
  const bytes = await getDocumentPart(deps.s3, bucket, ref.key, ref);
  const contentHash = sha256(bytes);
  const ocrKey = ocrCacheKey(contentHash);
  const cached = await getBytesIfExists(deps.s3, { bucket, key: ocrKey });
  if (cached !== undefined && isValidCacheEntry(cached)) {
    return { kind: 'done', contentHash, ocrKey, cacheHit: true, pagesBilled: 0 };
  }
  // Checked before Textract is paid: type by content, defects, then the API's size and page limits.
  const inspection = await inspectDocument(bytes);
  if (!inspection.ok) {
    const named =
      inspection.problem === 'unsupported-type' ? ` (its name ends in ${path.extname(ref.key) || 'nothing'}; the content decides)` : '';
    throw new BadDocumentError(`${inspection.reason}${named}`, ref.key);
  }
  const route = routeForTextract(inspection);
  if (!route.ok) throw new BadDocumentError(route.reason, ref.key);
  if (route.api === 'async') {
    const jobId = await startTextDetection(deps.textract, { bucket, key: ref.key }, textractJobToken(runId, contentHash), deps.limiter);
    return { kind: 'pending', contentHash, ocrKey, jobId, pages: inspection.pages };
  }
  const document = await detectWords(deps.textract, ref.key, bytes, deps.limiter);
  await storeOcrDocument(deps.s3, bucket, ref.key, ocrKey, document);
  return { kind: 'done', contentHash, ocrKey, cacheHit: false, pagesBilled: Math.max(document.pages.length, 1) };
};

/** The limiter of one Map iteration: its share of the quotas, or the region's whole default for a lone caller. */
export const batchTextractLimiter = async (textract: TextractClient, params: OcrBatchParams): Promise<TextractLimiter> =>
  new TextractLimiter(params.textractTps ?? defaultTextractQuotas(await textract.config.region()));

export const ocrBatch = async (
  deps: { s3: S3Client; textract: TextractClient; now?: () => Date },
  params: OcrBatchParams,
): Promise<OcrBatchSummary> => {
  const key = batchKey(params.runPrefix, params.batchIndex);
  const batch = parseOrThrow(batchFileSchema, await getJson(deps.s3, { bucket: params.bucket, key }), key);
  const limiter = await batchTextractLimiter(deps.textract, params);
  const result: OcrBatchFile = {
    schemaVersion: 2,
    batchIndex: params.batchIndex,
    documents: [],
    quarantined: [],
    pending: [],
    polls: 0,
    cacheHits: 0,
    pagesBilled: 0,
  };
  const reject = (ref: DocumentRef, stage: QuarantineEntry['stage'], error: unknown): void => {
    if (!(error instanceof BadDocumentError)) throw error;
    result.quarantined.push({ documentKey: ref.key, reason: error.message, stage });
  };
  for (const ref of batch.documents) {
    let annotation: Awaited<ReturnType<typeof readAnnotation>>;
    try {
      annotation = await readAnnotation(deps.s3, params.bucket, ref);
    } catch (error) {
      reject(ref, 'annotation', error);
      continue;
    }
    try {
      const ocr = await ocrWithCache({ ...deps, limiter }, params.bucket, params.runId, ref);
      const common = {
        ...ref,
        contentHash: ocr.contentHash,
        annotationHash: annotation.annotationHash,
        ocrKey: ocr.ocrKey,
        annotation: annotation.annotation,
      };
      if (ocr.kind === 'pending') {
        result.pending.push({ ...common, jobId: ocr.jobId, pages: ocr.pages, startedAt: (deps.now?.() ?? new Date()).toISOString() });
        continue;
      }
      result.documents.push({ ...common, cacheHit: ocr.cacheHit });
      result.cacheHits += ocr.cacheHit ? 1 : 0;
      result.pagesBilled += ocr.pagesBilled;
    } catch (error) {
      reject(ref, 'ocr', error);
    }
  }
  await quarantine(deps.s3, params.bucket, params.runId, result.quarantined);
  const resultKey = ocrResultKey(params.runPrefix, params.batchIndex);
  await putJson(deps.s3, { bucket: params.bucket, key: resultKey }, result);
  return summarize(result, resultKey);
};
