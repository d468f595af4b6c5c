/**
 * The training fingerprint: everything that decides what a training job would learn, hashed. Two runs
 * with the same fingerprint train the same model (the trainer is seeded), so a scheduled retrain whose
 * fingerprint equals its lineage's champion's or last COMPLETED run's is skipped (CheckFingerprint).
 *
 * It is computed from a listing and the run config only, never from OCR: the documents and their
 * annotations by S3 key (relative to the documents prefix), ETag and size (an ETag changes with the
 * bytes; a re-upload of the same bytes keeps it), the dataset builder's own versions (the label schema:
 * how annotations become BIO labels), the dataset settings that change the dataset, the resolved image
 * digest (the trainer's code and libraries), the hyperparameters, the pretrained model channel and the
 * warm-start policy.
 */
import { createHash } from 'node:crypto';
import type { ListedObject } from '../aws/s3-objects';
import { DATASET_SCHEMA_VERSION, RECORD_LAYOUT } from '../contracts/objects';
import { LABELLING_VERSION } from '../dataset/build';
import { canonicalJson } from '../dataset/fingerprint';

/** Bump when what the fingerprint covers changes meaning (an old fingerprint must then not match). */
export const TRAINING_FINGERPRINT_VERSION = 1;

export interface TrainingFingerprintInput {
  documentsPrefix: string;
  /** Every object under the documents prefix (documents, annotations, and whatever else is there). */
  objects: readonly ListedObject[];
  imageDigest: string;
  hyperparameters: Readonly<Record<string, string>>;
  dataset: {
    validationFraction: number;
    pageImages: boolean;
    locale: string | null;
    fieldNames: Readonly<Record<string, readonly string[]>>;
    /** Given only when the run names them (a token run's fingerprint is as it was before tasks). */
    task?: string;
    classes?: readonly string[];
  };
  modelChannelUri: string | null;
  warmStart: 'none' | 'champion';
}

/** 64 hex digits: the fingerprint names nothing in S3, so it is kept whole. */
export const trainingFingerprint = (input: TrainingFingerprintInput): string =>
  createHash('sha256')
    .update(
      canonicalJson({
        version: TRAINING_FINGERPRINT_VERSION,
        labelSchema: { dataset: DATASET_SCHEMA_VERSION, labelling: LABELLING_VERSION, recordLayout: RECORD_LAYOUT },
        // Relative keys: the same folder under another prefix (uploads/<folder>/) is the same corpus.
        documents: input.objects
          .filter((object) => !object.key.endsWith('/'))
          .map((object) => [object.key.slice(input.documentsPrefix.length), object.etag, object.size]),
        imageDigest: input.imageDigest,
        hyperparameters: input.hyperparameters,
        dataset: input.dataset,
        modelChannelUri: input.modelChannelUri,
        warmStart: input.warmStart,
      }),
    )
    .digest('hex');
