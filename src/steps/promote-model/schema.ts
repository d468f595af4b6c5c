/** PromoteModel's event and output. */
import * as z from 'zod';
import { promotionSchema } from '../../contracts/lineage';
import { bucketSchema, idSchema } from '../../contracts/step-common';
import { retrainDecisionSchema } from '../check-fingerprint/schema';

export const promoteModelEventSchema = z.strictObject({
  runId: idSchema,
  executionName: idSchema,
  modelName: idSchema,
  bucket: bucketSchema,
  /** CheckFingerprint's decision: the fingerprint, the champion the job scored, the lineage version read. */
  retrain: retrainDecisionSchema,
  /** FinalizeRun's view of the completed job: its final metrics (challenger and champion_*) and artifact. */
  metrics: z.record(z.string(), z.number()),
  modelArtifactUri: z.string().startsWith('s3://'),
  /** The run's promotion rule (config.promotion). */
  rule: z.strictObject({ margin: z.number().min(0).max(1), fieldTolerance: z.number().min(0).max(1) }),
});
export type PromoteModelEvent = z.infer<typeof promoteModelEventSchema>;

/** PromoteModel's output (`$.promotion`): the decision in short; the whole one is on the run record. */
export const promoteModelResultSchema = z.strictObject({
  status: z.literal('COMPLETED'),
  decision: promotionSchema.shape.decision,
  rule: promotionSchema.shape.rule,
  reason: z.string(),
  championBefore: z.string().nullable(),
  championAfter: z.string().nullable(),
  modelPackageArn: z.string().optional(),
});
export type PromoteModelResult = z.infer<typeof promoteModelResultSchema>;
