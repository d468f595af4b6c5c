/**
 * bench:scale — the local pipeline over many documents (issue 6.6): BENCH_DOCUMENTS (default 5,000) tiny
 * synthetic documents with their OCR pre-seeded in the content-addressed cache (local/scale.ts: every
 * document a cache hit, so this measures the orchestration, the OCR Distributed Map and the steps' S3
 * traffic, not tesseract), through the real ASL and handlers on the embedded local runtime, with the
 * fake trainer (training is not what scales with the document count here).
 *
 * Prints and writes (BENCH_OUT, default .doctrain/bench/scale.json): upload and execution time, the
 * largest state output against the 256 KiB limit (the runner also fails any execution above it), the
 * execution's history events as AWS counts them, the child executions and the largest child history,
 * what one inline Map's history would have held, and the run manifest's counts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalPipeline } from '../local/pipeline';
import { fakeTrainer } from '../local/rehearsal';
import { measureScaleRun, uploadScaleDocuments } from '../local/scale';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_FILE = path.resolve(ROOT, process.env['BENCH_OUT'] ?? path.join('.doctrain', 'bench', 'scale.json'));
const DOCUMENTS = Number(process.env['BENCH_DOCUMENTS'] ?? 5000);
const HISTORY_LIMIT = 25_000;

const main = async (): Promise<void> => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'doctrain-bench-scale-'));
  const pipeline = await startLocalPipeline({
    root: ROOT,
    dataDir,
    stage: 'local',
    waitMs: 50,
    retryTimeScale: 0.01,
    sagemaker: { trainer: fakeTrainer(ROOT) },
  });
  try {
    const uploadStarted = performance.now();
    await uploadScaleDocuments(pipeline.services.clients.s3, pipeline.services.bucket, { count: DOCUMENTS });
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const figures = await measureScaleRun(pipeline, 'bench-scale', { training: { hyperparameters: { epochs: 1 } } });
    const result = {
      measuredAt: new Date().toISOString(),
      machine: `${os.cpus().length} cores (shared, under load)`,
      uploadSeconds,
      ...figures,
    };
    await mkdir(path.dirname(OUT_FILE), { recursive: true });
    await writeFile(OUT_FILE, `${JSON.stringify(result, null, 2)}\n`);
    const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(
      [
        `bench:scale: ${figures.documents} documents in ${figures.batches} batches: ${figures.status}${figures.error === undefined ? '' : ` (${figures.error}: ${figures.cause ?? ''})`}`,
        `  upload + OCR cache seeding: ${uploadSeconds.toFixed(1)} s; execution: ${figures.executionSeconds.toFixed(1)} s (${Object.entries(
          figures.stepSeconds,
        )
          .map(([step, seconds]) => `${step} ${seconds.toFixed(1)} s`)
          .join(', ')})`,
        `  largest state output: ${kib(figures.largestStateOutput.bytes)} (${figures.largestStateOutput.state}), limit ${kib(figures.largestStateOutput.limit)}`,
        `  history events: execution ${figures.historyEvents}; ${figures.childExecutions} child executions, largest ${figures.maxChildHistoryEvents}; one inline Map would hold ${figures.inlineMapHistoryEvents} (limit ${HISTORY_LIMIT})`,
        `  dataset: ${JSON.stringify(figures.dataset)}`,
        `  written to ${path.relative(ROOT, OUT_FILE)}`,
      ].join('\n'),
    );
    if (figures.status !== 'SUCCEEDED') process.exitCode = 1;
  } finally {
    await pipeline.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

await main();
