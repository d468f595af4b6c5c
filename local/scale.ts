/**
 * Documents for a scale run of the orchestration (issue 6.6): many tiny synthetic documents, each a
 * distinct PNG with a key-field annotation beside it, and their OCR pre-seeded in the content-addressed
 * OCR cache (`ocr-cache/<sha256 of the bytes>.json`), as a previous run of the same documents leaves it.
 * Every document is then a cache hit: the run measures the state machine, the Distributed Map and the
 * steps' S3 traffic, not tesseract (OCR speed is bench/ocr-quality.ts's and the SROIE bench's concern).
 * Used by bench/scale.ts and test/integration/scale.test.ts.
 */
import { createCanvas } from '@napi-rs/canvas';
import pLimit from 'p-limit';
import { getJson, putBody, putJson } from '../src/aws/s3-objects';
import { datasetManifestSchema } from '../src/contracts/objects';
import type { FieldsAnnotation } from '../src/contracts/annotation';
import { OCR_SCHEMA_VERSION, TEXTRACT_ENGINE, type OcrDocument } from '../src/contracts/ocr-document';
import { annotationKeyFor, documentKey, ocrCacheKey, runManifestKey, runPrefix } from '../src/contracts/s3-layout';
import { planResultSchema } from '../src/steps/plan-batches/schema';
import { sha256 } from '../src/steps/ocr-batch/step';
import type { LocalPipeline } from './pipeline';
import { MAX_STATE_PAYLOAD_BYTES, type ExecutionOutcome } from './stepfunctions';
import type { S3Client } from '@aws-sdk/client-s3';

const SIZE = 24;

/** A distinct 24x24 PNG for document `n`: its number's bits as dark squares (distinct bytes, distinct hash). */
const tinyPng = (n: number): Buffer => {
  const canvas = createCanvas(SIZE, SIZE);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, SIZE, SIZE);
  context.fillStyle = '#000000';
  for (let bit = 0; bit < 36; bit += 1) {
    if (Math.floor(n / 2 ** bit) % 2 === 1) context.fillRect((bit % 6) * 4, Math.floor(bit / 6) * 4, 4, 4);
  }
  return canvas.toBuffer('image/png');
};

/** The document's words and the fields they hold (every field aligns: the dataset keeps every document). */
const receiptOf = (n: number): { annotation: FieldsAnnotation; ocr: OcrDocument } => {
  const company = `SHOP ${n}`;
  const total = `${(n % 997) + 1}.${String(n % 100).padStart(2, '0')}`;
  const words = ['SHOP', String(n), 'TOTAL', total];
  return {
    annotation: { schemaVersion: 1, fields: { company, total } },
    ocr: {
      schemaVersion: OCR_SCHEMA_VERSION,
      engine: TEXTRACT_ENGINE,
      pages: [
        {
          page: 1,
          width: SIZE,
          height: SIZE,
          words: words.map((text, i) => ({
            text,
            box: [(i % 2) * 500, Math.floor(i / 2) * 500, (i % 2) * 500 + 400, Math.floor(i / 2) * 500 + 300],
            confidence: 99,
          })),
        },
      ],
    },
  };
};

/**
 * Uploads `count` tiny documents (`<prefix>scale-<n>.png` + `.json`) and seeds the OCR cache with each
 * one's words. Returns their keys.
 */
export const uploadScaleDocuments = async (
  s3: S3Client,
  bucket: string,
  options: { count: number; prefix?: string; concurrency?: number },
): Promise<string[]> => {
  const prefix = options.prefix ?? 'documents/';
  const limit = pLimit(options.concurrency ?? 16);
  return Promise.all(
    Array.from({ length: options.count }, (_, n) =>
      limit(async () => {
        const key = documentKey(prefix, `scale-${String(n).padStart(6, '0')}`, '.png');
        const png = tinyPng(n);
        const { annotation, ocr } = receiptOf(n);
        await putBody(s3, { bucket, key }, png, 'image/png');
        await putJson(s3, { bucket, key: annotationKeyFor(key) }, annotation);
        await putJson(s3, { bucket, key: ocrCacheKey(sha256(png)) }, ocr);
        return key;
      }),
    ),
  );
};

export interface ScaleFigures {
  documents: number;
  batches: number;
  status: ExecutionOutcome['status'];
  error?: string;
  cause?: string;
  /** Wall time of the execution (documents already uploaded), seconds. */
  executionSeconds: number;
  /** Wall time of the steps that grow with the document count, seconds. */
  stepSeconds: Record<string, number>;
  /** The largest state output the execution produced (every state, Map iterations included). */
  largestStateOutput: { bytes: number; state: string; limit: number };
  /** The execution's own history, as AWS counts it (the Distributed Map's iterations are child executions). */
  historyEvents: number;
  childExecutions: number;
  maxChildHistoryEvents: number;
  /** What one history would have held had the iterations run in an inline Map (the limit is 25,000). */
  inlineMapHistoryEvents: number;
  /** From the run's dataset manifest in S3 (runs/<runId>/dataset-manifest.json). */
  dataset: { documents: number; quarantined: number; ocrCacheHits: number; textractPagesBilled: number } | undefined;
}

const SCALING_STEPS = ['PlanBatches', 'OcrDocuments', 'BuildDataset'] as const;

/** Runs the pipeline over what is uploaded and measures what a scale run is judged by. */
export const measureScaleRun = async (pipeline: LocalPipeline, runId: string, input: Record<string, unknown>): Promise<ScaleFigures> => {
  const bucket = pipeline.services.bucket;
  const started = performance.now();
  const outcome = await pipeline.execute({ ...input, runId }, { executionName: runId });
  const executionSeconds = (performance.now() - started) / 1000;
  let largest = { bytes: 0, state: '' };
  for (const event of outcome.events) {
    if (event.output === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(event.output), 'utf8');
    if (bytes > largest.bytes) largest = { bytes, state: event.stateName ?? '?' };
  }
  const stepSeconds: Record<string, number> = {};
  for (const step of SCALING_STEPS) {
    const entered = outcome.events.find(
      (event) => event.type === 'StateEntered' && event.stateName === step && event.iteration === undefined,
    );
    const exited = outcome.events.find(
      (event) => event.type === 'StateExited' && event.stateName === step && event.iteration === undefined,
    );
    if (entered && exited) stepSeconds[step] = (exited.timestamp - entered.timestamp) / 1000;
  }
  const planned = outcome.events.find((event) => event.type === 'StateExited' && event.stateName === 'PlanBatches')?.output as
    { plan?: unknown } | undefined;
  const plan = planned?.plan === undefined ? undefined : planResultSchema.parse(planned.plan);
  const manifest = await getJson(pipeline.services.clients.s3, { bucket, key: runManifestKey(runPrefix(runId)) })
    .then((json) => datasetManifestSchema.parse(json))
    .catch(() => undefined);
  return {
    documents: plan?.documentCount ?? 0,
    batches: plan?.batchCount ?? 0,
    status: outcome.status,
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    ...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
    executionSeconds,
    stepSeconds,
    largestStateOutput: { ...largest, limit: MAX_STATE_PAYLOAD_BYTES },
    historyEvents: outcome.historyEvents,
    childExecutions: outcome.childHistoryEvents.length,
    maxChildHistoryEvents: Math.max(0, ...outcome.childHistoryEvents),
    inlineMapHistoryEvents: outcome.historyEvents + outcome.childHistoryEvents.reduce((sum, events) => sum + events, 0),
    dataset:
      manifest === undefined
        ? undefined
        : {
            documents: manifest.counts.documents,
            quarantined: manifest.counts.quarantined,
            ocrCacheHits: manifest.ocrCacheHits,
            textractPagesBilled: manifest.textractPagesBilled,
          },
  };
};
