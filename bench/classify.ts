/**
 * Document classification on real pages (issue 18 item 5): real scanned receipts (SROIE, read from
 * ../shared/datasets/sroie-dev/img where it exists, never copied into the repository) against pages of
 * the project's own documentation drawn as text pages (local/synth/class-devset.ts, every fourth
 * document two pages), imported with `doctrain import classes`, through the whole local pipeline (local
 * Textract, dataset, the real trainer) with task classification; prints accuracy, macro-F1 and
 * per-class precision and recall of the run's validation documents.
 *
 *   npm run bench:classify                                  40 receipts + 40 text documents
 *   npm run bench:classify -- --receipts 20 --text 20 --hyperparameters '{"epochs": 5}'
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startLocalPipeline } from '../local/pipeline';
import { writeClassDevSet } from '../local/synth/class-devset';
import { readClassDocuments, s3Sink, writeDocumentsLayout } from '../src/importers';
import { DEFAULT_DOCUMENTS_PREFIX } from '../src/contracts/s3-layout';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLASSES = ['receipt', 'text_page'];

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    receipts: { type: 'string', default: '40' },
    text: { type: 'string', default: '40' },
    hyperparameters: { type: 'string' },
    out: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const count = (name: string, raw: string | undefined): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 2) throw new Error(`--${name} must be an integer >= 2, got ${raw}`);
  return value;
};

const main = async (): Promise<number> => {
  const sroie = path.resolve(ROOT, args.dir ?? process.env['DOCTRAIN_SROIE_DIR'] ?? path.join('..', 'shared', 'datasets', 'sroie-dev'));
  if (!existsSync(path.join(sroie, 'img'))) {
    console.log(`bench:classify skipped: no SROIE folder with img/ at ${sroie} (pass --dir or set DOCTRAIN_SROIE_DIR)`);
    return 0;
  }
  const hyperparameters = z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .parse(args.hyperparameters === undefined ? {} : JSON.parse(args.hyperparameters));
  const dataDir = path.resolve(ROOT, args['data-dir'] ?? path.join('.doctrain', 'bench', 'classify-local'));
  const outFile = path.resolve(ROOT, args.out ?? path.join('.doctrain', 'bench', 'classify.json'));
  await rm(dataDir, { recursive: true, force: true });
  const devSetDir = path.join(dataDir, 'devset');
  const devSet = await writeClassDevSet(devSetDir, {
    root: ROOT,
    receiptsDir: path.join(sroie, 'img'),
    receipts: count('receipts', args.receipts),
    textDocuments: count('text', args.text),
    multiPageEvery: 4,
  });
  console.log(
    `development set: ${devSet.receipts} real receipts (${sroie}/img), ${devSet.textDocuments} text documents (${devSet.textPages} pages of the project's docs)`,
  );

  const started = Date.now();
  const pipeline = await startLocalPipeline({ root: ROOT, dataDir: path.join(dataDir, 'stage'), stage: 'local', waitMs: 1000 });
  try {
    const { s3 } = pipeline.services.clients;
    await writeDocumentsLayout(readClassDocuments(devSetDir), s3Sink(s3, pipeline.services.bucket, DEFAULT_DOCUMENTS_PREFIX));
    const runId = `bench-classify-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    const outcome = await pipeline.execute(
      { runId, trigger: 'local', task: 'classification', dataset: { classes: CLASSES }, training: { hyperparameters } },
      { executionName: runId },
    );
    const { record } = await pipeline.runRecord(runId);
    const elapsed = Date.now() - started;
    if (outcome.status !== 'SUCCEEDED' || record?.status !== 'COMPLETED') {
      console.log(`run ${runId} ended ${record?.status ?? outcome.status}: ${outcome.error ?? ''} ${outcome.cause ?? ''}`);
      return 1;
    }
    const metrics = z.record(z.string(), z.number()).parse(record.metrics ?? {});
    const figure = (name: string): string => (metrics[name] === undefined ? 'n/a' : (metrics[name] ?? 0).toFixed(4));
    console.log(`run ${runId} COMPLETED in ${seconds(elapsed)} (local AWS start, OCR, dataset and training)`);
    console.log(`validation documents: accuracy ${figure('val_accuracy')}, macro-F1 ${figure('val_macro_f1')}`);
    for (const name of CLASSES) {
      console.log(`  ${name.padEnd(10)} precision ${figure(`val_precision_${name}`)}  recall ${figure(`val_recall_${name}`)}`);
    }
    await mkdir(path.dirname(outFile), { recursive: true });
    await writeFile(outFile, `${JSON.stringify({ runId, devSet, seconds: elapsed / 1000, metrics }, null, 2)}\n`);
    console.log(`figures written to ${path.relative(ROOT, outFile)}`);
    return 0;
  } finally {
    await pipeline.close();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
