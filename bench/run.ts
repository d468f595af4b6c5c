/**
 * doctrain benchmarks: each one measures a baseline and a candidate in the same process and reports ratios,
 * so the figures compare like with like on whatever machine runs them. Nothing here asserts a time; the
 * only failures are correctness checks (the cache must bill N pages, then 0).
 *
 *   npm run bench                 both benchmarks
 *   npm run bench -- textract     only the Textract conversion (no local services, a few seconds)
 *   npm run bench -- ocr          only the OCR cache (starts the local services, runs real tesseract OCR)
 *
 * Environment: BENCH_OCR_DOCS (default 8), BENCH_OUT (default .doctrain/bench/latest.json).
 * See bench/README.md.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { collectGarbage } from './gc';
import { startLocalServices } from '../local/services';
import { generateReceipts } from '../local/synth';
import { blocksToPages, type OcrBox, type OcrPage, type OcrWord, type TextractBlock } from '../src/textract';
import type { DocumentRef, BatchFile } from '../src/contracts/objects';
import { DEFAULT_DOCUMENTS_PREFIX, annotationKeyFor, batchKey, documentKey, runPrefix } from '../src/contracts/s3-layout';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE_DIR = path.join(ROOT, 'test', 'fixtures', 'textract');
const OUT_FILE = path.resolve(ROOT, process.env['BENCH_OUT'] ?? path.join('.doctrain', 'bench', 'latest.json'));
const OCR_DOCS = Number(process.env['BENCH_OCR_DOCS'] ?? 8);
const OCR_SEED = 20_240_601;
/** Cache-hit passes are cheap and noisy: take the median of this many. */
const HIT_PASSES = 5;
/** Conversion: timed rounds per converter (alternating), each at least ROUND_MS long; median reported. */
const ROUNDS = 7;
const ROUND_MS = 400;

const MiB = 1024 * 1024;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
/** Peak resident set size of this process so far (ru_maxrss is in KiB on Linux). */
const peakRssMiB = (): number => round((process.resourceUsage().maxRSS * 1024) / MiB, 1);

// ---------------------------------------------------------------------------------------------------------
// (b) Textract conversion: blocksToPages vs a naive conversion
// ---------------------------------------------------------------------------------------------------------

interface Fixture {
  name: string;
  blocks: TextractBlock[];
}

type Converter = (blocks: readonly TextractBlock[]) => OcrPage[];

const toUnit = (v: number): number => Math.min(1000, Math.max(0, Math.round(v * 1000)));

/**
 * The baseline: WORD blocks in the order Textract sent them, boxes straight from the axis-aligned
 * BoundingBox (no rotation to the upright frame, no line grouping, no reading order).
 */
const naiveBlocksToPages: Converter = (blocks) => {
  const pages = new Map<number, OcrWord[]>();
  for (const block of blocks) {
    if (block.BlockType !== 'WORD') continue;
    const text = (block.Text ?? '').trim();
    const bb = block.Geometry?.BoundingBox;
    if (text === '' || bb === undefined) continue;
    const left = bb.Left ?? 0;
    const top = bb.Top ?? 0;
    const box: OcrBox = [toUnit(left), toUnit(top), toUnit(left + (bb.Width ?? 0)), toUnit(top + (bb.Height ?? 0))];
    const page = block.Page ?? 1;
    const words = pages.get(page) ?? [];
    words.push({ text, box, confidence: block.Confidence ?? 0 });
    pages.set(page, words);
  }
  return [...pages.entries()].sort(([a], [b]) => a - b).map(([page, words]) => ({ page, width: 1000, height: 1000, words }));
};

const candidateBlocksToPages: Converter = (blocks) => blocksToPages(blocks);

const loadFixtures = async (): Promise<Fixture[]> => {
  const names = (await readdir(FIXTURE_DIR)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const parsed = JSON.parse(await readFile(path.join(FIXTURE_DIR, name), 'utf8')) as { Blocks?: TextractBlock[] };
      return { name, blocks: parsed.Blocks ?? [] };
    }),
  );
};

const countWords = (pages: readonly OcrPage[]): number => pages.reduce((sum, page) => sum + page.words.length, 0);

/** Converts every fixture repeatedly for at least `minMs`; returns words per second. */
const timedRound = (convert: Converter, fixtures: readonly Fixture[], minMs: number): number => {
  let words = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const fixture of fixtures) words += countWords(convert(fixture.blocks));
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (words * 1000) / elapsed;
};

/**
 * Heap while converting every fixture once, keeping the outputs: peak (sampled after each fixture, no forced
 * GC in between, so it is mostly the conversion's garbage) and retained (after a GC, the outputs alone).
 */
const memoryOfOnePass = (convert: Converter, fixtures: readonly Fixture[]) => {
  collectGarbage();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  const kept: OcrPage[][] = [];
  for (const fixture of fixtures) {
    kept.push(convert(fixture.blocks));
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }
  collectGarbage();
  const retained = process.memoryUsage().heapUsed - before.heapUsed;
  if (kept.length !== fixtures.length) throw new Error('unreachable');
  return {
    heapPeakDeltaMiB: round((peakHeap - before.heapUsed) / MiB, 3),
    heapRetainedDeltaMiB: round(retained / MiB, 3),
  };
};

const benchTextractConversion = async () => {
  const fixtures = await loadFixtures();
  const perFixture = fixtures.map((fixture) => ({
    fixture: fixture.name,
    blocks: fixture.blocks.length,
    wordsBaseline: countWords(naiveBlocksToPages(fixture.blocks)),
    wordsCandidate: countWords(blocksToPages(fixture.blocks)),
  }));
  const words = perFixture.reduce((sum, f) => sum + f.wordsCandidate, 0);
  const mismatched = perFixture.filter((f) => f.wordsBaseline !== f.wordsCandidate);

  // Warm up both (JIT), then alternate rounds so drift in machine load hits both equally.
  timedRound(naiveBlocksToPages, fixtures, ROUND_MS);
  timedRound(candidateBlocksToPages, fixtures, ROUND_MS);
  const baselineRates: number[] = [];
  const candidateRates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    baselineRates.push(timedRound(naiveBlocksToPages, fixtures, ROUND_MS));
    candidateRates.push(timedRound(candidateBlocksToPages, fixtures, ROUND_MS));
  }
  const baselineWordsPerSecond = median(baselineRates);
  const candidateWordsPerSecond = median(candidateRates);
  return {
    fixtures: fixtures.length,
    words,
    wordCountMismatches: mismatched,
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    baseline: {
      name: 'naive (block order, raw BoundingBox)',
      wordsPerSecond: Math.round(baselineWordsPerSecond),
      ...memoryOfOnePass(naiveBlocksToPages, fixtures),
    },
    candidate: {
      name: 'blocksToPages (upright frame, lines, reading order)',
      wordsPerSecond: Math.round(candidateWordsPerSecond),
      ...memoryOfOnePass(candidateBlocksToPages, fixtures),
    },
    /** Candidate throughput as a fraction of the baseline's (< 1: the cost of correct geometry). */
    throughputRatio: round(candidateWordsPerSecond / baselineWordsPerSecond, 3),
    /** How many times slower the candidate is. */
    slowdown: round(baselineWordsPerSecond / candidateWordsPerSecond, 2),
    peakRssMiB: peakRssMiB(),
  };
};

// ---------------------------------------------------------------------------------------------------------
// (a) OCR cache: ocrBatch cold (Textract via tesseract) vs warm (content-addressed cache hits)
// ---------------------------------------------------------------------------------------------------------

const benchOcrCache = async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'doctrain-bench-'));
  const startMs = performance.now();
  const services = await startLocalServices({ root: ROOT, dataDir });
  const servicesStartMs = performance.now() - startMs;
  const { putBody, putJson } = await import('../src/aws/s3-objects');
  const { ocrBatch } = await import('../src/steps/ocr-batch/step');
  const deps = { s3: services.clients.s3, textract: services.clients.textract };
  const bucket = services.bucket;
  try {
    // N documents for the passes plus one extra that only warms the OCR engine up (worker start, model load).
    const generateStart = performance.now();
    const receipts = await generateReceipts({ count: OCR_DOCS + 1, seed: OCR_SEED });
    const generateMs = performance.now() - generateStart;
    const refs: DocumentRef[] = receipts.map((receipt) => {
      const key = documentKey(DEFAULT_DOCUMENTS_PREFIX, receipt.id, '.png');
      return { id: receipt.id, key, annotationKey: annotationKeyFor(key) };
    });
    await Promise.all(
      receipts.flatMap((receipt, i) => {
        const ref = refs[i] as DocumentRef;
        return [
          putBody(deps.s3, { bucket, key: ref.key }, receipt.png, 'image/png'),
          putBody(deps.s3, { bucket, key: ref.annotationKey }, JSON.stringify(receipt.annotation), 'application/json'),
        ];
      }),
    );
    const warmupDocuments = refs.slice(OCR_DOCS);
    const mainDocuments = refs.slice(0, OCR_DOCS);
    let passIndex = 0;
    // Each pass is its own run with one batch, written where ocrBatch derives it from (run prefix, index).
    const pass = async (documents: DocumentRef[]) => {
      const index = passIndex++;
      const runId = `bench-${index}`;
      await putJson(deps.s3, { bucket, key: batchKey(runPrefix(runId), 0) }, {
        schemaVersion: 1,
        batchIndex: 0,
        documents,
      } satisfies BatchFile);
      const start = performance.now();
      const summary = await ocrBatch(deps, { bucket, runId, runPrefix: runPrefix(runId), batchIndex: 0 });
      return { ms: performance.now() - start, summary };
    };

    const warmup = await pass(warmupDocuments);
    const miss = await pass(mainDocuments);
    const hits: Awaited<ReturnType<typeof pass>>[] = [];
    for (let i = 0; i < HIT_PASSES; i++) hits.push(await pass(mainDocuments));
    const hitMs = median(hits.map((hit) => hit.ms));
    const firstHit = hits[0] as (typeof hits)[number];

    const problems: string[] = [];
    const expect = (ok: boolean, message: string): void => void (ok || problems.push(message));
    expect(warmup.summary.documents === 1 && warmup.summary.quarantined === 0, `warm-up: ${JSON.stringify(warmup.summary)}`);
    expect(
      miss.summary.documents === OCR_DOCS && miss.summary.quarantined === 0,
      `miss pass quarantined documents: ${JSON.stringify(miss.summary)}`,
    );
    expect(miss.summary.pagesBilled === OCR_DOCS, `miss pass billed ${miss.summary.pagesBilled} pages, expected ${OCR_DOCS}`);
    expect(miss.summary.cacheHits === 0, `miss pass had ${miss.summary.cacheHits} cache hits, expected 0`);
    for (const hit of hits) {
      expect(hit.summary.pagesBilled === 0, `hit pass billed ${hit.summary.pagesBilled} pages, expected 0`);
      expect(hit.summary.cacheHits === OCR_DOCS, `hit pass had ${hit.summary.cacheHits} cache hits, expected ${OCR_DOCS}`);
    }
    return {
      documents: OCR_DOCS,
      servicesStartMs: Math.round(servicesStartMs),
      generateMs: Math.round(generateMs),
      warmupMs: Math.round(warmup.ms),
      baseline: {
        name: 'first pass (cache misses: S3 + Textract/tesseract OCR + cache write)',
        ms: Math.round(miss.ms),
        msPerDocument: Math.round(miss.ms / OCR_DOCS),
        pagesBilled: miss.summary.pagesBilled,
        cacheHits: miss.summary.cacheHits,
      },
      candidate: {
        name: `second pass (cache hits; median of ${HIT_PASSES})`,
        ms: round(hitMs, 1),
        firstHitPassMs: round(firstHit.ms, 1),
        msPerDocument: round(hitMs / OCR_DOCS, 1),
        pagesBilled: firstHit.summary.pagesBilled,
        cacheHits: firstHit.summary.cacheHits,
      },
      speedup: round(miss.ms / hitMs, 1),
      peakRssMiB: peakRssMiB(),
      problems,
    };
  } finally {
    deps.s3.destroy();
    deps.textract.destroy();
    await services.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

// ---------------------------------------------------------------------------------------------------------

type TextractResult = Awaited<ReturnType<typeof benchTextractConversion>>;
type OcrResult = Awaited<ReturnType<typeof benchOcrCache>>;

const fmt = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 3 });

const markdown = (results: { ocrCache?: OcrResult; textractConversion?: TextractResult }): string => {
  const lines: string[] = [];
  const o = results.ocrCache;
  if (o) {
    lines.push(
      `### (a) OCR cache: ocrBatch on ${o.documents} synthetic receipts, local services`,
      '',
      '| metric | first pass (miss) | second pass (hit) | ratio |',
      '|---|---:|---:|---:|',
      `| batch time (ms) | ${fmt(o.baseline.ms)} | ${fmt(o.candidate.ms)} | ${fmt(o.speedup)}x faster |`,
      `| per document (ms) | ${fmt(o.baseline.msPerDocument)} | ${fmt(o.candidate.msPerDocument)} | |`,
      `| pagesBilled | ${o.baseline.pagesBilled} | ${o.candidate.pagesBilled} | |`,
      `| cacheHits | ${o.baseline.cacheHits} | ${o.candidate.cacheHits} | |`,
      '',
      `Hit pass: median of ${HIT_PASSES} (first hit pass ${fmt(o.candidate.firstHitPassMs)} ms). ` +
        `Not timed above: local services start ${fmt(o.servicesStartMs)} ms, rendering ${o.documents + 1} receipts ` +
        `${fmt(o.generateMs)} ms, OCR warm-up (1 document, worker start) ${fmt(o.warmupMs)} ms. Peak RSS ${fmt(o.peakRssMiB)} MiB.`,
      '',
    );
  }
  const t = results.textractConversion;
  if (t) {
    lines.push(
      `### (b) Textract conversion: ${t.fixtures} real responses, ${t.words} words`,
      '',
      '| metric | naive baseline | blocksToPages | ratio |',
      '|---|---:|---:|---:|',
      `| words/s (median of ${t.rounds}) | ${fmt(t.baseline.wordsPerSecond)} | ${fmt(t.candidate.wordsPerSecond)} | ${fmt(t.throughputRatio)} (${fmt(t.slowdown)}x slower) |`,
      `| heap peak delta, one pass (MiB) | ${fmt(t.baseline.heapPeakDeltaMiB)} | ${fmt(t.candidate.heapPeakDeltaMiB)} | |`,
      `| heap retained by output (MiB) | ${fmt(t.baseline.heapRetainedDeltaMiB)} | ${fmt(t.candidate.heapRetainedDeltaMiB)} | |`,
      '',
      `Process peak RSS after this bench: ${fmt(t.peakRssMiB)} MiB.` +
        (t.wordCountMismatches.length > 0
          ? ` Word count differs on: ${t.wordCountMismatches.map((m) => m.fixture).join(', ')}.`
          : ' Both emit the same words.'),
      '',
    );
  }
  return lines.join('\n');
};

const main = async (): Promise<number> => {
  const selected = new Set(process.argv.slice(2));
  const want = (name: string): boolean => selected.size === 0 || selected.has(name);
  const results: { ocrCache?: OcrResult; textractConversion?: TextractResult } = {};
  // The conversion bench first: its memory figures should not sit on top of the OCR engine's.
  if (want('textract')) results.textractConversion = await benchTextractConversion();
  if (want('ocr')) results.ocrCache = await benchOcrCache();
  console.log(markdown(results));
  await mkdir(path.dirname(OUT_FILE), { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    ...results,
  };
  await writeFile(OUT_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${OUT_FILE}`);
  const problems = results.ocrCache?.problems ?? [];
  for (const problem of problems) console.error(`CHECK FAILED: ${problem}`);
  return problems.length === 0 ? 0 : 1;
};

process.exitCode = await main();
