/**
 * CollectTextractJobs (inside the OCR Map iteration, after a Wait state): looks once at each async
 * Textract job of the batch. A finished job's words go to the content-addressed OCR cache and the
 * document joins the batch's results; a failed job, an empty result or a job running past the time
 * limit is quarantined with its reason; a running job stays pending. Returns the same small summary as
 * OcrBatch, so the state machine loops (Wait -> Collect) until `pendingJobs` is 0.
 * Idempotent: a retried call re-reads the batch file and the jobs (GetDocumentTextDetection is free).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { TextractClient } from '@aws-sdk/client-textract';
import { putJson } from '../../aws/s3-objects';
import { BadDocumentError } from '../../contracts/errors';
import type { PendingTextractJob, QuarantineEntry } from '../../contracts/objects';
import { ocrResultKey } from '../../contracts/s3-layout';
import type { OcrBatchParams, OcrBatchSummary } from '../ocr-batch/schema';
import { batchTextractLimiter, readOcrBatchFile, storeOcrDocument, summarize } from '../ocr-batch/step';
import { quarantine } from '../../documents/quarantine';
import { getTextDetection } from '../../textract/api';

/** A job still running after this long is given up (Textract's own jobs finish far sooner). */
export const TEXTRACT_JOB_TIMEOUT_SECONDS = 6 * 60 * 60;

export const collectTextractJobs = async (
  deps: { s3: S3Client; textract: TextractClient; now?: () => Date },
  params: OcrBatchParams,
): Promise<OcrBatchSummary> => {
  const resultKey = ocrResultKey(params.runPrefix, params.batchIndex);
  const file = await readOcrBatchFile(deps.s3, params.bucket, resultKey);
  const now = deps.now?.() ?? new Date();
  const limiter = await batchTextractLimiter(deps.textract, params);
  const stillPending: PendingTextractJob[] = [];
  const quarantined: QuarantineEntry[] = [];
  for (const job of file.pending) {
    const { jobId, pages: _pages, startedAt, ...document } = job;
    try {
      const result = await getTextDetection(deps.textract, jobId, job.key, limiter);
      if (result.status === 'IN_PROGRESS') {
        const runningSeconds = (now.getTime() - Date.parse(startedAt)) / 1000;
        if (runningSeconds > TEXTRACT_JOB_TIMEOUT_SECONDS) {
          throw new BadDocumentError(
            `the Textract job ${jobId} was still running after ${Math.round(runningSeconds / 60)} minutes; given up`,
            job.key,
          );
        }
        stillPending.push(job);
        continue;
      }
      if (result.status === 'FAILED') throw new BadDocumentError(`the Textract job ${jobId} failed: ${result.message}`, job.key);
      await storeOcrDocument(deps.s3, params.bucket, job.key, job.ocrKey, result.document);
      file.documents.push({ ...document, cacheHit: false });
      file.pagesBilled += result.pages;
    } catch (error) {
      if (!(error instanceof BadDocumentError)) throw error;
      quarantined.push({ documentKey: job.key, reason: error.message, stage: 'ocr' });
    }
  }
  file.pending = stillPending;
  file.quarantined.push(...quarantined);
  file.polls += 1;
  await quarantine(deps.s3, params.bucket, params.runId, quarantined);
  await putJson(deps.s3, { bucket: params.bucket, key: resultKey }, file);
  return summarize(file, resultKey);
};
