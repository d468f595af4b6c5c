/** BuildDataset's event and output. */
import * as z from 'zod';
import { count, idSchema, runObjects } from '../../contracts/step-common';
import { championRefSchema } from '../check-fingerprint/schema';
import { METRIC_DEFINITION_LIMITS, metricDefinitionSchema } from '../../contracts/metric-line';
import { fieldNamesSchema, localeSchema } from '../../contracts/value-rules';
import { classListSchema, taskSchema } from '../../contracts/task';

export const buildDatasetEventSchema = z.strictObject({
  ...runObjects,
  /** How many batches PlanBatches wrote: exactly their results are read, never a stale leftover. */
  batchCount: z.number().int().min(1),
  validationFraction: z.number().gt(0).lt(1),
  /** The run fails (QuarantineShareExceededError) when more than this share of its documents is quarantined. */
  maxQuarantineShare: z.number().min(0).max(1),
  /** Write each PNG/JPEG document's page image under the dataset's `images/` (execution input dataset.pageImages). */
  pageImages: z.boolean(),
  /** The documents' locale (dataset.locale), or null: the day/month order of numeric dates they do not settle. */
  locale: localeSchema.nullable(),
  /** Field names added to the value table's (dataset.fieldNames). */
  fieldNames: fieldNamesSchema,
  /** What the run trains (task), or null: told by the annotations. */
  task: taskSchema.nullable(),
  /** Task classification: the class list the annotations must use (dataset.classes), or null: theirs. */
  classes: classListSchema.nullable(),
  /** A saved pretrained model for the job's `model` channel (training.modelChannelUri), or null. */
  modelChannelUri: z.string().startsWith('s3://').nullable(),
  /** The lineage's champion (CheckFingerprint), or null: its model.tar.gz is the job's `champion` channel. */
  champion: championRefSchema.nullable(),
});
export type BuildDatasetEvent = z.infer<typeof buildDatasetEventSchema>;

/** One entry of CreateTrainingJob's InputDataConfig. */
export const trainingChannelSchema = z.strictObject({
  ChannelName: idSchema,
  ContentType: idSchema,
  DataSource: z.strictObject({
    S3DataSource: z.strictObject({
      S3DataType: z.literal('S3Prefix'),
      S3DataDistributionType: z.literal('FullyReplicated'),
      S3Uri: z.string().startsWith('s3://'),
    }),
  }),
});
export type TrainingChannel = z.infer<typeof trainingChannelSchema>;

/** BuildDataset's output (`$.dataset`): S3 pointers only. */
export const datasetPointersSchema = z.strictObject({
  fingerprint: idSchema,
  prefix: idSchema,
  trainS3Uri: idSchema,
  validationS3Uri: idSchema,
  labelsS3Uri: idSchema,
  manifestS3Uri: idSchema,
  /** This run's manifest: the same schema, with this run's cache hits, pages billed and quarantine. */
  runManifestS3Uri: idSchema,
  /** The dataset's page images prefix, or null when this run wrote none (dataset.pageImages false). */
  imagesS3Uri: z.string().nullable(),
  /** CreateTrainingJob's InputDataConfig (ASL cannot add the optional images/model channels itself). */
  inputDataConfig: z.array(trainingChannelSchema),
  counts: z.strictObject({ documents: count, train: count, validation: count, quarantined: count }),
  /** Pages Textract billed this run (cache hits bill none): the cost ledger's Textract line. */
  textractPagesBilled: count,
  /** CreateTrainingJob's MetricDefinitions, derived from the dataset's labels (src/contracts/metric-line.ts). */
  metricDefinitions: z.array(metricDefinitionSchema).max(METRIC_DEFINITION_LIMITS.maxDefinitions),
  /** The labels' fields left without MetricDefinitions (past SageMaker's 40); also in the manifest. */
  metricFieldsOmitted: z.array(z.string()),
});
export type DatasetPointers = z.infer<typeof datasetPointersSchema>;
