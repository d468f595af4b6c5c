/**
 * Quarantine keeps a copy of each rejected document with a reason file beside it; the original is left
 * where it was, so nothing is lost and fixing the input is all a user has to do.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { copyObject, isNoSuchKey, putJson } from '../aws/s3-objects';
import type { QuarantineEntry, QuarantineReason } from '../contracts/objects';
import { quarantinedDocumentKey, quarantineReasonKey } from '../contracts/s3-layout';

export const quarantine = async (s3: S3Client, bucket: string, runId: string, entries: readonly QuarantineEntry[]): Promise<void> => {
  for (const entry of entries) {
    const target = quarantinedDocumentKey(runId, entry.documentKey);
    try {
      await copyObject(s3, { bucket, key: entry.documentKey }, { bucket, key: target });
    } catch (error) {
      // The document itself is gone (deleted after the run listed it): the reason file still records it.
      if (!isNoSuchKey(error)) throw error;
    }
    await putJson(s3, { bucket, key: quarantineReasonKey(runId, entry.documentKey) }, { ...entry, runId } satisfies QuarantineReason);
  }
};
