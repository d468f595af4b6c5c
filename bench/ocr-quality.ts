/**
 * OCR quality and speed of the local Textract engine on real receipts (SROIE), beside native tesseract.
 *
 *   npm run bench:ocr                       all receipts of ../shared/datasets/sroie-dev
 *   npm run bench:ocr -- --limit 20         the first 20
 *   npm run bench:ocr -- --dataset DIR --concurrency 4 --native-psm 3 --no-native
 *   npm run bench:ocr -- --engines native --second-reading always   one engine, every page read twice
 *   npm run bench:ocr -- --engines native --cleanup never           no page clean-up (the figures before it)
 *   npm run bench:ocr -- --from 100 --limit 20                      receipts 100..119
 *   npm run bench:ocr -- --ids 013,047                              these receipts
 *
 * Environment: SROIE_DIR (the dataset folder, instead of --dataset), DOCTRAIN_OCR_WORKERS (engine pool size),
 * BENCH_OUT (default .doctrain/bench/ocr-quality.json). Skips with a message when the dataset is absent.
 *
 * Measures, per engine, against the ground-truth text lines in `box/NNN.csv` (see bench/README.md):
 * - word recall: share of ground-truth words found among the page's OCR words (multiset matching: each OCR
 *   word matches at most one ground-truth word), exact (case-sensitive) and normalised (NFKC, lower case,
 *   punctuation trimmed from both ends);
 * - word precision: the same matching seen from the OCR side (exact);
 * - CER: Levenshtein distance between the page's OCR text and its ground-truth text, divided by the
 *   ground-truth length, summed over pages (micro average). Both texts are the page's lines in reading order
 *   (OCR: LINE blocks in the order the engine returns them; ground truth: lines sorted by the top of their
 *   box, then left), joined with one space, every whitespace run collapsed to one space;
 * - empty pages (no word) and near-empty pages (fewer OCR words than a fifth of the ground-truth words);
 * - pages/s over the whole set (wall clock, after one warm-up page; the engine at its default pool size, the
 *   native peer as that many concurrent single-threaded processes), and CPU seconds a page (the local engine:
 *   this process, its native threads included; the peer: its processes), which a busy shared machine moves
 *   less than wall clock;
 * - for the local engine: the pages it read a second time (reading-signs.ts) and what that bought: the
 *   normalised recall of those pages before and after the merge;
 * - for the local engine, per page: normalised word recall, the worst ten pages (with their reading's
 *   text-or-noise measures, src/textract/reading-quality.ts) and how many pages fall under 50%; the pages
 *   it cleaned up and read again (page-cleanup.ts), how many kept the cleaned-up reading, and those pages'
 *   normalised recall before and after the clean-up (the reading before it and the better one after it, both
 *   before any turn, enlargement or second reading).
 * The local engine runs once per engine in --engines (default: native where installed, and wasm).
 * Nothing here asserts a figure.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { distance } from 'fastest-levenshtein';
import pLimit from 'p-limit';
import type { TextractBlock } from '../local/textract/blocks';
import { DEFAULT_LIBRARY } from '../local/textract/libtesseract';
import { OcrEngine, type PageOutcome } from '../local/textract/ocr';
import type { CleanupVariant } from '../local/textract/page-cleanup';
import { parseCleanupMode, parseSecondReadingMode, readingMeasures, type ReadingSigns } from '../local/textract/reading-signs';
import { describeMeasures, type ReadingMeasures } from '../src/textract/reading-quality';
import { probeNativeTesseract, readingFromTsv, type OcrEngineChoice } from '../local/textract/readers';
import { matchedWords, pageString, parseBoxCsv, type PageText } from './sroie-box';

const execFileAsync = promisify(execFile);

/** The peer: Debian's `tesseract` command, as a user would run it; its version, or why it does not run. */
const tesseractCli = (): { version: string } | { missing: string } => {
  try {
    const version = /tesseract v?(\d+\.\d+(?:\.\d+)?)/i.exec(execFileSync('tesseract', ['--version'], { encoding: 'utf8' }))?.[1];
    return version === undefined ? { missing: 'tesseract --version printed no version' } : { version };
  } catch (error) {
    return { missing: `tesseract did not run (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
};
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    limit: { type: 'string' },
    dataset: { type: 'string' },
    concurrency: { type: 'string' },
    'native-psm': { type: 'string', default: '6' },
    'no-native': { type: 'boolean', default: false },
    engines: { type: 'string' },
    'second-reading': { type: 'string', default: 'auto' },
    cleanup: { type: 'string', default: 'auto' },
    from: { type: 'string', default: '0' },
    ids: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

interface Receipt {
  id: string;
  imagePath: string;
  truth: PageText;
}

interface EngineRun {
  engine: string;
  pages: number;
  seconds: number;
  pagesPerSecond: number;
  /** CPU seconds a page (this process's for the local engine, the peer processes' for the peer); null where not measurable. */
  cpuPerPage: number | null;
  truthWords: number;
  ocrWords: number;
  recallExact: number;
  recallNormalised: number;
  precisionExact: number;
  cer: number;
  emptyPages: string[];
  nearEmptyPages: string[];
  failedPages: { id: string; error: string }[];
  /** The local engine only: tesseract readings in all (every kind), and the pages read enlarged (text-height.ts). */
  readings?: { total: number; enlargedPages: number };
  /** The local engine only: pages read a second time, and their normalised recall before and after the merge. */
  secondReading?: { mode: string; pages: number; bandsOnly: number; recallBefore: number; recallAfter: number };
  /** The local engine only: pages cleaned up and read again, how many kept the cleaned reading, their recall before and after. */
  cleanup?: { mode: string; pages: number; won: number; recallBefore: number; recallAfter: number };
  /** The local engine only: per page normalised recall of the final reading. */
  pagesUnderHalf?: number;
  worstPages?: { id: string; recall: number; measures: ReadingMeasures; cleaned: boolean }[];
}

interface PageRecord {
  id: string;
  signs: ReadingSigns;
  recallFirst: number;
  recallMerged?: number;
  /** Normalised recall of what the engine returned for the page. */
  recall: number;
  measures: ReadingMeasures;
  cleanup?: { recallBefore: number; recallAfter: number; measuresBefore: ReadingMeasures; won?: CleanupVariant };
}

const round = (value: number, digits = 4): number => Number(value.toFixed(digits));

const normaliseWord = (word: string): string =>
  word
    .normalize('NFKC')
    .toLowerCase()
    .replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, '');

const textFromBlocks = (blocks: readonly TextractBlock[]): PageText => ({
  words: blocks.filter((b) => b.BlockType === 'WORD').map((b) => b.Text ?? ''),
  lines: blocks.filter((b) => b.BlockType === 'LINE').map((b) => b.Text ?? ''),
});

/** Native tesseract's TSV as the page's words and lines (readingFromTsv: the parser the native reader uses). */
const textFromTsv = (tsv: string): PageText => {
  const lines = readingFromTsv(tsv);
  return { words: lines.flat().map((w) => w.text), lines: lines.map((line) => line.map((w) => w.text).join(' ')) };
};

/** Run `task` over `items` with at most `limit` in flight (results in input order). */
const mapLimit = <T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> => {
  const limited = pLimit(Math.max(1, limit));
  return Promise.all(items.map((item) => limited(() => task(item))));
};

/** Normalised word recall of one page's words against its ground truth. */
const pageRecall = (truth: PageText, words: readonly string[]): number => {
  const want = truth.words.map(normaliseWord).filter((w) => w.length > 0);
  return (
    matchedWords(
      want,
      words.map(normaliseWord).filter((w) => w.length > 0),
    ) / Math.max(1, want.length)
  );
};

/**
 * CPU seconds spent so far by this process (`self`) and by its children that have exited (`children`, Linux:
 * /proc/self/stat's cutime + cstime), for a speed figure a busy shared machine moves less than wall clock.
 */
const cpuSeconds = (): { self: number; children: number | null } => {
  const { user, system } = process.cpuUsage();
  let children: number | null = null;
  try {
    // Fields after the command name (which may hold spaces, inside parentheses): cutime and cstime are 16 and 17.
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[13]) + Number(fields[14]);
    children = Number.isFinite(ticks) ? ticks / CLOCK_TICKS : null;
  } catch {
    children = null;
  }
  return { self: (user + system) / 1e6, children };
};
/** USER_HZ: clock ticks a second in /proc (100 on every Linux build in use). */
const CLOCK_TICKS = 100;

const score = (
  engine: string,
  receipts: readonly Receipt[],
  outputs: readonly (PageText | Error)[],
  seconds: number,
  cpu: number | null,
): EngineRun => {
  let truthWords = 0;
  let ocrWords = 0;
  let exact = 0;
  let normalised = 0;
  let editDistance = 0;
  let truthChars = 0;
  const emptyPages: string[] = [];
  const nearEmptyPages: string[] = [];
  const failedPages: { id: string; error: string }[] = [];
  receipts.forEach((receipt, i) => {
    const output = outputs[i];
    const ocr: PageText = output instanceof Error || output === undefined ? { words: [], lines: [] } : output;
    if (output instanceof Error) failedPages.push({ id: receipt.id, error: `${output.name}: ${output.message}` });
    const truth = receipt.truth;
    truthWords += truth.words.length;
    ocrWords += ocr.words.length;
    exact += matchedWords(truth.words, ocr.words);
    normalised += matchedWords(
      truth.words.map(normaliseWord).filter((w) => w.length > 0),
      ocr.words.map(normaliseWord).filter((w) => w.length > 0),
    );
    const truthText = pageString(truth.lines);
    editDistance += distance(pageString(ocr.lines), truthText);
    truthChars += truthText.length;
    if (ocr.words.length === 0) emptyPages.push(receipt.id);
    else if (ocr.words.length < truth.words.length / 5) nearEmptyPages.push(receipt.id);
  });
  const normalisedTruth = receipts.reduce((n, r) => n + r.truth.words.map(normaliseWord).filter((w) => w.length > 0).length, 0);
  return {
    engine,
    pages: receipts.length,
    seconds: round(seconds, 2),
    pagesPerSecond: round(receipts.length / seconds, 3),
    cpuPerPage: cpu === null ? null : round(cpu / Math.max(1, receipts.length), 3),
    truthWords,
    ocrWords,
    recallExact: round(exact / Math.max(1, truthWords)),
    recallNormalised: round(normalised / Math.max(1, normalisedTruth)),
    precisionExact: round(exact / Math.max(1, ocrWords)),
    cer: round(editDistance / Math.max(1, truthChars)),
    emptyPages,
    nearEmptyPages,
    failedPages,
  };
};

const USAGE = `npm run bench:ocr -- [options]
  --dataset DIR           SROIE folder with img/ and box/ (default ../shared/datasets/sroie-dev, or SROIE_DIR)
  --from N --limit N      receipts N.. (sorted by id), at most N of them
  --ids 013,047           these receipts only
  --engines native,wasm   local engines to run (default: native where installed, and wasm)
  --second-reading MODE   auto | always | never (DOCTRAIN_OCR_SECOND_READING)
  --cleanup MODE          auto | always | never: page clean-up and a new reading of noise pages (DOCTRAIN_OCR_CLEANUP)
  --concurrency N         pages read at once: engine workers and peer processes (default: the CPU count)
  --native-psm N          page segmentation mode of the native peer (default 6); --no-native skips the peer
Prints per engine: word recall, precision, CER, pages/s, the pages read twice and cleaned up and what that
bought, the worst ten pages by word recall and how many are under 50%; JSON to BENCH_OUT
(default .doctrain/bench/ocr-quality.json).`;

const main = async (): Promise<void> => {
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const datasetDir = path.resolve(ROOT, args.dataset ?? process.env['SROIE_DIR'] ?? path.join('..', 'shared', 'datasets', 'sroie-dev'));
  if (!existsSync(path.join(datasetDir, 'img')) || !existsSync(path.join(datasetDir, 'box'))) {
    console.log(`SKIPPED: no SROIE dataset at ${datasetDir} (needs img/ and box/; set SROIE_DIR or --dataset)`);
    return;
  }
  const limit = args.limit === undefined ? Infinity : Number(args.limit);
  const concurrency = Number(args.concurrency ?? process.env['DOCTRAIN_OCR_WORKERS'] ?? os.availableParallelism());
  const ids = (await readdir(path.join(datasetDir, 'img')))
    .filter((f) => /\.jpe?g$/i.test(f))
    .map((f) => f.replace(/\.[^.]+$/, ''))
    .filter((id) => existsSync(path.join(datasetDir, 'box', `${id}.csv`)))
    .filter((id) => args.ids === undefined || args.ids.split(',').includes(id))
    .sort()
    .slice(Number(args.from), Number(args.from) + limit);
  const receipts: Receipt[] = await Promise.all(
    ids.map(async (id) => ({
      id,
      imagePath: path.join(datasetDir, 'img', `${id}.jpg`),
      truth: parseBoxCsv(await readFile(path.join(datasetDir, 'box', `${id}.csv`), 'utf8')),
    })),
  );
  console.log(
    `${receipts.length} receipts from ${datasetDir}; ${concurrency} read at once (the local engine: ${concurrency} workers, ${concurrency * 2} requests in flight; the peer: ${concurrency} processes); ${os.cpus().length} CPUs`,
  );

  const runs: EngineRun[] = [];
  const pageRecords: Record<string, PageRecord[]> = {};
  const mode = parseSecondReadingMode(args['second-reading']);
  const cleanupMode = parseCleanupMode(args.cleanup);
  const probe = probeNativeTesseract(DEFAULT_LIBRARY);
  const engines = (args.engines?.split(',') ?? ['version' in probe ? 'native' : undefined, 'wasm']).filter(
    (e): e is OcrEngineChoice => e === 'native' || e === 'wasm',
  );
  for (const choice of engines) {
    // Each detect's result is the very array onPage saw: that ties a page's outcome to its receipt.
    const outcomes = new WeakMap<TextractBlock[], PageOutcome>();
    const engine = new OcrEngine({
      engine: choice,
      workers: concurrency,
      secondReading: mode,
      cleanup: cleanupMode,
      onPage: (page) => outcomes.set(page.merged ?? page.first, page),
    });
    try {
      const first = receipts[0];
      if (first !== undefined) await engine.detect(await readFile(first.imagePath)); // warm-up: workers start
      const before = engine.stats;
      const records: PageRecord[] = [];
      const start = performance.now();
      const cpuStart = cpuSeconds().self;
      // Timed: the OCR alone, fed as the local Textract server is (more requests in flight than workers, so
      // one page's decoding overlaps another's reading); the scoring comes after.
      const read = await mapLimit(receipts, concurrency * 2, async (r): Promise<TextractBlock[] | Error> => {
        try {
          return await engine.detect(await readFile(r.imagePath));
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
      const seconds = (performance.now() - start) / 1000;
      const cpu = cpuSeconds().self - cpuStart;
      const outputs = read.map((blocks, i) => {
        if (blocks instanceof Error) return blocks;
        const r = receipts[i];
        const outcome = outcomes.get(blocks);
        if (r !== undefined && outcome !== undefined) {
          const { cleanup } = outcome;
          records.push({
            id: r.id,
            signs: outcome.signs,
            recallFirst: pageRecall(r.truth, textFromBlocks(outcome.first).words),
            ...(outcome.merged === undefined ? {} : { recallMerged: pageRecall(r.truth, textFromBlocks(outcome.merged).words) }),
            recall: pageRecall(r.truth, textFromBlocks(blocks).words),
            measures: readingMeasures(blocks),
            ...(cleanup === undefined
              ? {}
              : {
                  cleanup: {
                    recallBefore: pageRecall(r.truth, textFromBlocks(cleanup.before).words),
                    recallAfter: pageRecall(r.truth, textFromBlocks(cleanup.after).words),
                    measuresBefore: cleanup.measuresBefore,
                    ...(cleanup.won === undefined ? {} : { won: cleanup.won }),
                  },
                }),
          });
        }
        return textFromBlocks(blocks);
      });
      const twice = records.filter((p) => p.recallMerged !== undefined);
      const mean = (values: number[]): number => round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length));
      const cleaned = records.filter((p) => p.cleanup !== undefined);
      const byRecall = [...records].sort((a, b) => a.recall - b.recall || (a.id < b.id ? -1 : 1));
      runs.push({
        ...score(`local Textract: ${engine.engine}`, receipts, outputs, seconds, cpu),
        readings: {
          total: engine.stats.reads - before.reads,
          enlargedPages: engine.stats.enlarged - before.enlarged,
        },
        secondReading: {
          mode,
          pages: engine.stats.readTwice - before.readTwice,
          bandsOnly: engine.stats.bandsOnly - before.bandsOnly,
          recallBefore: mean(twice.map((p) => p.recallFirst)),
          recallAfter: mean(twice.map((p) => p.recallMerged ?? 0)),
        },
        cleanup: {
          mode: cleanupMode,
          pages: cleaned.length,
          won: cleaned.filter((p) => p.cleanup?.won !== undefined).length,
          recallBefore: mean(cleaned.map((p) => p.cleanup?.recallBefore ?? 0)),
          recallAfter: mean(cleaned.map((p) => p.cleanup?.recallAfter ?? 0)),
        },
        pagesUnderHalf: records.filter((p) => p.recall < 0.5).length,
        worstPages: byRecall
          .slice(0, 10)
          .map((p) => ({ id: p.id, recall: round(p.recall, 3), measures: p.measures, cleaned: p.cleanup?.won !== undefined })),
      });
      pageRecords[engine.engine] = records.sort((a, b) => (a.id < b.id ? -1 : 1));
    } finally {
      await engine.close();
    }
  }

  const cli = args['no-native'] ? undefined : tesseractCli();
  const native = cli !== undefined && 'version' in cli ? `tesseract ${cli.version}` : undefined;
  if (native !== undefined) {
    const psm = args['native-psm'];
    const ocrNative = async (r: Receipt): Promise<PageText | Error> => {
      try {
        const { stdout } = await execFileAsync('tesseract', [r.imagePath, 'stdout', '--psm', psm, 'tsv'], {
          env: { ...process.env, OMP_THREAD_LIMIT: '1' },
          maxBuffer: 64 * 1024 * 1024,
        });
        return textFromTsv(stdout);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    };
    if (receipts[0] !== undefined) await ocrNative(receipts[0]);
    const start = performance.now();
    const cpuStart = cpuSeconds().children;
    const outputs = await mapLimit(receipts, concurrency, ocrNative);
    const cpuEnd = cpuSeconds().children;
    const cpu = cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart;
    runs.push(score(`native ${native} --psm ${psm}`, receipts, outputs, (performance.now() - start) / 1000, cpu));
  } else if (!args['no-native']) {
    console.log(
      `native tesseract not usable (${cli !== undefined && 'missing' in cli ? cli.missing : ''}; apt-get install -y tesseract-ocr tesseract-ocr-eng): peer skipped`,
    );
  }

  const header =
    '| engine | pages | pages/s | CPU s/page | word recall (exact) | word recall (normalised) | precision | CER | empty | near-empty | failed |';
  console.log(`\n${header}\n|${'---|'.repeat(11)}`);
  for (const r of runs) {
    console.log(
      `| ${r.engine} | ${r.pages} | ${r.pagesPerSecond} | ${r.cpuPerPage ?? '-'} | ${r.recallExact} | ${r.recallNormalised} | ${r.precisionExact} | ${r.cer} | ${r.emptyPages.length} | ${r.nearEmptyPages.length} | ${r.failedPages.length} |`,
    );
  }
  const local = runs[0];
  const peer = runs.find((r) => r.engine.startsWith('native '));
  const ratios =
    local !== undefined && peer !== undefined
      ? {
          speed: round(local.pagesPerSecond / peer.pagesPerSecond, 3),
          cpuSpeed: local.cpuPerPage === null || peer.cpuPerPage === null ? null : round(peer.cpuPerPage / local.cpuPerPage, 3),
          recallExact: round(local.recallExact / peer.recallExact, 3),
          cer: round(local.cer / peer.cer, 3),
        }
      : undefined;
  if (ratios !== undefined) {
    console.log(
      `\n${local?.engine} / native peer: speed ${ratios.speed}x (per CPU second: ${ratios.cpuSpeed ?? '-'}x), exact recall ${ratios.recallExact}x, CER ${ratios.cer}x (lower CER is better)`,
    );
  }
  for (const r of runs) {
    if (r.readings !== undefined) {
      console.log(
        `${r.engine}: ${r.readings.total} tesseract readings for ${r.pages} pages (${round(r.readings.total / Math.max(1, r.pages))} a page; the peer: 1); ${r.readings.enlargedPages} pages read enlarged`,
      );
    }
    if (r.secondReading !== undefined) {
      const { mode: m, pages, bandsOnly, recallBefore, recallAfter } = r.secondReading;
      console.log(
        `${r.engine}: second reading (${m}) on ${pages} of ${r.pages} pages (${bandsOnly} of them bands of rows alone); their normalised recall ${recallBefore} -> ${recallAfter}`,
      );
    }
  }
  for (const r of runs) {
    if (r.cleanup !== undefined) {
      const { mode: m, pages, won, recallBefore, recallAfter } = r.cleanup;
      console.log(
        `${r.engine}: clean-up (${m}) on ${pages} of ${r.pages} pages, the cleaned reading kept on ${won}; their normalised recall ${recallBefore} -> ${recallAfter}`,
      );
    }
    if (r.worstPages !== undefined) {
      console.log(`${r.engine}: ${r.pagesUnderHalf ?? 0} of ${r.pages} pages under 50% normalised word recall; the worst ten:`);
      for (const p of r.worstPages) {
        console.log(`  ${p.id}: ${p.recall}${p.cleaned ? ' (cleaned up)' : ''}; ${describeMeasures(p.measures)}`);
      }
    }
  }
  for (const r of runs) {
    if (r.emptyPages.length + r.nearEmptyPages.length + r.failedPages.length > 0) {
      console.log(
        `${r.engine}: empty ${JSON.stringify(r.emptyPages)}, near-empty ${JSON.stringify(r.nearEmptyPages)}, failed ${JSON.stringify(r.failedPages)}`,
      );
    }
  }
  const outFile = path.resolve(ROOT, process.env['BENCH_OUT'] ?? path.join('.doctrain', 'bench', 'ocr-quality.json'));
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(
    outFile,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, concurrency, datasetDir, runs, ratios, pageRecords }, null, 2)}\n`,
  );
  console.log(`\nwritten: ${path.relative(ROOT, outFile)}`);
};

await main();
