/**
 * Every intermediate S3 object the pipeline writes and reads back, as a zod schema; the TypeScript types
 * are inferred from them. A step that reads one of these parses it (never casts). Keys: ./s3-layout.ts.
 * The OCR cache document is in ./ocr-document.ts, the annotation beside each document in ./annotation.ts.
 */
import * as z from 'zod';
import { annotationSchema, classNameSchema } from './annotation';
import { taskSchema } from './task';

const hashSchema = z.string().regex(/^[0-9a-f]{64}$/);

// ---- Documents and quarantine ----------------------------------------------------------------------

/** A document PlanBatches listed, with its annotation beside it. */
export const documentRefSchema = z.strictObject({
  /** Stable id: the key relative to the documents prefix, without extension (s3-layout documentIdFor). */
  id: z.string().min(1),
  key: z.string().min(1),
  annotationKey: z.string().min(1),
});
export type DocumentRef = z.infer<typeof documentRefSchema>;

export const QUARANTINE_STAGES = ['plan', 'annotation', 'ocr', 'dataset'] as const;

/** A document (or an annotation without one) left out of the run, and why. */
export const quarantineEntrySchema = z.strictObject({
  documentKey: z.string().min(1),
  reason: z.string().min(1),
  stage: z.enum(QUARANTINE_STAGES),
});
export type QuarantineEntry = z.infer<typeof quarantineEntrySchema>;

/** `quarantine/<runId>/<documentKey>.reason.json`. */
export const quarantineReasonSchema = quarantineEntrySchema.extend({ runId: z.string().min(1) });
export type QuarantineReason = z.infer<typeof quarantineReasonSchema>;

// ---- PlanBatches ------------------------------------------------------------------------------------

/** `runs/<runId>/batches/batch-<n>.json`: the documents of one OCR Map item. */
export const batchFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  batchIndex: z.number().int().min(0),
  documents: z.array(documentRefSchema),
});
export type BatchFile = z.infer<typeof batchFileSchema>;

/**
 * One item of the OCR Distributed Map: a batch, named by its index (the batch file holds its documents).
 * Small and fixed-size whatever the batch holds, so the item list scales to 100,000+ documents.
 */
export const ocrMapItemSchema = z.strictObject({
  batchIndex: z.number().int().min(0),
  documents: z.number().int().min(1),
});
export type OcrMapItem = z.infer<typeof ocrMapItemSchema>;

/**
 * `runs/<runId>/plan/ocr-items.json`: the OCR Map's ItemReader object (ReaderConfig InputType JSON: a JSON
 * array, one item per batch, in batch order).
 */
export const ocrMapItemsFileSchema = z.array(ocrMapItemSchema).min(1);

/** `runs/<runId>/plan/quarantined.json`: what PlanBatches rejected. */
export const planQuarantineFileSchema = z.array(quarantineEntrySchema);

// ---- OcrBatch / CollectTextractJobs -----------------------------------------------------------------

export const ocrDocumentResultSchema = documentRefSchema.extend({
  contentHash: hashSchema,
  annotationHash: hashSchema,
  ocrKey: z.string().min(1),
  cacheHit: z.boolean(),
  annotation: annotationSchema,
});
export type OcrDocumentResult = z.infer<typeof ocrDocumentResultSchema>;

/** A multi-page document whose async Textract job is running: collected by CollectTextractJobs. */
export const pendingTextractJobSchema = ocrDocumentResultSchema.omit({ cacheHit: true }).extend({
  jobId: z.string().min(1),
  pages: z.number().int().min(1),
  startedAt: z.iso.datetime(),
});
export type PendingTextractJob = z.infer<typeof pendingTextractJobSchema>;

/** `runs/<runId>/ocr/batch-<n>.json`, written by OcrBatch and rewritten by CollectTextractJobs. */
export const ocrBatchFileSchema = z.strictObject({
  schemaVersion: z.literal(2),
  batchIndex: z.number().int().min(0),
  documents: z.array(ocrDocumentResultSchema),
  quarantined: z.array(quarantineEntrySchema),
  /** Async jobs not collected yet; empty when the batch is complete. */
  pending: z.array(pendingTextractJobSchema),
  /** How many times CollectTextractJobs looked (drives the wait between looks). */
  polls: z.number().int().min(0),
  cacheHits: z.number().int().min(0),
  pagesBilled: z.number().int().min(0),
});
export type OcrBatchFile = z.infer<typeof ocrBatchFileSchema>;

// ---- BuildDataset: datasets/<fingerprint>/ (docs/CONTRACTS.md section 3) ----------------------------

export const DATASET_SCHEMA_VERSION = 1 as const;
/** One record per page of each document. */
export const RECORD_LAYOUT = 'page' as const;

const coordinate = z.number().int().min(0).max(1000);
export const bboxSchema = z.tuple([coordinate, coordinate, coordinate, coordinate]);
export type BBox = z.infer<typeof bboxSchema>;

/** One line of `train-*.jsonl` / `validation-*.jsonl`: one page of one document. */
export const datasetRecordSchema = z.strictObject({
  /** `<documentId>` for a one-page document, `<documentId>#<page>` for a page of a longer one. */
  id: z.string().min(1),
  documentId: z.string().min(1),
  words: z.array(z.string()),
  bboxes: z.array(bboxSchema),
  labels: z.array(z.string()),
  /** `number` is 1-based, as in the document; width/height are the page's pixel size (1000 when unknown). */
  page: z.strictObject({ number: z.number().int().min(1), width: z.number().int().positive(), height: z.number().int().positive() }),
  source: z.string().min(1),
  /**
   * Field annotations only: the document's annotated values (keys sorted), aligned or not, the same on
   * every page record of the document; what field metrics and `predict` are measured against. Absent for
   * boxes/words annotations.
   */
  fields: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
});
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;

/**
 * One line of a classification dataset (task classification): one page of one document, as a token
 * record without `labels` and `fields`, with the document's `class` (its annotation's), the same on every
 * page record of the document.
 */
export const classRecordSchema = datasetRecordSchema.omit({ labels: true, fields: true }).extend({ class: classNameSchema });
export type ClassRecord = z.infer<typeof classRecordSchema>;

/** `labels.json`: the BIO class list (or, task classification, the class list), index = class id. */
export const datasetLabelsSchema = z.strictObject({
  schemaVersion: z.literal(DATASET_SCHEMA_VERSION),
  /** What the trainer learns (src/contracts/task.ts); absent: token classification. */
  task: taskSchema.optional(),
  labels: z.array(z.string().min(1)),
});
export type DatasetLabels = z.infer<typeof datasetLabelsSchema>;

/** A document left out of the dataset, as the manifest lists it (stage absent: given by a caller outside the pipeline). */
export const quarantinedDocumentSchema = quarantineEntrySchema.partial({ stage: true });
export type QuarantinedDocument = z.infer<typeof quarantinedDocumentSchema>;

export const UNALIGNED_REASONS = [
  'empty_value',
  'not_found',
  'overlap',
  'ambiguous_date',
  'page_not_found',
  'no_words_in_box',
  'text_mismatch',
] as const;

/** One annotated value, box or word that labelled no OCR word. */
export const unalignedAnnotationSchema = z.strictObject({
  /** The field key or label. */
  field: z.string(),
  /** The value, the word's text, or `box <n> on page <p> (...)`. */
  value: z.string(),
  reason: z.enum(UNALIGNED_REASONS),
});

export const documentUnalignedSchema = z.strictObject({
  id: z.string().min(1),
  fields: z.array(unalignedAnnotationSchema),
});
export type DocumentUnaligned = z.infer<typeof documentUnalignedSchema>;

const count = z.number().int().min(0);

/** `manifest.json` of a dataset, and each run's `runs/<runId>/dataset-manifest.json`. */
export const datasetManifestSchema = z.strictObject({
  schemaVersion: z.literal(DATASET_SCHEMA_VERSION),
  fingerprint: z.string().min(1),
  createdAt: z.string().min(1),
  recordLayout: z.literal(RECORD_LAYOUT),
  counts: z.strictObject({
    documents: count,
    /** Records written: pages with at least one OCR word. */
    pages: count,
    train: count,
    validation: count,
    quarantined: count,
    words: count,
    documentsWithoutEntities: count,
    unalignedValues: count,
  }),
  split: z.strictObject({ validationFraction: z.number(), seed: z.string() }),
  files: z.strictObject({ train: z.array(z.string()), validation: z.array(z.string()), labels: z.string() }),
  /** Words per BIO tag, over all records (every tag of labels.json present, 0 when unused). */
  labelCounts: z.record(z.string(), count),
  /**
   * Per entity label: values aligned, of which `ocrTolerant` only with OCR misreads tolerated (a digit or
   * a few characters read wrong; see src/dataset/align.ts), and values left unaligned.
   */
  entityCounts: z.record(z.string(), z.strictObject({ aligned: count, ocrTolerant: count, unaligned: count })),
  quarantined: z.array(quarantinedDocumentSchema),
  unaligned: z.array(documentUnalignedSchema),
  documentsWithoutEntities: z.array(z.string()),
  ocrCacheHits: count,
  textractPagesBilled: count,
  /** Documents per OCR engine that read them (the OCR cache document's `engine`: the API and Textract's model version, or the local engine). */
  ocrEngines: z.record(z.string(), count),
  /**
   * Fields of the labels whose `val_exact_<field>` metrics the training job does not publish (SageMaker's 40
   * MetricDefinitions, src/contracts/metric-line.ts); their figures are still in the model's metrics.json.
   * Absent from manifests written before it existed.
   */
  metricFieldsOmitted: z.array(z.string()).optional(),
  /** The task the dataset is for; absent: token classification (and manifests written before tasks). */
  task: taskSchema.optional(),
  /** Task classification: documents per class of the class list, in all and per split. */
  classCounts: z.record(z.string(), z.strictObject({ documents: count, train: count, validation: count })).optional(),
});
export type DatasetManifest = z.infer<typeof datasetManifestSchema>;
