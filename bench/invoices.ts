/**
 * Real invoices (bench/invoice-set.ts: invoice2data's comparison PDFs, fields as an ERP exports them)
 * through the local Textract (the asynchronous API the pipeline uses for PDFs: every page rendered and
 * read) and the dataset builder's aligner: how many annotated values are found on the page, per field and
 * per language, and why the others are not.
 *
 *   npm run bench:invoices [-- --locale de-DE] [--out result.json] [--cache .doctrain/bench/invoices]
 *
 * The set is fetched from PyPI on the first run (a network connection to pypi.org is needed once).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { distance } from 'fastest-levenshtein';
import { TextractClient } from '@aws-sdk/client-textract';
import { localClientConfig, localS3Config } from '../local/clients';
import { startLocalS3 } from '../local/s3';
import { startLocalTextract } from '../local/textract';
import { createS3Client } from '../src/aws/s3-client';
import { localeSchema } from '../src/contracts/value-rules';
import { alignFields, type UnalignedField } from '../src/dataset/align';
import { dateOrderForLocale } from '../src/dataset/value-words';
import { getTextDetection, startTextDetection } from '../src/textract/api';
import { TextractLimiter } from '../src/textract/throughput';
import { loadInvoiceSet } from './invoice-set';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUCKET = 'invoices';

const { values: args } = parseArgs({
  options: { locale: { type: 'string' }, out: { type: 'string' }, cache: { type: 'string' } },
});
const dateOrder = dateOrderForLocale(args.locale === undefined ? undefined : localeSchema.parse(args.locale));
const invoices = await loadInvoiceSet(path.resolve(ROOT, args.cache ?? path.join('.doctrain', 'bench', 'invoices')));

interface Tally {
  annotated: number;
  aligned: number;
  reasons: Record<string, number>;
}
const tally = (): Tally => ({ annotated: 0, aligned: 0, reasons: {} });
const perField: Record<string, Tally> = {};
const perLanguage: Record<string, Tally> = {};
const misses: { invoice: string; language: string; miss: UnalignedField; closest: string }[] = [];

/** The run of 1-4 consecutive OCR words closest to `value` (edit distance): what the page has instead. */
const closestWords = (words: readonly { text: string }[], value: string): string => {
  let best = { text: '', cost: Number.POSITIVE_INFINITY };
  for (let start = 0; start < words.length; start++) {
    for (let count = 1; count <= 4 && start + count <= words.length; count++) {
      const text = words
        .slice(start, start + count)
        .map((word) => word.text)
        .join(' ');
      const cost = distance(text, value);
      if (cost < best.cost) best = { text, cost };
    }
  }
  return best.text;
};

const storage = await mkdtemp(path.join(os.tmpdir(), 'doctrain-invoices-'));
const s3Server = await startLocalS3({ directory: storage, buckets: [BUCKET] });
const s3 = createS3Client(localS3Config(s3Server.endpoint));
const textractServer = await startLocalTextract({ s3 });
const textract = new TextractClient(localClientConfig(textractServer.endpoint));
const limiter = new TextractLimiter({
  DetectDocumentText: 50,
  AnalyzeDocument: 50,
  StartDocumentTextDetection: 50,
  GetDocumentTextDetection: 50,
});
const started = Date.now();
let pages = 0;
try {
  for (const invoice of invoices) {
    const key = `${invoice.id}.pdf`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(invoice.pdfPath) }));
    const jobId = await startTextDetection(textract, { bucket: BUCKET, key }, invoice.id, limiter);
    let result = await getTextDetection(textract, jobId, key, limiter);
    while (result.status === 'IN_PROGRESS') {
      await sleep(200);
      result = await getTextDetection(textract, jobId, key, limiter);
    }
    if (result.status === 'FAILED') throw new Error(`${invoice.id}: the local Textract failed: ${result.message}`);
    pages += result.pages;
    const words = [...result.document.pages].sort((a, b) => a.page - b.page).flatMap((page) => page.words);
    const { spans, unaligned } = alignFields(words, invoice.fields, dateOrder === undefined ? {} : { dateOrder });
    const language = (perLanguage[invoice.language] ??= tally());
    for (const field of Object.keys(invoice.fields)) {
      (perField[field] ??= tally()).annotated += 1;
      language.annotated += 1;
    }
    const found = new Set(spans.map((span) => span.field));
    for (const field of found) {
      (perField[field] ??= tally()).aligned += 1;
      language.aligned += 1;
    }
    for (const miss of unaligned) {
      const field = (perField[miss.field] ??= tally());
      field.reasons[miss.reason] = (field.reasons[miss.reason] ?? 0) + 1;
      language.reasons[miss.reason] = (language.reasons[miss.reason] ?? 0) + 1;
      misses.push({ invoice: invoice.id, language: invoice.language, miss, closest: closestWords(words, miss.value) });
    }
  }
} finally {
  textract.destroy();
  s3.destroy();
  await textractServer.close();
  await s3Server.close();
  await rm(storage, { recursive: true, force: true });
}

const percent = (part: number, whole: number): string => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);
const line = (name: string, t: Tally): string => {
  const reasons = Object.entries(t.reasons)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `  ${name.padEnd(16)} ${String(t.aligned).padStart(3)} / ${String(t.annotated).padEnd(3)} ${percent(t.aligned, t.annotated).padStart(6)}${reasons === '' ? '' : `; unaligned: ${reasons}`}`;
};
const all = Object.values(perField).reduce(
  (sum, t) => ({ annotated: sum.annotated + t.annotated, aligned: sum.aligned + t.aligned, reasons: {} }),
  tally(),
);
console.log(
  `${invoices.length} real invoices (${pages} pages) OCR'd by the local Textract (${textractServer.engine}) and aligned${args.locale === undefined ? '' : ` with locale ${args.locale}`}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
console.log('per field:');
for (const [field, t] of Object.entries(perField).sort(([a], [b]) => (a < b ? -1 : 1))) console.log(line(field, t));
console.log('per language:');
for (const [language, t] of Object.entries(perLanguage).sort(([a], [b]) => (a < b ? -1 : 1))) console.log(line(language, t));
console.log(line('all', all));
if (misses.length > 0) {
  console.log('not aligned:');
  for (const { invoice, language, miss, closest } of misses) {
    console.log(
      `  ${invoice} [${language}] ${miss.field} = ${JSON.stringify(miss.value)}: ${miss.reason} (closest words on the page: ${JSON.stringify(closest)})`,
    );
  }
}
if (args.out !== undefined) {
  await writeFile(args.out, `${JSON.stringify({ invoices: invoices.length, pages, perField, perLanguage, misses }, null, 2)}\n`);
}
