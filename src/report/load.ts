/**
 * What a run report shows, read from where the run left it (clients passed in): the run record and its
 * events (DynamoDB), the run's dataset manifest (`runs/<runId>/dataset-manifest.json`), the model's
 * metrics.json (inside the run's model.tar.gz: the per-epoch history the run record does not keep) and
 * a few validation records with their page images (the dataset's shards, its `images/` or the document
 * itself). Each part is optional: a run that failed before training has no model, a skipped run no
 * dataset; the report says what is missing instead of failing.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getBytes, getBytesIfExists, getJson, isNoSuchKey, listKeys, parseS3Uri, type S3Location } from '../aws/s3-objects';
import type * as z from 'zod';
import {
  MODEL_METRICS_FILE,
  MODEL_PREDICTIONS_FILE,
  modelMetricsSchema,
  modelPredictionsSchema,
  type ModelMetrics,
  type ModelPredictions,
} from '../contracts/model-metrics';
import { datasetManifestSchema, datasetRecordSchema, type DatasetManifest, type DatasetRecord } from '../contracts/objects';
import { datasetSplitPrefix, pageImageKey, runManifestKey, runPrefix } from '../contracts/s3-layout';
import type { RunEvent, RunRecord, RunStore } from '../status/run-store';
import { parseOrThrow } from '../validation';
import { readTarGzMembers } from './model-archive';

/** A validation page as the report draws it: the record (words, boxes, labels) and its image, if one is readable. */
export interface ReportDocument {
  record: DatasetRecord;
  /** `data:image/png;base64,...`; undefined: no image (a PDF/TIFF page, or none in S3). */
  imageDataUri?: string | undefined;
  /** The model's tag of each word (the model's predictions.json); undefined: the model kept none for this record. */
  predictedLabels?: readonly string[] | undefined;
}

export interface ReportData {
  run: RunRecord;
  events: RunEvent[];
  manifest?: DatasetManifest | undefined;
  modelMetrics?: ModelMetrics | undefined;
  documents: ReportDocument[];
  /** What could not be read, one line each (shown on the report). */
  notes: string[];
  generatedAt: string;
}

export interface ReportSources {
  s3: S3Client;
  store: RunStore;
  /** The stage's bucket (where `runs/<runId>/` is). */
  bucket: string;
}

export interface LoadOptions {
  /** Validation pages to draw. */
  documents: number;
  now: () => Date;
}

/** PNG and JPEG by their signatures: the only page images a browser shows that the pipeline keeps. */
const imageMime = (bytes: Uint8Array): string | undefined => {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
};

const dataUri = (bytes: Uint8Array | undefined): string | undefined => {
  if (bytes === undefined) return undefined;
  const mime = imageMime(bytes);
  return mime === undefined ? undefined : `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
};

/** The record's page image: the dataset's copy (dataset.pageImages), else the document itself when it is one page. */
const pageImage = async (s3: S3Client, dataset: S3Location, record: DatasetRecord): Promise<string | undefined> => {
  for (const extension of ['png', 'jpg']) {
    const copy = dataUri(await getBytesIfExists(s3, { bucket: dataset.bucket, key: pageImageKey(dataset.key, record.id, extension) }));
    if (copy !== undefined) return copy;
  }
  if (record.id !== record.documentId) return undefined; // a page of a PDF/TIFF: no image to show
  const source = record.source.startsWith('s3://') ? parseS3Uri(record.source) : { bucket: dataset.bucket, key: record.source };
  return dataUri(await getBytesIfExists(s3, source));
};

const validationRecords = async (s3: S3Client, dataset: S3Location, count: number): Promise<DatasetRecord[]> => {
  const records: DatasetRecord[] = [];
  for (const key of await listKeys(s3, dataset.bucket, datasetSplitPrefix(dataset.key, 'validation'))) {
    const text = Buffer.from(await getBytes(s3, { bucket: dataset.bucket, key })).toString('utf8');
    for (const line of text.split('\n')) {
      if (records.length >= count) return records;
      if (line.trim() !== '') records.push(parseOrThrow(datasetRecordSchema, JSON.parse(line), `dataset record of ${key}`));
    }
  }
  return records;
};

/** metrics.json and predictions.json of a model artifact, each parsed by its contract (undefined when absent). */
const modelFilesOf = async (
  s3: S3Client,
  modelArtifactUri: string,
): Promise<{ metrics?: ModelMetrics | undefined; predictions?: ModelPredictions | undefined }> => {
  const members = await readTarGzMembers(await getBytes(s3, parseS3Uri(modelArtifactUri)), [MODEL_METRICS_FILE, MODEL_PREDICTIONS_FILE]);
  const parse = <T>(schema: z.ZodType<T>, name: string): T | undefined => {
    const member = members.get(name);
    return member === undefined ? undefined : parseOrThrow(schema, JSON.parse(member.toString('utf8')), `${name} of ${modelArtifactUri}`);
  };
  return { metrics: parse(modelMetricsSchema, MODEL_METRICS_FILE), predictions: parse(modelPredictionsSchema, MODEL_PREDICTIONS_FILE) };
};

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Everything the report of `runId` shows; undefined when there is no such run. */
export const loadReportData = async (sources: ReportSources, runId: string, options: LoadOptions): Promise<ReportData | undefined> => {
  const { s3, store, bucket } = sources;
  const run = await store.getRun(runId);
  if (run === undefined) return undefined;
  const events = await store.listEvents(runId);
  const notes: string[] = [];

  const manifestLocation = { bucket, key: runManifestKey(runPrefix(runId)) };
  let manifest: DatasetManifest | undefined;
  try {
    manifest = parseOrThrow(datasetManifestSchema, await getJson(s3, manifestLocation), 'the run dataset manifest');
  } catch (error) {
    notes.push(
      isNoSuchKey(error) ? 'No dataset manifest: the run ended before BuildDataset.' : `Dataset manifest unreadable: ${errorText(error)}`,
    );
  }

  let modelMetrics: ModelMetrics | undefined;
  let predictions: ModelPredictions | undefined;
  if (run.modelArtifactUri === undefined) notes.push('No model artifact: no training curves.');
  else {
    try {
      ({ metrics: modelMetrics, predictions } = await modelFilesOf(s3, run.modelArtifactUri));
      if (modelMetrics === undefined) notes.push(`${run.modelArtifactUri} holds no ${MODEL_METRICS_FILE}: no training curves.`);
    } catch (error) {
      notes.push(`Model files unreadable (${run.modelArtifactUri}): ${errorText(error)}`);
    }
  }

  const documents: ReportDocument[] = [];
  if (run.datasetUri !== undefined && options.documents > 0) {
    // The record keeps the dataset's key prefix in the stage bucket (`datasets/<fp>/`; notify-run makes it a URI).
    const dataset = run.datasetUri.startsWith('s3://') ? parseS3Uri(run.datasetUri) : { bucket, key: run.datasetUri };
    try {
      for (const record of await validationRecords(s3, dataset, options.documents)) {
        documents.push({ record, imageDataUri: await pageImage(s3, dataset, record), predictedLabels: predictions?.records[record.id] });
      }
    } catch (error) {
      notes.push(`Validation documents unreadable (${run.datasetUri}): ${errorText(error)}`);
    }
  }
  return { run, events, manifest, modelMetrics, documents, notes, generatedAt: options.now().toISOString() };
};
