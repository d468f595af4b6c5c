/**
 * Textract JSON -> words in reading order, against a real peer: doctrain's conversion
 * (`blocksToOcrDocument`, src/textract/) beside `amazon-textract-response-parser` (TRP, the parser AWS
 * publishes) walking the same responses: `TextractDocument` -> pages -> `getLineClustersInReadingOrder()`
 * -> words with their boxes. Both end in the same records per page: words[] and bboxes[] (0..1000).
 *
 *   npm run bench:peer                       sizes 1, 300 and 3000 pages
 *   BENCH_PEER_SIZES=1,300 npm run bench:peer
 *
 * Responses: the real responses in test/fixtures/textract/ (their PAGE/LINE/WORD blocks, i.e. what
 * DetectDocumentText / GetDocumentTextDetection return) replicated page by page with fresh Ids and page
 * numbers. Size 1 is every distinct fixture page as its own one-page response (12 responses).
 *
 * Every (converter, size) runs in its own child process, one after the other in the same run, so each
 * peak is clean: after building the input and a GC, the child resets the kernel's peak-RSS mark
 * (/proc/self/clear_refs, Linux) and reads VmHWM after one conversion; "peak" is that mark minus the RSS
 * before it. Throughput: a cold pass, a warm-up of BENCH_PEER_WARMUP_MS (default 1000 ms; none from 1,000
 * pages), then timed repetitions for at least BENCH_PEER_MIN_MS (default
 * 1500 ms, at least 3; from 1,000 pages at least 1), median; BENCH_PEER_ROUNDS (default 3; from 1,000 pages 1)
 * alternating rounds of fresh processes, median. The first (cold) call is reported too: what a Lambda that converts one response
 * per process pays. Nothing asserts a time; the only check is that both emit the same words.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { collectGarbage } from './gc';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SCRIPT), '..');
const FIXTURE_DIR = path.join(ROOT, 'test', 'fixtures', 'textract');
const OUT_FILE = path.resolve(ROOT, process.env['BENCH_OUT'] ?? path.join('.doctrain', 'bench', 'peer.json'));
const SIZES = (process.env['BENCH_PEER_SIZES'] ?? '1,300,3000').split(',').map(Number);
const MIN_MS = Number(process.env['BENCH_PEER_MIN_MS'] ?? 1500);
const ROUNDS = Number(process.env['BENCH_PEER_ROUNDS'] ?? 3);
const WARMUP_MS = Number(process.env['BENCH_PEER_WARMUP_MS'] ?? 1000);
/** Large responses take seconds a pass: one round and one timed pass after the cold one are enough. */
const LARGE = 1000;
const roundsFor = (size: number): number => (size >= LARGE ? 1 : ROUNDS);
const minPasses = (size: number): number => (size >= LARGE ? 1 : 3);
const MiB = 1024 * 1024;
const IMPLS = ['doctrain', 'trp', 'baseline'] as const;
type Impl = (typeof IMPLS)[number];
/**
 * Optional third converter: another checkout's `src/textract/document.ts` (e.g. the commit before a change),
 * run in the same alternating rounds, so a before/after comparison sees the same machine load.
 */
const BASELINE = process.env['BENCH_PEER_BASELINE'];
const ACTIVE: readonly Impl[] = BASELINE === undefined ? ['doctrain', 'trp'] : ['doctrain', 'trp', 'baseline'];

interface RawBlock {
  BlockType?: string;
  Id?: string;
  Page?: number;
  Relationships?: { Type?: string; Ids?: string[] }[];
  [key: string]: unknown;
}
interface Response {
  DocumentMetadata: { Pages: number };
  Blocks: RawBlock[];
}
interface PageRecord {
  page: number;
  words: string[];
  bboxes: [number, number, number, number][];
}

// ---------------------------------------------------------------------------------------------------------
// Input: real fixture pages, replicated with fresh Ids
// ---------------------------------------------------------------------------------------------------------

const TEXT_BLOCKS = new Set(['PAGE', 'LINE', 'WORD']);

/** Each fixture page's PAGE/LINE/WORD blocks, in fixture (file name) then page order. */
const loadSourcePages = (): RawBlock[][] => {
  const pages: RawBlock[][] = [];
  for (const name of readdirSync(FIXTURE_DIR)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const blocks = (JSON.parse(readFileSync(path.join(FIXTURE_DIR, name), 'utf8')) as { Blocks: RawBlock[] }).Blocks;
    const byPage = new Map<number, RawBlock[]>();
    for (const block of blocks) {
      if (!TEXT_BLOCKS.has(block.BlockType ?? '')) continue;
      const page = block.Page ?? 1;
      byPage.set(page, [...(byPage.get(page) ?? []), block]);
    }
    for (const page of [...byPage.keys()].sort((a, b) => a - b)) pages.push(byPage.get(page) ?? []);
  }
  return pages;
};

/** One page's blocks as page `pageNumber` of a new response: fresh Ids, only text relationships kept. */
const replicatePage = (source: readonly RawBlock[], pageNumber: number): RawBlock[] => {
  const prefix = pageNumber.toString(16).padStart(8, '0');
  const fresh = (id: string): string => `${prefix}${id.slice(8)}`;
  const kept = new Set(source.map((block) => block.Id));
  return source.map((block) => {
    const copy = structuredClone(block);
    copy.Page = pageNumber;
    if (copy.Id !== undefined) copy.Id = fresh(copy.Id);
    const relationships = (copy.Relationships ?? [])
      .filter((rel) => rel.Type === 'CHILD')
      .map((rel) => ({ Type: 'CHILD', Ids: (rel.Ids ?? []).filter((id) => kept.has(id)).map(fresh) }))
      .filter((rel) => rel.Ids.length > 0);
    if (relationships.length > 0) copy.Relationships = relationships;
    else delete copy.Relationships;
    return copy;
  });
};

/** Size 1: every source page as its own response. Size N: one response of N pages (sources cycled). */
const buildResponses = (size: number): Response[] => {
  const sources = loadSourcePages();
  if (size === 1) return sources.map((page) => ({ DocumentMetadata: { Pages: 1 }, Blocks: replicatePage(page, 1) }));
  const blocks: RawBlock[] = [];
  for (let i = 0; i < size; i++) for (const block of replicatePage(sources[i % sources.length] ?? [], i + 1)) blocks.push(block);
  return [{ DocumentMetadata: { Pages: size }, Blocks: blocks }];
};

// ---------------------------------------------------------------------------------------------------------
// The two converters, both to the same records
// ---------------------------------------------------------------------------------------------------------

const toUnit = (v: number): number => Math.min(1000, Math.max(0, Math.round(v * 1000)));

const loadConverter = async (impl: Impl): Promise<(response: Response) => PageRecord[]> => {
  if (impl === 'doctrain' || impl === 'baseline') {
    const { blocksToOcrDocument } = (
      impl === 'baseline' && BASELINE !== undefined ? await import(path.resolve(BASELINE)) : await import('../src/textract/document')
    ) as typeof import('../src/textract/document');
    return (response) =>
      blocksToOcrDocument(response.Blocks).pages.map((page) => ({
        page: page.page,
        words: page.words.map((word) => word.text),
        bboxes: page.words.map((word) => word.box),
      }));
  }
  const { TextractDocument } = await import('amazon-textract-response-parser');
  return (response) =>
    new TextractDocument(response as never).listPages().map((page, index) => {
      const record: PageRecord = { page: index + 1, words: [], bboxes: [] };
      for (const cluster of page.getLineClustersInReadingOrder()) {
        for (const line of cluster) {
          for (const word of line.listWords()) {
            const bb = word.geometry.boundingBox;
            record.words.push(word.text);
            record.bboxes.push([toUnit(bb.left), toUnit(bb.top), toUnit(bb.left + bb.width), toUnit(bb.top + bb.height)]);
          }
        }
      }
      return record;
    });
};

// ---------------------------------------------------------------------------------------------------------
// Child: one converter, one size
// ---------------------------------------------------------------------------------------------------------

const procStatusKiB = (field: 'VmRSS' | 'VmHWM'): number | undefined => {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
};

/** Resets the kernel's peak-RSS mark of this process (Linux >= 4.0); false where that is not possible. */
const resetPeakRss = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

/** Speed: cold first call, then timed repetitions (median). */
const speedChild = async (impl: Impl, size: number) => {
  const responses = buildResponses(size);
  const pages = responses.reduce((sum, r) => sum + r.DocumentMetadata.Pages, 0);
  const loadStart = performance.now();
  const convert = await loadConverter(impl);
  const moduleLoadMs = performance.now() - loadStart;
  const convertAll = (): PageRecord[][] => responses.map((response) => convert(response));

  collectGarbage();
  // Cold: the first conversion in a fresh process (module code not yet optimised).
  const coldStart = performance.now();
  const first = convertAll();
  const coldMs = performance.now() - coldStart;
  const words = first.flat().reduce((sum, record) => sum + record.words.length, 0);

  // Warm-up (small responses only): let the JIT optimise both converters before timing them.
  const warmupStart = performance.now();
  while (size < LARGE && performance.now() - warmupStart < WARMUP_MS) convertAll();

  const times: number[] = [];
  const timedStart = performance.now();
  while (times.length < minPasses(size) || performance.now() - timedStart < MIN_MS) {
    const start = performance.now();
    const out = convertAll();
    times.push(performance.now() - start);
    if (out.length !== responses.length) throw new Error('unreachable');
  }
  const msPerPass = median(times);
  return {
    impl,
    size,
    responses: responses.length,
    pages,
    words,
    moduleLoadMs,
    coldMs,
    msPerPass,
    passes: times.length,
    pagesPerSecond: (pages * 1000) / msPerPass,
  };
};

/**
 * Memory: in a fresh process, after the input is built and a GC, the kernel's peak-RSS mark is reset and
 * one conversion runs (its output kept); peak = the mark minus the RSS before. Heap growth: heap used
 * after minus before, no GC in between (output + the conversion's garbage not yet collected).
 */
const memoryChild = async (impl: Impl, size: number) => {
  const responses = buildResponses(size);
  const convert = await loadConverter(impl);
  collectGarbage();
  collectGarbage();
  const rssBefore = procStatusKiB('VmRSS');
  const heapBefore = process.memoryUsage().heapUsed;
  const reset = resetPeakRss();
  const kept = responses.map((response) => convert(response));
  const hwm = procStatusKiB('VmHWM');
  const heapAfter = process.memoryUsage().heapUsed;
  if (kept.length !== responses.length) throw new Error('unreachable');
  return {
    impl,
    size,
    peakRssDeltaMiB: reset && rssBefore !== undefined && hwm !== undefined ? (hwm - rssBefore) / 1024 : undefined,
    heapGrowthMiB: (heapAfter - heapBefore) / MiB,
    inputRssMiB: rssBefore === undefined ? undefined : rssBefore / 1024,
  };
};

type SpeedResult = Awaited<ReturnType<typeof speedChild>>;
type MemoryResult = Awaited<ReturnType<typeof memoryChild>>;

// ---------------------------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------------------------

const runChild = <R>(mode: 'speed' | 'memory', impl: Impl, size: number): R => {
  const args = [...process.execArgv, '--expose-gc', '--max-old-space-size=8192', SCRIPT, 'child', mode, impl, String(size)];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * MiB });
  if (result.status !== 0) throw new Error(`child ${mode} ${impl} ${size} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as R;
};

const fmt = (value: number | undefined, digits = 1): string =>
  value === undefined ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface ImplSummary {
  pagesPerSecond: number;
  rounds: number[];
  coldMs: number;
  moduleLoadMs: number;
  memory: MemoryResult;
}
interface Row {
  size: number;
  pages: number;
  responses: number;
  words: number;
  results: Partial<Record<Impl, ImplSummary>>;
}

const main = async (): Promise<number> => {
  const rows: Row[] = [];
  const problems: string[] = [];
  for (const size of SIZES) {
    const speed: Record<Impl, SpeedResult[]> = { doctrain: [], trp: [], baseline: [] };
    // Alternate the converters, round after round, so drift in the machine's load hits them alike.
    for (let round = 0; round < roundsFor(size); round++) {
      for (const impl of ACTIVE) speed[impl].push(runChild<SpeedResult>('speed', impl, size));
    }
    const results: Partial<Record<Impl, ImplSummary>> = {};
    for (const impl of ACTIVE) {
      const first = speed[impl][0] as SpeedResult;
      const reference = speed.doctrain[0] as SpeedResult;
      if (first.words !== reference.words) problems.push(`size ${size}: ${impl} emits ${first.words} words, doctrain ${reference.words}`);
      results[impl] = {
        pagesPerSecond: median(speed[impl].map((r) => r.pagesPerSecond)),
        rounds: speed[impl].map((r) => Math.round(r.pagesPerSecond)),
        coldMs: median(speed[impl].map((r) => r.coldMs)),
        moduleLoadMs: median(speed[impl].map((r) => r.moduleLoadMs)),
        memory: runChild<MemoryResult>('memory', impl, size),
      };
    }
    const reference = speed.doctrain[0] as SpeedResult;
    rows.push({ size, pages: reference.pages, responses: reference.responses, words: reference.words, results });
    console.error(`size ${size}: ${ACTIVE.map((impl) => `${impl} ${fmt(results[impl]?.pagesPerSecond)} pages/s`).join(', ')}`);
  }
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a === undefined || b === undefined || b <= 0 ? 'n/a' : `${fmt(a / b, 2)}x`;
  const doctrainVariants = ACTIVE.filter((impl) => impl !== 'trp');
  const name = (impl: Impl): string => (impl === 'baseline' ? 'baseline (BENCH_PEER_BASELINE)' : impl);
  const lines = ['### Textract JSON -> words in reading order vs amazon-textract-response-parser (TRP)', ''];
  for (const impl of doctrainVariants) {
    lines.push(
      `#### ${name(impl)} vs TRP`,
      '',
      `| pages | words | ${impl} pages/s | TRP pages/s | speed ratio | ${impl} peak MiB | TRP peak MiB | memory ratio | ${impl} load + cold ms | TRP load + cold ms |`,
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => {
        const d = r.results[impl] as ImplSummary;
        const t = r.results.trp as ImplSummary;
        const label = r.responses > 1 ? `1 (${r.responses} responses)` : String(r.pages);
        return `| ${label} | ${r.words} | ${fmt(d.pagesPerSecond)} | ${fmt(t.pagesPerSecond)} | ${ratio(d.pagesPerSecond, t.pagesPerSecond)} | ${fmt(d.memory.peakRssDeltaMiB)} | ${fmt(t.memory.peakRssDeltaMiB)} | ${ratio(t.memory.peakRssDeltaMiB, d.memory.peakRssDeltaMiB)} | ${fmt(d.moduleLoadMs)} + ${fmt(d.coldMs)} | ${fmt(t.moduleLoadMs)} + ${fmt(t.coldMs)} |`;
      }),
      '',
    );
  }
  lines.push(
    `pages/s: median of ${ROUNDS} alternating rounds (1 from ${LARGE} pages), each a fresh process; per round: ${rows
      .map((r) => `${r.pages}p ${ACTIVE.map((impl) => `${impl} ${r.results[impl]?.rounds.join('/') ?? ''}`).join(', ')}`)
      .join('; ')}.`,
    'speed ratio: doctrain pages/s over TRP pages/s (> 1: doctrain faster). memory ratio: TRP peak over doctrain peak (> 1: doctrain',
    'smaller). Peak: resident memory above the input while converting once in a fresh process (kernel peak-RSS mark).',
    `Load: importing the converter's modules; cold: its first conversion in that fresh process (what a Lambda converting one response pays). Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}.`,
    problems.length === 0
      ? 'All converters emit the same number of words at every size.'
      : problems.map((p) => `CHECK FAILED: ${p}`).join('\n'),
  );
  console.log(lines.join('\n'));
  await mkdir(path.dirname(OUT_FILE), { recursive: true });
  writeFileSync(
    OUT_FILE,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows, problems }, null, 2)}\n`,
  );
  console.log(`results: ${OUT_FILE}`);
  return problems.length === 0 ? 0 : 1;
};

if (process.argv[2] === 'child') {
  const [mode, impl, size] = process.argv.slice(3);
  if (!IMPLS.includes(impl as Impl)) throw new Error(`unknown converter ${impl}`);
  const run = mode === 'memory' ? memoryChild : speedChild;
  console.log(JSON.stringify(await run(impl as Impl, Number(size))));
} else {
  process.exitCode = await main();
}
