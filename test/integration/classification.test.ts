/**
 * Task classification end to end on the embedded local runtime (issue 18): real receipts (the three SROIE
 * receipts of test/fixtures/sroie) against pages of the project's own documentation, imported with
 * `classes`, OCR'd by the local Textract, a page-level dataset with the class list, the real trainer
 * (compact) and the run COMPLETED with accuracy, macro-F1 and per-class recall on its record.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, type LocalPipeline } from '../../local/pipeline';
import { writeClassDevSet } from '../../local/synth/class-devset';
import { getJson, listKeys } from '../../src/aws/s3-objects';
import { readClassDocuments, s3Sink, writeDocumentsLayout } from '../../src/importers';
import { classRecordSchema, datasetLabelsSchema, datasetManifestSchema } from '../../src/contracts/objects';
import { getBytes } from '../../src/aws/s3-objects';

const root = path.resolve(import.meta.dirname, '../..');
const SMALL_TRAINING = { epochs: 3, hidden_size: 32, num_layers: 1, num_heads: 2, batch_size: 2 };

let pipeline: LocalPipeline;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-classify-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', waitMs: 250, retryTimeScale: 0.01 });
  const devSet = path.join(dataDir, 'devset');
  await writeClassDevSet(devSet, {
    root,
    receiptsDir: path.join(root, 'test/fixtures/sroie/img'),
    receipts: 3,
    textDocuments: 3,
    multiPageEvery: 3,
  });
  await writeDocumentsLayout(readClassDocuments(devSet), s3Sink(pipeline.services.clients.s3, pipeline.services.bucket, 'documents/'));
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('task classification on the local runtime', () => {
  it('classifies real receipts against text pages: page records, class list, class metrics, COMPLETED', async () => {
    // Prepare
    const runId = 'e2e-classify';
    const { s3 } = pipeline.services.clients;
    const bucket = pipeline.services.bucket;

    // Act
    const outcome = await pipeline.execute(
      {
        runId,
        task: 'classification',
        dataset: { classes: ['receipt', 'text_page'], validationFraction: 0.34 },
        training: { hyperparameters: SMALL_TRAINING },
      },
      { executionName: runId },
    );

    // Assess: the run and the class metrics the job published (its MetricDefinitions)
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { record } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
    expect(Object.keys(record?.metrics as object)).toEqual(
      expect.arrayContaining(['val_accuracy', 'val_macro_f1', 'val_recall_receipt', 'val_recall_text_page', 'val_precision_receipt']),
    );

    // Assess: the dataset: one record per page with its document's class, labels.json the class list
    const prefix = `datasets/${String(record?.datasetFingerprint)}/`;
    const labels = datasetLabelsSchema.parse(await getJson(s3, { bucket, key: `${prefix}labels.json` }));
    expect(labels).toEqual({ schemaVersion: 1, task: 'classification', labels: ['receipt', 'text_page'] });
    const manifest = datasetManifestSchema.parse(await getJson(s3, { bucket, key: `${prefix}manifest.json` }));
    expect(manifest).toMatchObject({ task: 'classification', counts: { documents: 6, pages: 7 } });
    const shards = (await listKeys(s3, bucket, prefix)).filter((key) => key.endsWith('.jsonl'));
    const records = (await Promise.all(shards.map(async (key) => Buffer.from(await getBytes(s3, { bucket, key })).toString('utf8'))))
      .flatMap((body) => body.split('\n').filter((line) => line !== ''))
      .map((line) => classRecordSchema.parse(JSON.parse(line)));
    expect(records.filter((r) => r.documentId === 'text_page/doc-000').map((r) => [r.id, r.class])).toEqual([
      ['text_page/doc-000#1', 'text_page'],
      ['text_page/doc-000#2', 'text_page'],
    ]);
    expect(records.filter((r) => r.class === 'receipt')).toHaveLength(3);
  }, 300_000);

  it('tunes a classifier by its macro-F1: the trials report it, the best one is the run job', async () => {
    // Prepare: the same documents (their OCR cached), two trials of a random search, no objective named
    const runId = 'e2e-classify-tuning';
    const tuning = { strategy: 'Random', maxJobs: 2, maxParallelJobs: 1, seed: 3, ranges: { dropout: { min: 0, max: 0.3 } } };

    // Act
    const outcome = await pipeline.execute(
      {
        runId,
        force: true,
        task: 'classification',
        dataset: { classes: ['receipt', 'text_page'], validationFraction: 0.34 },
        training: { hyperparameters: SMALL_TRAINING },
        tuning,
      },
      { executionName: runId },
    );

    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { record } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
    expect(record?.tuning).toMatchObject({ objective: { metric: 'val_macro_f1', type: 'Maximize' }, status: 'Completed' });
    expect(record?.tuning?.best?.objectiveValue).toBe(record?.metrics?.['val_macro_f1']);
  }, 300_000);
});
