/**
 * BuildDataset: gather every OCR batch result of the run, align annotations onto the OCR words, and
 * write the dataset (JSONL shards, labels.json, manifest.json) under a prefix named by its fingerprint.
 * Idempotent: the same inputs give the same fingerprint, and a fingerprint's files are written once;
 * a rerun only rewrites this run's own manifest under its run prefix.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { dateOrderForLocale } from '../../dataset/value-words';
import pLimit from 'p-limit';
import { getBytesIfExists, getJson, putBody, s3Uri } from '../../aws/s3-objects';
import { EmptyDatasetError, QuarantineShareExceededError } from '../../contracts/errors';
import { buildDataset } from '../../dataset';
import { ocrDocumentSchema } from '../../textract';
import { ocrBatchFileSchema, planQuarantineFileSchema, type QuarantineEntry } from '../../contracts/objects';
import {
  DATASET_MANIFEST_FILE,
  datasetFileKey,
  datasetLabelsKey,
  datasetManifestKey,
  datasetPrefix,
  datasetSplitPrefix,
  ocrResultKey,
  pageImagesPrefix,
  planQuarantineKey,
  quarantinePrefix,
  runManifestKey,
} from '../../contracts/s3-layout';
import type { BuildDatasetEvent, DatasetPointers } from './schema';
import { parseOrThrow } from '../../validation';
import { quarantine } from '../../documents/quarantine';
import { writePageImages } from './page-images';
import { trainingChannels } from './training-channels';

/**
 * Share of the run's input that was quarantined: quarantine entries (documents, and annotations without
 * a document) over those plus the documents in the dataset. 0 when there was no input at all.
 */
export const quarantineShare = (quarantined: number, kept: number): number =>
  quarantined + kept === 0 ? 0 : quarantined / (quarantined + kept);

/** S3 reads in flight at once: a 100,000-document run reads 10,000 batch results and 100,000 OCR documents. */
const READ_CONCURRENCY = 32;

export const buildDatasetStep = async (s3: S3Client, params: BuildDatasetEvent): Promise<DatasetPointers> => {
  const { bucket } = params;
  const limit = pLimit(READ_CONCURRENCY);
  const batches = await Promise.all(
    Array.from({ length: params.batchCount }, (_, batchIndex) =>
      limit(async () => {
        const key = ocrResultKey(params.runPrefix, batchIndex);
        const bytes = await getBytesIfExists(s3, { bucket, key });
        if (bytes === undefined) throw new Error(`OCR result ${key} is missing: batch ${batchIndex} did not finish`);
        const file = parseOrThrow(ocrBatchFileSchema, JSON.parse(Buffer.from(bytes).toString('utf8')), key);
        if (file.pending.length > 0) throw new Error(`OCR result ${key} still has ${file.pending.length} Textract job(s) pending`);
        return file;
      }),
    ),
  );
  const quarantined: QuarantineEntry[] = [
    ...parseOrThrow(
      planQuarantineFileSchema,
      await getJson(s3, { bucket, key: planQuarantineKey(params.runPrefix) }),
      planQuarantineKey(params.runPrefix),
    ),
    ...batches.flatMap((batch) => batch.quarantined),
  ];
  const documents = await Promise.all(
    batches
      .flatMap((batch) => batch.documents)
      .map((doc) =>
        limit(async () => {
          const ocr = ocrDocumentSchema.parse(await getJson(s3, { bucket, key: doc.ocrKey }));
          return {
            id: doc.id,
            key: doc.key,
            source: s3Uri({ bucket, key: doc.key }),
            contentHash: doc.contentHash,
            annotationHash: doc.annotationHash,
            annotation: doc.annotation,
            pages: ocr.pages,
            ocrEngine: ocr.engine,
          };
        }),
      ),
  );
  if (documents.length < 2) {
    throw new EmptyDatasetError(
      `Only ${documents.length} usable document(s) after OCR (${quarantined.length} quarantined, reasons under ${s3Uri({ bucket, key: quarantinePrefix(params.runId) })}): at least 2 are needed for a train/validation split`,
    );
  }
  const dateOrder = dateOrderForLocale(params.locale);
  const built = buildDataset({
    documents,
    quarantined,
    validationFraction: params.validationFraction,
    ...(dateOrder !== undefined && { dateOrder }),
    fieldNames: params.fieldNames,
    ...(params.task !== null && { task: params.task }),
    ...(params.classes !== null && { classes: params.classes }),
    ocrCacheHits: batches.reduce((sum, batch) => sum + batch.cacheHits, 0),
    pagesBilled: batches.reduce((sum, batch) => sum + batch.pagesBilled, 0),
  });
  // Plan and OCR quarantined theirs already; only what the build itself rejected is new here.
  const rejectedByBuild = built.manifest.quarantined.filter((entry) => entry.stage === 'dataset');
  await quarantine(
    s3,
    bucket,
    params.runId,
    rejectedByBuild.map((entry) => ({ ...entry, stage: 'dataset' as const })),
  );
  const prefix = datasetPrefix(built.fingerprint);
  const manifestFile = built.files.find((file) => file.name === DATASET_MANIFEST_FILE);
  // Too much of the input quarantined: fail before anything trains. This run's manifest is still written
  // (it lists every quarantined document with its reason); the dataset itself is not.
  const share = quarantineShare(built.manifest.counts.quarantined, built.manifest.counts.documents);
  if (share > params.maxQuarantineShare) {
    if (manifestFile) await putBody(s3, { bucket, key: runManifestKey(params.runPrefix) }, manifestFile.body, 'application/json');
    throw new QuarantineShareExceededError(
      `${built.manifest.counts.quarantined} of ${built.manifest.counts.quarantined + built.manifest.counts.documents} documents were quarantined (${(100 * share).toFixed(1)}%), more than dataset.maxQuarantineShare ${params.maxQuarantineShare} allows; the run stops before training. Reasons: ${s3Uri({ bucket, key: quarantinePrefix(params.runId) })} and s3://${bucket}/${runManifestKey(params.runPrefix)}; fix the input or raise dataset.maxQuarantineShare`,
    );
  }
  if (built.manifest.counts.documents < 2) {
    throw new EmptyDatasetError(
      `Only ${built.manifest.counts.documents} usable document(s) after alignment (${built.manifest.counts.quarantined} quarantined, reasons under ${s3Uri({ bucket, key: quarantinePrefix(params.runId) })}): at least 2 are needed for a train/validation split`,
    );
  }
  // A fingerprint names immutable content: a dataset written by an earlier run is left as it is (its
  // manifest records that run's provenance); the manifest is written last, so its presence means complete.
  // This run's own statistics (cache hits, pages billed, quarantine) always go to its run prefix.
  if ((await getBytesIfExists(s3, { bucket, key: datasetManifestKey(prefix) })) === undefined) {
    for (const file of built.files.filter((candidate) => candidate !== manifestFile)) {
      const type = file.name.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/json';
      await putBody(s3, { bucket, key: datasetFileKey(prefix, file.name) }, file.body, type);
    }
    if (manifestFile) await putBody(s3, { bucket, key: datasetManifestKey(prefix) }, manifestFile.body, 'application/json');
  }
  if (manifestFile) await putBody(s3, { bucket, key: runManifestKey(params.runPrefix) }, manifestFile.body, 'application/json');
  // Page images are written whether or not the dataset existed (an earlier run may have built it without
  // them); copies of the same bytes to the same keys, so rewriting is harmless. Only the documents kept
  // in the dataset, and only single-page ones: a multi-page document's records are PDF/TIFF pages.
  const rejected = new Set(built.manifest.quarantined.map((entry) => entry.documentKey));
  const imageDocuments = documents.filter((doc) => doc.pages.length === 1 && !rejected.has(doc.key));
  const images = params.pageImages ? await writePageImages(s3, bucket, prefix, imageDocuments) : undefined;
  const imagesS3Uri = images && images.written > 0 ? s3Uri({ bucket, key: pageImagesPrefix(prefix) }) : null;
  const trainS3Uri = s3Uri({ bucket, key: datasetSplitPrefix(prefix, 'train') });
  const validationS3Uri = s3Uri({ bucket, key: datasetSplitPrefix(prefix, 'validation') });
  const labelsS3Uri = s3Uri({ bucket, key: datasetLabelsKey(prefix) });
  return {
    fingerprint: built.fingerprint,
    prefix: s3Uri({ bucket, key: prefix }),
    // Channel URIs are key prefixes (S3Prefix semantics), so `train-` selects exactly the train shards.
    trainS3Uri,
    validationS3Uri,
    labelsS3Uri,
    manifestS3Uri: s3Uri({ bucket, key: datasetManifestKey(prefix) }),
    runManifestS3Uri: s3Uri({ bucket, key: runManifestKey(params.runPrefix) }),
    imagesS3Uri,
    inputDataConfig: trainingChannels({
      trainS3Uri,
      validationS3Uri,
      labelsS3Uri,
      imagesS3Uri,
      modelS3Uri: params.modelChannelUri,
      championS3Uri: params.champion?.modelArtifactUri ?? null,
    }),
    counts: {
      documents: documents.length,
      train: built.manifest.counts.train,
      validation: built.manifest.counts.validation,
      quarantined: built.manifest.counts.quarantined,
    },
    textractPagesBilled: built.manifest.textractPagesBilled,
    metricDefinitions: built.metrics.metricDefinitions,
    metricFieldsOmitted: built.metrics.metricFieldsOmitted,
  };
};
