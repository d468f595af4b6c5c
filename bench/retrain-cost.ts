/**
 * Retrain cost over four scheduled weeks on real receipts (../shared/datasets/sroie-dev), doctrain's
 * lifecycle against a naive retrain measured in the same run, both through the whole local pipeline:
 *
 *   week 1: 100 receipts            week 2: unchanged (must be SKIPPED: 0 Textract pages, 0 jobs)
 *   week 3: + 50 receipts           week 4: 5 annotations changed (a field dropped from each)
 *
 * doctrain: one persistent local stage (OCR cache, lineage), spot, adaptive polls, warm start from the
 * champion (`warmStart: champion`), the promotion rule. Naive: every week a fresh stage (no OCR cache,
 * no lineage: every document OCR'd again), on-demand ml.g5.xlarge, a fixed 30 s poll, trained from
 * scratch. Costs are each run's own cost ledger (src/cost/ledger.ts: Textract pages, billable training
 * seconds at the price table's rate, transitions and Lambda requests); a SKIPPED run has no ledger and is
 * charged its transitions and Lambda requests. Local training seconds are CPU seconds of the compact
 * trainer, not a GPU's; the ratio is what the lifecycle saves on the same work.
 *
 *   npm run bench:retrain                       the four weeks (about 10 minutes on 2 cores)
 *   npm run bench:retrain -- --hyperparameters '{"epochs": 20}'
 *
 * Writes .doctrain/bench/retrain-cost.json. Exits 0 when the folder is absent (says so), 1 when a week
 * did not end as it should (week 2 not SKIPPED, a run not COMPLETED).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startLocalPipeline, type LocalPipeline } from '../local/pipeline';
import type { ExecutionOutcome } from '../local/stepfunctions';
import type { FieldsAnnotation } from '../src/contracts/annotation';
import { DEFAULT_PRICE_TABLE } from '../src/contracts/prices';
import { DEFAULT_DOCUMENTS_PREFIX } from '../src/contracts/s3-layout';
import { s3Sink, writeDocumentsLayout } from '../src/importers/documents-layout';
import { readSroieFolder } from '../src/importers/sroie';
import type { ImportedDocument } from '../src/importers/types';
import type { RunRecord } from '../src/status/run-store';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, hyperparameters: { type: 'string' }, out: { type: 'string' } },
});
const dir = path.resolve(ROOT, args.dir ?? '../shared/datasets/sroie-dev');
const hyperparameters = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .parse(args.hyperparameters === undefined ? {} : JSON.parse(args.hyperparameters));
const outFile = path.resolve(ROOT, args.out ?? path.join('.doctrain', 'bench', 'retrain-cost.json'));

type Receipt = ImportedDocument<FieldsAnnotation>;
interface WeekResult {
  week: number;
  runId: string;
  status: string;
  documents: number;
  textractPages: number;
  trainingJobs: number;
  trainingSeconds: number;
  costUsd: number;
  promotion: string;
  entityF1: number | null;
  seconds: number;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Week 4's change: the address dropped from 5 annotations (what a labelling fix or a schema change does). */
const changeAnnotations = (receipts: readonly Receipt[]): Receipt[] =>
  receipts.map((receipt, index) => {
    if (index >= 5 || receipt.annotation.fields['address'] === undefined) return receipt;
    const { address: _dropped, ...fields } = receipt.annotation.fields;
    return { ...receipt, annotation: { ...receipt.annotation, fields } };
  });

/** A run's cost: its ledger, or (a SKIPPED run has none) its transitions and Lambda requests at the price table's rates. */
const runCost = (record: RunRecord | undefined, outcome: ExecutionOutcome): number => {
  if (record?.cost !== undefined) return record.cost.totalUsd;
  const entered = outcome.events.filter((event) => event.type === 'StateEntered').length;
  const lambdas = outcome.events.filter(
    (event) => event.type === 'StateEntered' && /^(Record|Validate|Preflight|Check|Notify)/.test(event.stateName ?? ''),
  ).length;
  return entered * DEFAULT_PRICE_TABLE.orchestration.stateTransitionUsd + lambdas * DEFAULT_PRICE_TABLE.orchestration.lambdaRequestUsd;
};

const runWeek = async (
  pipeline: LocalPipeline,
  week: number,
  receipts: readonly Receipt[],
  input: Record<string, unknown>,
): Promise<WeekResult> => {
  const started = Date.now();
  // Mirrors the folder: what a weekly export to the documents prefix looks like.
  await writeDocumentsLayout(receipts, s3Sink(pipeline.services.clients.s3, pipeline.services.bucket, DEFAULT_DOCUMENTS_PREFIX));
  const runId = `receipts-week-${week}`;
  const jobsBefore = pipeline.services.sageMakerRequests()['CreateTrainingJob'] ?? 0;
  const outcome = await pipeline.execute(
    { runId, trigger: 'schedule', training: { hyperparameters }, ...input },
    { executionName: `${runId}-${Date.now()}` },
  );
  const { record } = await pipeline.runRecord(runId);
  return {
    week,
    runId,
    status: record?.status ?? `no record (${outcome.status} ${outcome.error ?? ''})`,
    documents: receipts.length,
    textractPages: record?.cost?.textract.pages ?? 0,
    trainingJobs: (pipeline.services.sageMakerRequests()['CreateTrainingJob'] ?? 0) - jobsBefore,
    trainingSeconds: record?.billableSeconds ?? 0,
    costUsd: runCost(record, outcome),
    promotion: record?.promotion === undefined ? '-' : `${record.promotion.decision} (${record.promotion.rule})`,
    entityF1: record?.metrics?.['val_f1'] ?? null,
    seconds: (Date.now() - started) / 1000,
  };
};

const main = async (): Promise<number> => {
  if (!existsSync(path.join(dir, 'img'))) {
    console.log(`no SROIE folder at ${dir} (img/ + key/): nothing to measure`);
    return 0;
  }
  const all: Receipt[] = [];
  for await (const doc of readSroieFolder(dir)) all.push(doc);
  if (all.length < 150) throw new Error(`${dir} has ${all.length} receipts; the bench needs 150`);
  const first = all.slice(0, 100);
  const weeks: Receipt[][] = [first, first, all.slice(0, 150), changeAnnotations(all.slice(0, 150))];
  console.log(`retrain cost on ${dir}: weeks of ${weeks.map((w) => w.length).join(', ')} receipts`);

  const base = path.resolve(ROOT, '.doctrain', 'bench', 'retrain');
  await rm(base, { recursive: true, force: true });
  const ours: WeekResult[] = [];
  const stage = await startLocalPipeline({ root: ROOT, dataDir: path.join(base, 'doctrain'), stage: 'local', waitMs: 1000 });
  try {
    for (const [index, receipts] of weeks.entries()) {
      const result = await runWeek(stage, index + 1, receipts, { training: { hyperparameters, warmStart: 'champion' } });
      console.log(
        `doctrain week ${result.week}: ${result.status}, ${result.textractPages} pages, ${result.trainingJobs} job(s), ${result.trainingSeconds} s, $${result.costUsd.toFixed(4)}, ${result.promotion}, ${seconds(result.seconds * 1000)}`,
      );
      ours.push(result);
    }
  } finally {
    await stage.close();
  }
  const naive: WeekResult[] = [];
  for (const [index, receipts] of weeks.entries()) {
    const fresh = await startLocalPipeline({ root: ROOT, dataDir: path.join(base, `naive-${index + 1}`), stage: 'local', waitMs: 1000 });
    try {
      const result = await runWeek(fresh, index + 1, receipts, {
        force: true,
        pollSeconds: 30,
        training: { hyperparameters, spot: false, instanceFallbacks: [] },
      });
      console.log(
        `naive    week ${result.week}: ${result.status}, ${result.textractPages} pages, ${result.trainingJobs} job(s), ${result.trainingSeconds} s, $${result.costUsd.toFixed(4)}, ${seconds(result.seconds * 1000)}`,
      );
      naive.push(result);
    } finally {
      await fresh.close();
    }
  }
  const total = (results: readonly WeekResult[], key: 'costUsd' | 'textractPages' | 'trainingSeconds' | 'trainingJobs'): number =>
    results.reduce((sum, result) => sum + result[key], 0);
  const ratio = total(ours, 'costUsd') / total(naive, 'costUsd');
  const summary = {
    dir,
    weeks: weeks.map((w) => w.length),
    doctrain: {
      weeks: ours,
      totalUsd: total(ours, 'costUsd'),
      textractPages: total(ours, 'textractPages'),
      trainingSeconds: total(ours, 'trainingSeconds'),
      trainingJobs: total(ours, 'trainingJobs'),
    },
    naive: {
      weeks: naive,
      totalUsd: total(naive, 'costUsd'),
      textractPages: total(naive, 'textractPages'),
      trainingSeconds: total(naive, 'trainingSeconds'),
      trainingJobs: total(naive, 'trainingJobs'),
    },
    costRatio: ratio,
    cheaperPercent: (1 - ratio) * 100,
  };
  console.log('\n| | doctrain | naive | ratio |\n|---|---:|---:|---:|');
  for (const key of ['costUsd', 'textractPages', 'trainingSeconds', 'trainingJobs'] as const) {
    const a = total(ours, key);
    const b = total(naive, key);
    console.log(
      `| ${key} | ${key === 'costUsd' ? `$${a.toFixed(4)}` : a} | ${key === 'costUsd' ? `$${b.toFixed(4)}` : b} | ${b === 0 ? '-' : (a / b).toFixed(3)} |`,
    );
  }
  console.log(`\ndoctrain is ${summary.cheaperPercent.toFixed(1)} % cheaper than the naive retrain over the four weeks (target >= 70 %)`);
  console.log(`promotions: ${ours.map((r) => `week ${r.week} ${r.promotion}`).join('; ')}`);
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, `${JSON.stringify(summary, null, 2)}\n`);
  const week2 = ours[1];
  const ok =
    week2?.status === 'SKIPPED' &&
    week2.textractPages === 0 &&
    week2.trainingJobs === 0 &&
    [0, 2, 3].every((i) => ours[i]?.status === 'COMPLETED');
  if (!ok) console.log('!! a week did not end as it should (week 2 SKIPPED with 0 pages and 0 jobs; weeks 1, 3, 4 COMPLETED)');
  return ok ? 0 : 1;
};

process.exitCode = await main();
