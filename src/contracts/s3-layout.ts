/**
 * The S3 layout: every key the system writes or reads in the stack bucket, as functions. No other module
 * builds a key by hand; test/unit/contracts/s3-layout.test.ts pins every one of them (and that the keys
 * the pipeline parses back round-trip). docs/CONTRACTS.md describes what each object holds; the schema
 * of each object is in ./objects.ts.
 *
 * ```
 * <documentsPrefix><id>.<ext> + <id>.json        input: documents + annotations (default prefix documents/)
 * uploads/<folder>/                               `doctrain run <folder>`: the uploaded folder
 * runs/<runId>/batches/batch-<n>.json             PlanBatches: one OCR Map item's documents
 * runs/<runId>/plan/quarantined.json              PlanBatches: what the plan rejected
 * runs/<runId>/plan/ocr-items.json                PlanBatches: the OCR Distributed Map's items (its ItemReader)
 * runs/<runId>/ocr-map/                           the OCR Distributed Map's ResultWriter (manifest.json, SUCCEEDED_/FAILED_/PENDING_<n>.json)
 * runs/<runId>/ocr/batch-<n>.json                 OcrBatch / CollectTextractJobs: one batch's OCR results
 * runs/<runId>/dataset-manifest.json              BuildDataset: this run's manifest
 * runs/<runId>/report.html                        `doctrain report <runId>`: the run report (one self-contained HTML page)
 * ocr-cache/<sha256>.json                         OCR words by document content hash
 * quarantine/<runId>/<documentKey>                a copy of each rejected document ...
 * quarantine/<runId>/<documentKey>.reason.json    ... and why
 * datasets/<fp>/train-<n>.jsonl, validation-<n>.jsonl, labels.json, manifest.json
 * datasets/<fp>/images/<record id>.<ext>          page images (dataset.pageImages)
 * checkpoints/<modelName>/<runId>/                the training job's CheckpointConfig.S3Uri
 * models/<modelName>/                             the training job's S3OutputPath
 * lineages/<modelName>/<runId>/promotion.json     PromoteModel: the decision and its figures (the model package's ModelQuality statistics; never expires)
 * ```
 */
import path from 'node:path/posix';

/** Batch files are numbered with 5 digits so that they list in order. */
const batchNumber = (batchIndex: number): string => String(batchIndex).padStart(5, '0');

// ---- Input: the documents layout (docs/CONTRACTS.md section 1) ------------------------------------

/** Where documents are unless the stage or the execution input says otherwise (setting documentsPrefix). */
export const DEFAULT_DOCUMENTS_PREFIX = 'documents/';

/** A document's annotation sits beside it: the same key with `.json` for its extension. */
export const ANNOTATION_EXTENSION = '.json';

const withoutExtension = (key: string): string => key.slice(0, key.length - path.extname(key).length);

/** `documents/shop/a.png` -> `documents/shop/a.json`. */
export const annotationKeyFor = (documentKey: string): string => `${withoutExtension(documentKey)}${ANNOTATION_EXTENSION}`;

/** The document's stable id: its key relative to the documents prefix, without extension (`shop/a`). */
export const documentIdFor = (documentKey: string, documentsPrefix: string): string =>
  withoutExtension(documentKey.slice(documentsPrefix.length));

/** The key a document of this id and extension (`.png`) has under a documents prefix; inverse of documentIdFor. */
export const documentKey = (documentsPrefix: string, id: string, extension: string): string => `${documentsPrefix}${id}${extension}`;

/** Where `doctrain run <folder>` uploads a local folder (characters S3 users avoid become `-`). */
export const uploadsPrefix = (folderName: string): string => `uploads/${folderName.replace(/[^A-Za-z0-9._-]+/g, '-') || 'documents'}/`;

// ---- A run's own objects: runs/<runId>/ ------------------------------------------------------------

/** Every object a run writes for itself lives under here (travels in the state as `config.runPrefix`). */
export const runPrefix = (runId: string): string => `runs/${runId}/`;

export const batchKey = (runPrefix: string, batchIndex: number): string => `${runPrefix}batches/batch-${batchNumber(batchIndex)}.json`;

export const planQuarantineKey = (runPrefix: string): string => `${runPrefix}plan/quarantined.json`;

/** The OCR Distributed Map's ItemReader object: a JSON array, one item per batch (objects.ts ocrMapItemsFileSchema). */
export const ocrMapItemsKey = (runPrefix: string): string => `${runPrefix}plan/ocr-items.json`;

/**
 * The OCR Distributed Map's ResultWriter Prefix (no trailing slash: Step Functions adds `/<map run id>/`
 * and writes manifest.json and SUCCEEDED_/FAILED_/PENDING_<n>.json there).
 */
export const ocrMapResultsPrefix = (runPrefix: string): string => `${runPrefix}ocr-map`;

export const ocrResultKey = (runPrefix: string, batchIndex: number): string => `${runPrefix}ocr/batch-${batchNumber(batchIndex)}.json`;

/** This run's dataset manifest (its own cache hits, pages billed and quarantine). */
export const runManifestKey = (runPrefix: string): string => `${runPrefix}dataset-manifest.json`;

/** The run report (src/report/): one self-contained HTML page, written by `doctrain report <runId>`. */
export const runReportKey = (runPrefix: string): string => `${runPrefix}report.html`;

// ---- Shared across runs -----------------------------------------------------------------------------

/** OCR words of a document, by the sha256 of its bytes. */
export const ocrCacheKey = (contentHash: string): string => `ocr-cache/${contentHash}.json`;

export const quarantinePrefix = (runId: string): string => `quarantine/${runId}/`;

/** The copy of a rejected document (the original stays where it was). */
export const quarantinedDocumentKey = (runId: string, documentKey: string): string => `${quarantinePrefix(runId)}${documentKey}`;

/** The reason file beside the copy. */
export const quarantineReasonKey = (runId: string, documentKey: string): string =>
  `${quarantinedDocumentKey(runId, documentKey)}.reason.json`;

// ---- Datasets: datasets/<fingerprint>/ ------------------------------------------------------------

export const datasetPrefix = (fingerprint: string): string => `datasets/${fingerprint}/`;

export const DATASET_LABELS_FILE = 'labels.json';
export const DATASET_MANIFEST_FILE = 'manifest.json';
export type DatasetSplitName = 'train' | 'validation';

/** The name of a split's n-th JSONL shard inside the dataset folder (`train-00000.jsonl`). */
export const datasetShardName = (split: DatasetSplitName, shard: number): string => `${split}-${batchNumber(shard)}.jsonl`;

/** A file of the dataset folder (a shard, labels.json or manifest.json) by its name. */
export const datasetFileKey = (datasetPrefix: string, name: string): string => `${datasetPrefix}${name}`;

export const datasetManifestKey = (datasetPrefix: string): string => datasetFileKey(datasetPrefix, DATASET_MANIFEST_FILE);

export const datasetLabelsKey = (datasetPrefix: string): string => datasetFileKey(datasetPrefix, DATASET_LABELS_FILE);

/** A training channel's S3Prefix: selects exactly the split's shards (`datasets/<fp>/train-`). */
export const datasetSplitPrefix = (datasetPrefix: string, split: DatasetSplitName): string => `${datasetPrefix}${split}-`;

export const pageImagesPrefix = (datasetPrefix: string): string => `${datasetPrefix}images/`;

/**
 * The one place a record id becomes an image key. Record ids are document ids (keys relative to the
 * documents prefix, so `/` makes sub-folders, as SageMaker's channel download does too) or `<doc>#<n>`
 * for the pages of multi-page documents, which are PDF/TIFF and never get an image.
 */
export const pageImageKey = (datasetPrefix: string, recordId: string, extension: string): string =>
  `${pageImagesPrefix(datasetPrefix)}${recordId}.${extension}`;

// ---- Training: the job's checkpoint and output prefixes ------------------------------------------

/** One checkpoint prefix per model lineage and run: every attempt of the run resumes from it. */
export const checkpointPrefix = (modelName: string, runId: string): string => `checkpoints/${modelName}/${runId}/`;

/** The job's S3OutputPath: SageMaker writes `<jobName>/output/model.tar.gz` under it. */
export const modelOutputPrefix = (modelName: string): string => `models/${modelName}/`;

/** A run's promotion decision (lineage.ts promotionSchema): the model package's ModelQuality statistics, kept with the lineage (runs/ expires). */
export const promotionKey = (modelName: string, runId: string): string => `lineages/${modelName}/${runId}/promotion.json`;
