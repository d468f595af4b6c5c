/**
 * Scale of the orchestration (issue 6.6) on the embedded local runtime: DOCTRAIN_SCALE_DOCUMENTS (default
 * 5,000) tiny synthetic documents through the real ASL and handlers, the OCR fan-out a Distributed Map
 * over the item list PlanBatches writes to S3. Their OCR is pre-seeded in the content-addressed cache
 * (local/scale.ts), so every document is a cache hit: this tests the state machine, the Map and the steps'
 * S3 traffic, not tesseract. The local runner fails any execution with a state output over 256 KiB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, type LocalPipeline } from '../../local/pipeline';
import { fakeTrainer } from '../../local/rehearsal';
import { measureScaleRun, uploadScaleDocuments } from '../../local/scale';

const root = path.resolve(import.meta.dirname, '../..');
const DOCUMENTS = Number(process.env['DOCTRAIN_SCALE_DOCUMENTS'] ?? 5000);
const BATCH_SIZE = 10;

let pipeline: LocalPipeline;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-scale-'));
  pipeline = await startLocalPipeline({
    root,
    dataDir,
    stage: 'local',
    waitMs: 50,
    retryTimeScale: 0.01,
    sagemaker: { trainer: fakeTrainer(root) },
  });
  await uploadScaleDocuments(pipeline.services.clients.s3, pipeline.services.bucket, { count: DOCUMENTS });
}, 600_000);

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe(`${DOCUMENTS} documents through the local pipeline`, () => {
  it('completes with every document in the dataset, no state output over 256 KiB and no history near its limit', async () => {
    // Act
    const figures = await measureScaleRun(pipeline, 'scale', {
      dataset: { batchSize: BATCH_SIZE },
      training: { hyperparameters: { epochs: 1 } },
    });

    // Assess: the run, and every document accounted for (all from the OCR cache: nothing billed).
    expect(figures.status, `${figures.error}: ${figures.cause}`).toBe('SUCCEEDED');
    expect(figures.documents).toBe(DOCUMENTS);
    expect(figures.dataset).toEqual({ documents: DOCUMENTS, quarantined: 0, ocrCacheHits: DOCUMENTS, textractPagesBilled: 0 });
    // The state carries pointers and counts only, whatever the document count.
    expect(figures.largestStateOutput.bytes).toBeLessThan(16 * 1024);
    // One child execution per batch; the execution's own history holds none of their events.
    const batches = Math.ceil(DOCUMENTS / BATCH_SIZE);
    expect(figures.batches).toBe(batches);
    expect(figures.childExecutions).toBe(batches);
    expect(figures.historyEvents).toBeLessThan(200);
    expect(figures.maxChildHistoryEvents).toBeLessThan(50);
    expect(figures.historyEvents + figures.maxChildHistoryEvents).toBeLessThan(25_000);
    // As an inline Map, the same run would have put every iteration's events in that one history.
    expect(figures.inlineMapHistoryEvents).toBeGreaterThan(figures.historyEvents + batches * 8);
  }, 1_200_000);
});
