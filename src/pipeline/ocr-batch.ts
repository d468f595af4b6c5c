/**
 * OcrBatch (one Map iteration): validate each document's annotation first (free), then OCR it through a
 * content-addressed cache (Textract is billed per page, so an unchanged document is never OCR'd twice).
 * A bad document is quarantined with its reason; throttling fails the whole batch so the ASL retries it,
 * and the retry is cheap because finished documents are cache hits by then.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TextractClient } from '@aws-sdk/client-textract';
import { getBytesIfExists, getJson, putJson } from '../aws/s3-objects';
import { BadDocumentError } from '../errors';
import { annotationSchema, type Annotation } from '../dataset';
import { ocrDocumentSchema } from '../textract';
import { TextractLimiter, defaultTextractQuotas, type TextractTps } from '../textract/throughput';
import { describeIssues } from '../validation';
import type { DocumentRef, QuarantineEntry } from './documents';
import { batchKey, type BatchFile } from './plan';
import { quarantine } from './quarantine';
import { detectWords } from './textract-ocr';

export interface OcrBatchParams {
  bucket: string;
  runId: string;
  runPrefix: string;
  batchIndex: number;
  /**
   * This iteration's share of the Textract TPS quotas (the run config's `dataset.textractTpsPerBatch`).
   * Absent: the client region's whole default quota, right for a lone caller only.
   */
  textractTps?: TextractTps;
}

export interface OcrDocumentResult extends DocumentRef {
  contentHash: string;
  annotationHash: string;
  ocrKey: string;
  cacheHit: boolean;
  fields: Annotation['fields'];
}

export interface OcrBatchFile {
  schemaVersion: 1;
  batchIndex: number;
  documents: OcrDocumentResult[];
  quarantined: QuarantineEntry[];
  cacheHits: number;
  pagesBilled: number;
}

export interface OcrBatchSummary {
  batchIndex: number;
  resultKey: string;
  documents: number;
  quarantined: number;
  cacheHits: number;
  pagesBilled: number;
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
export const ocrCacheKey = (contentHash: string): string => `ocr-cache/${contentHash}.json`;
export const ocrResultKey = (runPrefix: string, batchIndex: number): string =>
  `${runPrefix}ocr/batch-${String(batchIndex).padStart(5, '0')}.json`;

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

const ocrWithCache = async (
  deps: { s3: S3Client; textract: TextractClient; limiter: TextractLimiter },
  bucket: string,
  ref: DocumentRef,
): Promise<{ contentHash: string; ocrKey: string; cacheHit: boolean; pagesBilled: number }> => {
  const bytes = await getDocumentPart(deps.s3, bucket, ref.key, ref);
  const contentHash = sha256(bytes);
  const ocrKey = ocrCacheKey(contentHash);
  const cached = await getBytesIfExists(deps.s3, { bucket, key: ocrKey });
  if (cached !== undefined && isValidCacheEntry(cached)) {
    return { contentHash, ocrKey, cacheHit: true, pagesBilled: 0 };
  }
  const document = await detectWords(deps.textract, ref.key, bytes, deps.limiter);
  const wordCount = document.pages.reduce((sum, page) => sum + page.words.length, 0);
  if (wordCount === 0) throw new BadDocumentError('OCR found no text in the document (blank or unreadable scan)', ref.key);
  await putJson(deps.s3, { bucket, key: ocrKey }, document);
  return { contentHash, ocrKey, cacheHit: false, pagesBilled: Math.max(document.pages.length, 1) };
};

export const ocrBatch = async (
  deps: { s3: S3Client; textract: TextractClient },
  params: OcrBatchParams,
): Promise<OcrBatchSummary> => {
  const batch = (await getJson(deps.s3, { bucket: params.bucket, key: batchKey(params.runPrefix, params.batchIndex) })) as BatchFile;
  const limiter = new TextractLimiter(params.textractTps ?? defaultTextractQuotas(await deps.textract.config.region()));
  const result: OcrBatchFile = {
    schemaVersion: 1,
    batchIndex: params.batchIndex,
    documents: [],
    quarantined: [],
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
      const ocr = await ocrWithCache({ ...deps, limiter }, params.bucket, ref);
      result.documents.push({
        ...ref,
        contentHash: ocr.contentHash,
        annotationHash: annotation.annotationHash,
        ocrKey: ocr.ocrKey,
        cacheHit: ocr.cacheHit,
        fields: annotation.annotation.fields,
      });
      result.cacheHits += ocr.cacheHit ? 1 : 0;
      result.pagesBilled += ocr.pagesBilled;
    } catch (error) {
      reject(ref, 'ocr', error);
    }
  }
  await quarantine(deps.s3, params.bucket, params.runId, result.quarantined);
  const resultKey = ocrResultKey(params.runPrefix, params.batchIndex);
  await putJson(deps.s3, { bucket: params.bucket, key: resultKey }, result);
  return {
    batchIndex: params.batchIndex,
    resultKey,
    documents: result.documents.length,
    quarantined: result.quarantined.length,
    cacheHits: result.cacheHits,
    pagesBilled: result.pagesBilled,
  };
};
