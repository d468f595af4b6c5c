/** The resolved run config, ValidateInput's output (`$.config`), which every later state reads. */
import * as z from 'zod';
import { fieldNamesSchema, localeSchema } from './value-rules';
import { textractTpsSchema } from './textract-tps';
import { trainingConfigSchema } from './training-config';
import { tuningConfigSchema } from './tuning';
import { priceTableSchema } from './prices';
import { bucketSchema, idSchema } from './step-common';
import { classListSchema, taskSchema } from './task';

/** What started the run (execution input `trigger`). */
export const TRIGGERS = ['manual', 'schedule', 'cli', 'local'] as const;

/** The resolved run config: ValidateInput's output (`$.config`), read by every later state. Small: no document lists. */
export const runConfigSchema = z.strictObject({
  runId: idSchema,
  trigger: z.enum(TRIGGERS),
  modelName: idSchema,
  /** Train even when nothing changed since the lineage's champion or last COMPLETED run (CheckFingerprint). */
  force: z.boolean(),
  /** The promotion rule (src/retrain/promotion.ts): entity F1 gain required, largest per-field exact-match drop allowed. */
  promotion: z.strictObject({ margin: z.number().min(0).max(1), fieldTolerance: z.number().min(0).max(1) }),
  bucket: bucketSchema,
  documentsPrefix: z.string(),
  /** Every object this run writes lives under here (s3-layout runPrefix). */
  runPrefix: idSchema,
  dataset: z.strictObject({
    validationFraction: z.number(),
    batchSize: z.number().int().min(1),
    /** The OCR Map's MaxConcurrency. */
    ocrConcurrency: z.number().int().min(1),
    /** The account's Textract quotas this run keeps to, all iterations together. */
    textractTps: textractTpsSchema,
    /** One OCR Map iteration's share: textractTps / ocrConcurrency (each iteration is its own process on AWS). */
    textractTpsPerBatch: textractTpsSchema,
    /** Above this share of quarantined documents the run fails instead of training on the rest. */
    maxQuarantineShare: z.number().min(0).max(1),
    /** Write page images under the dataset's `images/` and pass them as the job's `images` channel. */
    pageImages: z.boolean(),
    /** The documents' locale (BCP 47), or null: the day/month order of numeric dates they do not settle. */
    locale: localeSchema.nullable(),
    /** Field names added to the value table's, per field key. */
    fieldNames: fieldNamesSchema,
    /** What the run trains, or null: told by the annotations (class annotations: classification). */
    task: taskSchema.nullable(),
    /** Task classification: the class list the annotations must use (execution input dataset.classes), or null: theirs. */
    classes: classListSchema.nullable(),
  }),
  /** The current training attempt and the instance plan (./training-config.ts). */
  training: trainingConfigSchema,
  /** The run's hyperparameter tuning job (./tuning.ts), or null: the run trains one job per attempt (a config from before tuning existed: null). */
  tuning: tuningConfigSchema.nullable().default(null),
  pollSeconds: z.number().int().min(1),
  /** The run's cost budget in USD, or null: none (src/cost/ledger.ts; the poll loop stops the job past it). */
  budgetUsd: z.number().positive().nullable(),
  /** The price table the run's cost ledger bills with, fixed for the run when it starts (the prices setting over the defaults). */
  prices: priceTableSchema,
});
export type RunConfig = z.infer<typeof runConfigSchema>;
