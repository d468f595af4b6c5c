/**
 * PlanBatches: list the documents, quarantine what cannot be used, write batch lists to S3 and the OCR
 * Distributed Map's item list (one small item per batch) beside them; the state gets a pointer and counts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { listKeys, putJson } from '../../aws/s3-objects';
import { EmptyDatasetError } from '../../contracts/errors';
import type { BatchFile, OcrMapItem, QuarantineEntry } from '../../contracts/objects';
import { batchKey, ocrMapItemsKey, ocrMapResultsPrefix, planQuarantineKey } from '../../contracts/s3-layout';
import type { PlanBatchesEvent, PlanResult } from './schema';
import { chunk, pairDocuments } from './documents';
import { quarantine } from '../../documents/quarantine';

/** Batch files written at once (the SDK's default agent keeps 50 sockets per host). */
const BATCH_WRITE_CONCURRENCY = 32;

export const planBatches = async (s3: S3Client, params: PlanBatchesEvent): Promise<PlanResult> => {
  const keys = await listKeys(s3, params.bucket, params.documentsPrefix);
  const { documents, quarantined } = pairDocuments(keys, params.documentsPrefix);
  // Quarantined first, so even a run that stops here leaves every rejected file's reason behind.
  await quarantine(s3, params.bucket, params.runId, quarantined);
  await putJson(s3, { bucket: params.bucket, key: planQuarantineKey(params.runPrefix) }, quarantined satisfies QuarantineEntry[]);
  if (documents.length === 0) {
    const examples = quarantined.slice(0, 3).map((entry) => `${entry.documentKey}: ${entry.reason}`);
    throw new EmptyDatasetError(
      `No usable documents under s3://${params.bucket}/${params.documentsPrefix} (${keys.length} objects, ${quarantined.length} rejected${examples.length > 0 ? `, e.g. ${examples.join('; ')}` : ''}): upload documents (PNG, JPEG, PDF or TIFF: .png/.jpg/.jpeg/.pdf/.tif/.tiff) each with a .json annotation beside it`,
    );
  }
  const groups = chunk(documents, params.batchSize);
  // Bounded: 100,000 documents are 10,000 batch files, more than one process should have in flight.
  const limit = pLimit(BATCH_WRITE_CONCURRENCY);
  await Promise.all(
    groups.map((group, batchIndex) =>
      limit(() =>
        putJson(s3, { bucket: params.bucket, key: batchKey(params.runPrefix, batchIndex) }, {
          schemaVersion: 1,
          batchIndex,
          documents: group,
        } satisfies BatchFile),
      ),
    ),
  );
  // Written after every batch file: an item the Map reads always names a batch that exists.
  const itemsKey = ocrMapItemsKey(params.runPrefix);
  const items = groups.map((group, batchIndex) => ({ batchIndex, documents: group.length }) satisfies OcrMapItem);
  await putJson(s3, { bucket: params.bucket, key: itemsKey }, items);
  return {
    itemsKey,
    resultsPrefix: ocrMapResultsPrefix(params.runPrefix),
    batchCount: groups.length,
    documentCount: documents.length,
    quarantinedCount: quarantined.length,
  };
};
