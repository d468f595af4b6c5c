/** PlanBatches: list the documents, quarantine what cannot be used, write batch lists to S3 for the Map. */
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys, putJson } from '../aws/s3-objects';
import { EmptyDatasetError } from '../errors';
import { chunk, pairDocuments, type DocumentRef, type QuarantineEntry } from './documents';
import { quarantine } from './quarantine';

export interface PlanParams {
  bucket: string;
  runId: string;
  runPrefix: string;
  documentsPrefix: string;
  batchSize: number;
}

/** Only pointers travel through the state machine (256 KB state limit): each Map item names one S3 object. */
export interface BatchPointer {
  batchIndex: number;
  batchKey: string;
}

export interface BatchFile {
  schemaVersion: 1;
  batchIndex: number;
  documents: DocumentRef[];
}

export interface PlanResult {
  batches: BatchPointer[];
  documentCount: number;
  quarantinedCount: number;
}

export const planQuarantineKey = (runPrefix: string): string => `${runPrefix}plan/quarantined.json`;

export const planBatches = async (s3: S3Client, params: PlanParams): Promise<PlanResult> => {
  const keys = await listKeys(s3, params.bucket, params.documentsPrefix);
  const { documents, quarantined } = pairDocuments(keys, params.documentsPrefix);
  if (documents.length === 0) {
    throw new EmptyDatasetError(
      `No usable documents under s3://${params.bucket}/${params.documentsPrefix} (${keys.length} objects, ${quarantined.length} rejected): upload images (.png/.jpg) each with a .json annotation beside it`,
    );
  }
  await quarantine(s3, params.bucket, params.runId, quarantined);
  await putJson(s3, { bucket: params.bucket, key: planQuarantineKey(params.runPrefix) }, quarantined satisfies QuarantineEntry[]);
  const groups = chunk(documents, params.batchSize);
  const batches = groups.map((_, batchIndex): BatchPointer => ({
    batchIndex,
    batchKey: `${params.runPrefix}batches/batch-${String(batchIndex).padStart(5, '0')}.json`,
  }));
  await Promise.all(
    batches.map((pointer) =>
      putJson(s3, { bucket: params.bucket, key: pointer.batchKey }, {
        schemaVersion: 1,
        batchIndex: pointer.batchIndex,
        documents: groups[pointer.batchIndex] ?? [],
      } satisfies BatchFile),
    ),
  );
  return { batches, documentCount: documents.length, quarantinedCount: quarantined.length };
};
