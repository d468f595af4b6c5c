/**
 * Alignment alone on real receipts, from OCR already done: a SROIE folder's key fields aligned onto the
 * OCR words an earlier run cached (`ocr-cache/<sha256>.json`, e.g. the local stage a `bench:sroie` run
 * left under .doctrain/bench/sroie-local/s3/doctrain-local/ocr-cache/, s3rver's `._S3rver_object` files
 * included). No OCR, no training: seconds, so an aligner change can be measured before and after on the
 * same words.
 *
 *   npx tsx bench/sroie-align.ts --ocr .doctrain/bench/sroie-local/s3/doctrain-local/ocr-cache [--dir ../shared/datasets/sroie-dev] [--locale en-MY]
 *
 * Prints, per field, the values aligned (of which found with OCR misreads tolerated) and the reasons of
 * the rest; `--out` writes the same as JSON.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { alignFields } from '../src/dataset/align';
import { readSroieFolder } from '../src/importers/sroie';
import { sha256 } from '../src/steps/ocr-batch/step';
import { localeSchema } from '../src/contracts/value-rules';
import { dateOrderForLocale } from '../src/dataset/value-words';
import { ocrDocumentSchema } from '../src/textract';

const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, ocr: { type: 'string' }, out: { type: 'string' }, locale: { type: 'string' } },
});
const dir = path.resolve(args.dir ?? path.join('..', 'shared', 'datasets', 'sroie-dev'));
if (args.ocr === undefined) throw new Error('--ocr <folder of ocr-cache/<sha256>.json objects> is required');
const ocrDir = path.resolve(args.ocr);
const dateOrder = dateOrderForLocale(args.locale === undefined ? undefined : localeSchema.parse(args.locale));

const ocrFile = (hash: string): string | undefined =>
  [`${hash}.json`, `${hash}.json._S3rver_object`].map((name) => path.join(ocrDir, name)).find((file) => existsSync(file));

const perField: Record<string, { annotated: number; aligned: number; ocrTolerant: number; reasons: Record<string, number> }> = {};
let documents = 0;
let withoutOcr = 0;
const started = Date.now();
for await (const doc of readSroieFolder(dir)) {
  const file = ocrFile(sha256(await readFile(doc.documentPath)));
  if (file === undefined) {
    withoutOcr++;
    continue;
  }
  documents++;
  const ocr = ocrDocumentSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const words = [...ocr.pages].sort((a, b) => a.page - b.page).flatMap((p) => p.words);
  const { spans, unaligned } = alignFields(words, doc.annotation.fields, dateOrder === undefined ? {} : { dateOrder });
  for (const field of Object.keys(doc.annotation.fields)) perField[field] ??= { annotated: 0, aligned: 0, ocrTolerant: 0, reasons: {} };
  for (const [field, value] of Object.entries(doc.annotation.fields)) {
    const entry = perField[field];
    if (entry !== undefined) entry.annotated += typeof value === 'string' ? 1 : value.length;
  }
  for (const span of spans) {
    const entry = perField[span.field];
    if (entry === undefined) continue;
    entry.aligned++;
    if (span.match === 'ocr_tolerant') entry.ocrTolerant++;
  }
  for (const miss of unaligned) {
    const entry = perField[miss.field];
    if (entry !== undefined) entry.reasons[miss.reason] = (entry.reasons[miss.reason] ?? 0) + 1;
  }
}
const percent = (part: number, whole: number): string => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);
console.log(
  `${documents} receipts aligned from ${ocrDir} (${withoutOcr} without cached OCR), ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
let all = 0;
let total = 0;
for (const [field, e] of Object.entries(perField).sort(([a], [b]) => (a < b ? -1 : 1))) {
  all += e.aligned;
  total += e.annotated;
  const reasons = Object.entries(e.reasons)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  console.log(
    `  ${field.padEnd(10)} ${e.aligned} / ${e.annotated}  ${percent(e.aligned, e.annotated)}; ${e.ocrTolerant} OCR-tolerant${reasons ? `; unaligned: ${reasons}` : ''}`,
  );
}
console.log(`  ${'all'.padEnd(10)} ${all} / ${total}  ${percent(all, total)}`);
if (args.out !== undefined) await writeFile(args.out, `${JSON.stringify({ documents, withoutOcr, perField }, null, 2)}\n`);
