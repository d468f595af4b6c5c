/**
 * THE benchmark on real receipts: a SROIE folder (`img/` + `key/` + `box/`) through the whole local
 * pipeline (local Textract: native tesseract where installed, else tesseract.js; dataset build, the `compact` trainer), fresh local AWS each
 * time (no OCR cache carried over), and what happened to every document.
 *
 *   npm run bench:sroie                                  all receipts of ../shared/datasets/sroie-dev
 *   npm run bench:sroie -- --limit 20 --seed 7           20 receipts drawn with seed 7
 *   npm run bench:sroie -- --dir /data/sroie --hyperparameters '{"epochs": 10}'
 *   npm run bench:sroie -- --locale en-MY                the documents' locale (execution input dataset.locale)
 *
 * Prints documents in, quarantined (with reasons), fields aligned / annotated per field, OCR word
 * recall and character error rate against the ground-truth lines in `box/` (when present), the same
 * alignment run on the `box/` ground-truth text (alignment without OCR errors), validation
 * entity F1 and time (OCR + dataset, training, total); writes the same figures as JSON to
 * `.doctrain/bench/sroie.json` (or --out). Exits 0 when the folder is absent (nothing to measure, says
 * so), 1 when the run did not complete. Times are wall clock on whatever the machine is doing: say
 * how loaded it was when quoting them.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startLocalPipeline } from '../local/pipeline';
import { mulberry32 } from '../local/synth/prng';
import type { ExecutionEvent } from '../local/stepfunctions';
import { getBytesIfExists } from '../src/aws/s3-objects';
import { alignFields } from '../src/dataset/align';
import { distance } from 'fastest-levenshtein';
import { compareStrings } from '../src/dataset/normalize';
import type { FieldsAnnotation } from '../src/contracts/annotation';
import { s3Sink, writeDocumentsLayout } from '../src/importers/documents-layout';
import { readSroieFolder } from '../src/importers/sroie';
import type { ImportedDocument as AnyImportedDocument } from '../src/importers/types';
import { sha256 } from '../src/steps/ocr-batch/step';
import { ocrDocumentSchema } from '../src/textract';
import { matchedWords, pageString, parseBoxCsv, type PageText } from './sroie-box';
import { datasetManifestSchema } from '../src/contracts/objects';
import { DEFAULT_DOCUMENTS_PREFIX, ocrCacheKey, runManifestKey, runPrefix } from '../src/contracts/s3-layout';

type ImportedDocument = AnyImportedDocument<FieldsAnnotation>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    hyperparameters: { type: 'string' },
    locale: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

const pick = <T extends { readonly id: string }>(items: readonly T[], limit: number | undefined, seed: number): T[] => {
  if (limit === undefined || limit >= items.length) return [...items];
  const random = mulberry32(seed); // the same receipts for `--limit N --seed S` on every machine
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  return shuffled.slice(0, limit).sort((a, b) => compareStrings(a.id, b.id));
};

const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const percent = (part: number, whole: number): string => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`);

/** The ground truth of a SROIE `box/NNN.csv`, or undefined without one. */
const readBoxText = async (file: string): Promise<PageText | undefined> =>
  existsSync(file) ? parseBoxCsv(await readFile(file, 'utf8')) : undefined;

interface OcrQuality {
  documents: number;
  groundTruthWords: number;
  wordsFound: number;
  wordRecall: number;
  characterErrorRate: number;
}

/**
 * Word recall: share of ground-truth words (whitespace tokens of box/ transcripts) that the OCR produced,
 * as a multiset, exact text. CER: edit distance between the page texts (OCR words in reading order,
 * ground-truth lines top to bottom, single spaces) over the ground-truth length; so reading-order
 * differences count as errors too.
 */
const measureOcr = async (
  documents: readonly ImportedDocument[],
  boxDir: string,
  readOcrWords: (doc: ImportedDocument) => Promise<string[] | undefined>,
): Promise<OcrQuality | undefined> => {
  let measured = 0;
  let truthWords = 0;
  let found = 0;
  let edits = 0;
  let truthChars = 0;
  for (const doc of documents) {
    const truth = await readBoxText(path.join(boxDir, `${doc.id}.csv`));
    const ocrWords = await readOcrWords(doc);
    if (truth === undefined || ocrWords === undefined) continue;
    measured++;
    found += matchedWords(truth.words, ocrWords);
    truthWords += truth.words.length;
    const truthText = pageString(truth.lines);
    edits += distance(pageString(ocrWords), truthText);
    truthChars += truthText.length;
  }
  if (measured === 0) return undefined;
  return {
    documents: measured,
    groundTruthWords: truthWords,
    wordsFound: found,
    wordRecall: Number((found / Math.max(1, truthWords)).toFixed(4)),
    characterErrorRate: Number((edits / Math.max(1, truthChars)).toFixed(4)),
  };
};

/**
 * Alignment alone, without OCR errors: the annotation aligned onto the ground-truth words of `box/`
 * (its lines top to bottom, split at spaces). Separates what alignment loses from what OCR loses.
 */
const alignOnGroundTruth = async (
  documents: readonly ImportedDocument[],
  boxDir: string,
): Promise<{ documents: number; fields: Record<string, { aligned: number; annotated: number }> } | undefined> => {
  let measured = 0;
  const fields: Record<string, { aligned: number; annotated: number }> = {};
  for (const doc of documents) {
    const truth = await readBoxText(path.join(boxDir, `${doc.id}.csv`));
    if (truth === undefined) continue;
    measured++;
    const words = truth.words.map((text) => ({ text }));
    const alignment = alignFields(words, doc.annotation.fields);
    for (const field of Object.keys(doc.annotation.fields)) fields[field] ??= { aligned: 0, annotated: 0 };
    for (const span of alignment.spans) (fields[span.field] as { aligned: number }).aligned++;
    for (const [field, value] of Object.entries(doc.annotation.fields)) {
      (fields[field] as { annotated: number }).annotated += typeof value === 'string' ? 1 : value.length;
    }
  }
  return measured === 0 ? undefined : { documents: measured, fields };
};

const main = async (): Promise<number> => {
  const dir = path.resolve(ROOT, args.dir ?? process.env['DOCTRAIN_SROIE_DIR'] ?? path.join('..', 'shared', 'datasets', 'sroie-dev'));
  if (!existsSync(dir)) {
    console.log(`bench:sroie skipped: no SROIE folder at ${dir} (pass --dir or set DOCTRAIN_SROIE_DIR; it needs img/ and key/)`);
    return 0;
  }
  const limit = args.limit === undefined ? undefined : Number(args.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 2)) throw new Error(`--limit must be an integer >= 2, got ${args.limit}`);
  const seed = Number(args.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${args.seed}`);
  const hyperparameters = z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .parse(args.hyperparameters === undefined ? {} : JSON.parse(args.hyperparameters));
  const outFile = path.resolve(ROOT, args.out ?? path.join('.doctrain', 'bench', 'sroie.json'));
  const dataDir = path.resolve(ROOT, args['data-dir'] ?? path.join('.doctrain', 'bench', 'sroie-local'));

  const skipped: { path: string; reason: string }[] = [];
  const all: ImportedDocument[] = [];
  for await (const doc of readSroieFolder(dir, { onSkip: (item, reason) => skipped.push({ path: item, reason }) })) all.push(doc);
  const documents = pick(all, limit, seed);
  const annotated: Record<string, number> = {};
  for (const doc of documents) {
    for (const field of Object.keys(doc.annotation.fields)) annotated[field] = (annotated[field] ?? 0) + 1;
  }
  console.log(
    `SROIE folder ${dir}: ${all.length} receipts with key fields, measuring ${documents.length}${limit === undefined ? '' : ` (seed ${seed})`}`,
  );
  for (const entry of skipped) console.log(`  skipped ${entry.path}: ${entry.reason}`);

  // A fresh local AWS: S3 (with its OCR cache) and the run table start empty, so OCR is measured. The
  // stage is kept on disk afterwards (run records included), so `doctrain report|status|logs` read the run.
  await rm(dataDir, { recursive: true, force: true });
  const started = Date.now();
  const pipeline = await startLocalPipeline({ root: ROOT, dataDir, stage: 'local', waitMs: 1000, persistent: true });
  try {
    const s3 = pipeline.services.clients.s3;
    const bucket = pipeline.services.bucket;
    await writeDocumentsLayout(documents, s3Sink(s3, bucket, DEFAULT_DOCUMENTS_PREFIX));
    const uploaded = Date.now();
    console.log(`uploaded ${documents.length} receipts in ${seconds(uploaded - started)} (local AWS start included)`);

    const runId = `bench-sroie-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    const entered = new Map<string, number>();
    const onEvent = (event: ExecutionEvent): void => {
      if (event.type === 'StateEntered' && event.stateName && !entered.has(event.stateName)) {
        entered.set(event.stateName, event.timestamp);
        console.log(`[${seconds(Date.now() - started).padStart(8)}] -> ${event.stateName}`);
      }
    };
    const outcome = await pipeline.execute(
      {
        runId,
        trigger: 'local',
        training: { hyperparameters: { seed, ...hyperparameters } },
        ...(args.locale !== undefined && { dataset: { locale: args.locale } }),
      },
      { executionName: runId, onEvent },
    );
    const finished = Date.now();
    const { record } = await pipeline.runRecord(runId);
    const manifestBytes = await getBytesIfExists(s3, { bucket, key: runManifestKey(runPrefix(runId)) });
    const manifest =
      manifestBytes === undefined ? undefined : datasetManifestSchema.parse(JSON.parse(Buffer.from(manifestBytes).toString('utf8')));
    const metrics = record?.metrics ?? {};
    const fieldExact = Object.fromEntries(
      Object.entries(metrics)
        .filter(([name]) => name.startsWith('val_exact_'))
        .map(([name, value]) => [name.slice('val_exact_'.length), value]),
    );

    // Fields: aligned per field over the dataset's documents (manifest), and over every document in
    // (a quarantined document's fields count as not aligned).
    type FieldFigures = { annotatedAll: number; annotatedInDataset: number; aligned: number; ocrTolerant: number };
    const perField: Record<string, FieldFigures> = {};
    for (const [field, count] of Object.entries(annotated)) {
      const entity = manifest?.entityCounts[field.toUpperCase()];
      perField[field] = {
        annotatedAll: count,
        annotatedInDataset: entity === undefined ? 0 : entity.aligned + entity.unaligned,
        aligned: entity?.aligned ?? 0,
        ocrTolerant: entity?.ocrTolerant ?? 0,
      };
    }
    const totals = Object.values(perField).reduce<FieldFigures>(
      (sum, f) => ({
        annotatedAll: sum.annotatedAll + f.annotatedAll,
        annotatedInDataset: sum.annotatedInDataset + f.annotatedInDataset,
        aligned: sum.aligned + f.aligned,
        ocrTolerant: sum.ocrTolerant + f.ocrTolerant,
      }),
      { annotatedAll: 0, annotatedInDataset: 0, aligned: 0, ocrTolerant: 0 },
    );

    const ocr = await measureOcr(documents, path.join(dir, 'box'), async (doc) => {
      const bytes = await readFile(doc.documentPath);
      const cached = await getBytesIfExists(s3, { bucket, key: ocrCacheKey(sha256(bytes)) });
      if (cached === undefined) return undefined;
      const parsed = ocrDocumentSchema.parse(JSON.parse(Buffer.from(cached).toString('utf8')));
      return parsed.pages.flatMap((page) => page.words.map((word) => word.text));
    });

    const groundTruth = await alignOnGroundTruth(documents, path.join(dir, 'box'));

    const prepStart = entered.get('PlanBatches');
    const trainStart = entered.get('CreateTrainingJob');
    const trainEnd = entered.get('FinalizeRun');
    const figures = {
      dir,
      limit: limit ?? null,
      seed,
      runId,
      execution: outcome.status,
      runStatus: record?.status ?? null,
      failure: outcome.status === 'FAILED' ? `${outcome.error}: ${outcome.cause}` : null,
      documentsIn: documents.length,
      documentsInDataset: manifest?.counts.documents ?? null,
      quarantined: manifest?.quarantined ?? null,
      fields: perField,
      fieldsTotal: totals,
      unaligned: manifest?.unaligned ?? null,
      ocr: ocr ?? null,
      alignmentOnGroundTruth: groundTruth ?? null,
      validation: {
        f1: metrics['val_f1'] ?? null,
        precision: metrics['val_precision'] ?? null,
        recall: metrics['val_recall'] ?? null,
        // SROIE task 3: the extracted value equals the annotated one after normalisation, per field.
        fieldExact: metrics['val_field_exact'] ?? null,
        fieldExactPerField: fieldExact,
      },
      timeMs: {
        ocrAndDataset: prepStart !== undefined && trainStart !== undefined ? trainStart - prepStart : null,
        training: trainStart !== undefined && trainEnd !== undefined ? trainEnd - trainStart : null,
        total: finished - started,
      },
    };
    await mkdir(path.dirname(outFile), { recursive: true });
    await writeFile(outFile, `${JSON.stringify(figures, null, 2)}\n`);

    console.log('\n=== SROIE benchmark ===');
    console.log(`run:                 ${runId}: execution ${outcome.status}, run ${record?.status ?? 'no record'}`);
    if (figures.failure) console.log(`failure:             ${figures.failure}`);
    console.log(`documents in:        ${documents.length}`);
    console.log(`quarantined:         ${manifest === undefined ? '- (no dataset manifest)' : manifest.quarantined.length}`);
    for (const entry of manifest?.quarantined ?? []) console.log(`  ${entry.documentKey} [${entry.stage ?? '-'}]: ${entry.reason}`);
    console.log(
      'fields aligned / annotated (in the dataset; over every document in; of the aligned, how many with OCR misreads tolerated):',
    );
    for (const [field, f] of [...Object.entries(perField), ['all', totals] as const]) {
      console.log(
        `  ${field.padEnd(10)} ${`${f.aligned} / ${f.annotatedInDataset}`.padStart(11)} ${percent(f.aligned, f.annotatedInDataset).padStart(7)};  ${`${f.aligned} / ${f.annotatedAll}`.padStart(11)} ${percent(f.aligned, f.annotatedAll).padStart(7)};  ${String(f.ocrTolerant).padStart(4)} OCR-tolerant`,
      );
    }
    if (ocr) {
      console.log(
        `OCR vs box/:         word recall ${(100 * ocr.wordRecall).toFixed(1)}% (${ocr.wordsFound} / ${ocr.groundTruthWords} words), CER ${(100 * ocr.characterErrorRate).toFixed(1)}% over ${ocr.documents} receipts`,
      );
    } else {
      console.log('OCR vs box/:         - (no box/ ground truth or no OCR results)');
    }
    if (groundTruth) {
      const entries = Object.entries(groundTruth.fields);
      const aligned = entries.reduce((n, [, f]) => n + f.aligned, 0);
      const annotatedAll = entries.reduce((n, [, f]) => n + f.annotated, 0);
      console.log(
        `alignment on box/:   ${entries.map(([field, f]) => `${field} ${f.aligned}/${f.annotated}`).join(', ')}; all ${aligned}/${annotatedAll} ${percent(aligned, annotatedAll)} (the same alignment on the ground-truth text: what OCR errors cost is the difference)`,
      );
    }
    const exactLine = Object.entries(fieldExact)
      .map(([field, value]) => `${field} ${value.toFixed(3)}`)
      .join(', ');
    console.log(`field exact match:   ${metrics['val_field_exact']?.toFixed(4) ?? '-'} (${exactLine || 'no per-field metrics'})`);
    console.log(
      `validation F1:       ${metrics['val_f1']?.toFixed(4) ?? '-'} (precision ${metrics['val_precision']?.toFixed(4) ?? '-'}, recall ${metrics['val_recall']?.toFixed(4) ?? '-'})`,
    );
    console.log(
      `time:                OCR + dataset ${seconds(figures.timeMs.ocrAndDataset ?? undefined)}, training ${seconds(figures.timeMs.training ?? undefined)}, total ${seconds(figures.timeMs.total)} (wall clock, under whatever load the machine had)`,
    );
    console.log(`figures:             ${path.relative(ROOT, outFile)}`);
    console.log(`report:              npm run doctrain -- report ${runId} --data-dir ${path.relative(ROOT, dataDir)}`);
    return record?.status === 'COMPLETED' ? 0 : 1;
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
