/** CheckFingerprint's event and output. */
import * as z from 'zod';
import { runConfigSchema } from '../../contracts/run-config';
import { retrainSummarySchema } from '../../contracts/run-record';
import { idSchema } from '../../contracts/step-common';

export const checkFingerprintEventSchema = z.strictObject({
  /** The resolved run config (`$.config`): documents prefix, model name, training and dataset settings, force. */
  config: runConfigSchema,
  /** Pre-flight's resolved digest: the training image every attempt of the run runs. */
  imageDigest: idSchema,
});
export type CheckFingerprintEvent = z.infer<typeof checkFingerprintEventSchema>;

/** The champion a run trains against: passed to the job as its `champion` channel (scored beside the challenger; warm start). */
export const championRefSchema = z.strictObject({ runId: idSchema, modelArtifactUri: z.string().startsWith('s3://') });

/** CheckFingerprint's output (`$.retrain`): whether to train, and how. Small: no listing in the state. */
export const retrainDecisionSchema = z.strictObject({
  fingerprint: idSchema,
  /** Train or skip, why, and against which champion: what the run record keeps (RecordPreparing / RecordSkipped). */
  summary: retrainSummarySchema,
  champion: championRefSchema.nullable(),
  /** The lineage version read: PromoteModel's conditional write of the champion pointer expects it. */
  lineageVersion: z.number().int().min(0),
  /** The job's hyperparameters: the run's, plus warm_start and epochs when warm-starting. */
  hyperparameters: z.record(z.string(), z.string()),
  /** Objects listed under the documents prefix. */
  listedObjects: z.number().int().min(0),
});
export type RetrainDecision = z.infer<typeof retrainDecisionSchema>;
