/**
 * Textract -> OCR words, synchronously (DetectDocumentText: images and one-page PDF/TIFF) or
 * asynchronously (StartDocumentTextDetection on the S3 object, then GetDocumentTextDetection with
 * NextToken pagination, at most 1,000 blocks a response). Every call goes through the run's
 * TextractLimiter (TPS share per API, SDK retries with jitter; throttling left after the retries is a
 * ThrottlingError, which the ASL retries with backoff); a document Textract refuses is a BadDocumentError
 * (quarantined, the run goes on); anything else propagates unchanged.
 */
import {
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  StartDocumentTextDetectionCommand,
  type Block,
  type TextractClient,
} from '@aws-sdk/client-textract';
import { BadDocumentError } from '../contracts/errors';
import { TEXTRACT_ENGINE } from '../contracts/ocr-constants';
import { blocksToOcrDocument, type OcrDocument } from './';
import type { S3Location } from '../aws/s3-objects';
import type { TextractLimiter } from './throughput';

const DOCUMENT_REFUSED = new Set([
  'UnsupportedDocumentException',
  'BadDocumentException',
  'DocumentTooLargeException',
  'InvalidParameterException',
  // Async API: Textract could not read the S3 object as the caller (gone, or no s3:GetObject / kms:Decrypt).
  'InvalidS3ObjectException',
  // Async API: the job id is unknown (results are kept 7 days).
  'InvalidJobIdException',
]);

export const TEXTRACT_ASYNC_ENGINE = 'textract:StartDocumentTextDetection';

/** The OCR cache document's `engine`: the API, and the model version Textract answered with (`… 1.0`). */
const engineName = (api: string, modelVersion: string | undefined): string => (modelVersion ? `${api} ${modelVersion}` : api);

/** GetDocumentTextDetection's page size: the most blocks one response may hold. */
export const MAX_BLOCKS_PER_RESPONSE = 1000;

const call = async <T>(documentKey: string, send: () => Promise<T>): Promise<T> => {
  try {
    return await send();
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    const message = (error as { message?: string }).message ?? String(error);
    if (DOCUMENT_REFUSED.has(name)) {
      throw new BadDocumentError(`Textract refused the document (${name}): ${message}`, documentKey, { cause: error });
    }
    throw error;
  }
};

export const detectWords = async (
  textract: TextractClient,
  documentKey: string,
  bytes: Uint8Array,
  limiter: TextractLimiter,
): Promise<OcrDocument> => {
  const response = await call(documentKey, () =>
    limiter.send(textract, 'DetectDocumentText', new DetectDocumentTextCommand({ Document: { Bytes: bytes } })),
  );
  return blocksToOcrDocument(response.Blocks ?? [], {}, engineName(TEXTRACT_ENGINE, response.DetectDocumentTextModelVersion));
};

/**
 * Starts an async text detection job on the S3 object. `clientToken` makes the start idempotent (the same
 * token gives the same job), so a retried OcrBatch does not start (nor pay for) a second job.
 */
export const startTextDetection = async (
  textract: TextractClient,
  document: S3Location & { versionId?: string },
  clientToken: string,
  limiter: TextractLimiter,
): Promise<string> => {
  const response = await call(document.key, () =>
    limiter.send(
      textract,
      'StartDocumentTextDetection',
      new StartDocumentTextDetectionCommand({
        DocumentLocation: {
          S3Object: { Bucket: document.bucket, Name: document.key, ...(document.versionId ? { Version: document.versionId } : {}) },
        },
        ClientRequestToken: clientToken,
      }),
    ),
  );
  if (!response.JobId) throw new Error(`StartDocumentTextDetection returned no JobId for ${document.key}`);
  return response.JobId;
};

export type TextDetectionResult =
  | { readonly status: 'IN_PROGRESS' }
  | { readonly status: 'SUCCEEDED'; readonly document: OcrDocument; readonly pages: number; readonly warnings: string[] }
  | { readonly status: 'FAILED'; readonly message: string };

/** One look at an async job; when it is done, every response page (NextToken) is read and converted. */
export const getTextDetection = async (
  textract: TextractClient,
  jobId: string,
  documentKey: string,
  limiter: TextractLimiter,
): Promise<TextDetectionResult> => {
  const get = (nextToken?: string) =>
    call(documentKey, () =>
      limiter.send(
        textract,
        'GetDocumentTextDetection',
        new GetDocumentTextDetectionCommand({
          JobId: jobId,
          MaxResults: MAX_BLOCKS_PER_RESPONSE,
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        }),
      ),
    );
  const first = await get();
  if (first.JobStatus === 'IN_PROGRESS' || first.JobStatus === undefined) return { status: 'IN_PROGRESS' };
  if (first.JobStatus === 'FAILED') return { status: 'FAILED', message: first.StatusMessage ?? 'the Textract job failed' };
  // SUCCEEDED, or PARTIAL_SUCCESS (some pages failed: the rest is kept, the warnings say which).
  const blocks: Block[] = [...(first.Blocks ?? [])];
  const warnings = (first.Warnings ?? []).map((w) => `${w.ErrorCode ?? 'warning'} on pages ${(w.Pages ?? []).join(', ')}`);
  let token = first.NextToken;
  while (token !== undefined && token !== '') {
    const next = await get(token);
    blocks.push(...(next.Blocks ?? []));
    token = next.NextToken;
  }
  return {
    status: 'SUCCEEDED',
    document: blocksToOcrDocument(blocks, {}, engineName(TEXTRACT_ASYNC_ENGINE, first.DetectDocumentTextModelVersion)),
    pages: first.DocumentMetadata?.Pages ?? 1,
    warnings,
  };
};
