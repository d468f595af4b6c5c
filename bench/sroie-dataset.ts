/**
 * Real receipts -> a doctrain dataset, the way the pipeline builds one, for measuring the trainer on real
 * documents: every `img/NNN.jpg` of a SROIE-format folder is OCR'd by the local Textract's engine
 * (`local/textract/ocr.ts`), converted with `src/textract` (upright frame, reading order) and, with its
 * annotation `{"schemaVersion": 1, "fields": key/NNN.json}`, built into train/validation shards with
 * `src/dataset` (alignment, the pipeline's split and its default validation fraction).
 *
 *   npx tsx bench/sroie-dataset.ts [--dir ../shared/datasets/sroie-dev] [--out /tmp/sroie-ds] [--limit N]
 *
 * Writes, under --out (never inside the repository: the images stay where they are, only OCR words and
 * labels are written): `train/train-*.jsonl`, `validation/validation-*.jsonl`, `labels/labels.json` (the
 * trainer's channel layout: point SM_CHANNEL_TRAIN/VALIDATION/LABELS at them), `manifest.json`, and an OCR
 * cache `ocr-cache/<sha256>.json` (contract 2) so a rerun only OCRs what changed.
 * The folder defaults to `$SROIE_DIR` or `../shared/datasets/sroie-dev` from the repository root; when it is
 * absent the script says so and exits 0 without doing anything.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OcrEngine } from '../local/textract/ocr';
import { buildDataset, type DatasetDocument } from '../src/dataset';
import type { QuarantineEntry } from '../src/contracts/objects';
import { readSroieFolder } from '../src/importers/sroie';
import { sha256 } from '../src/steps/ocr-batch/step';
import { blocksToOcrDocument, ocrDocumentSchema, type OcrDocument } from '../src/textract';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: process.env['SROIE_DIR'] ?? path.join(ROOT, '..', 'shared', 'datasets', 'sroie-dev') },
    out: { type: 'string', default: '/tmp/sroie-ds' },
    limit: { type: 'string' },
    // The pipeline's default (DOCTRAIN_VALIDATION_FRACTION in src/steps/validate-input/step.ts).
    'validation-fraction': { type: 'string', default: '0.2' },
  },
});

const readCache = async (file: string): Promise<OcrDocument | undefined> => {
  if (!existsSync(file)) return undefined;
  const json: unknown = JSON.parse(await readFile(file, 'utf8'));
  const parsed = ocrDocumentSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
};

const main = async (): Promise<void> => {
  const dir = path.resolve(values.dir);
  const out = path.resolve(values.out);
  if (!existsSync(path.join(dir, 'img')) || !existsSync(path.join(dir, 'key'))) {
    console.error(`SROIE folder not found at ${dir} (expects img/ and key/): nothing to do. Pass --dir or set SROIE_DIR.`);
    return;
  }
  if (out.startsWith(`${ROOT}${path.sep}`)) throw new Error(`--out ${out} is inside the repository; write the dataset elsewhere`);
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  // The pipeline's own SROIE importer (whitespace collapsed, empty values left out, orphans reported).
  const quarantined: QuarantineEntry[] = [];
  const receipts = [];
  for await (const receipt of readSroieFolder(dir, {
    onSkip: (item, reason) => quarantined.push({ documentKey: item, reason, stage: 'plan' }),
  })) {
    receipts.push(receipt);
  }
  const selected = receipts.slice(0, limit);
  const cacheDir = path.join(out, 'ocr-cache');
  await mkdir(cacheDir, { recursive: true });

  const engine = new OcrEngine();
  const documents: DatasetDocument[] = [];
  let cacheHits = 0;
  const started = Date.now();
  try {
    for (const [index, { id, documentPath, annotation }] of selected.entries()) {
      const documentKey = `documents/${path.basename(documentPath)}`;
      const bytes = await readFile(documentPath);
      const contentHash = sha256(bytes);
      const cacheFile = path.join(cacheDir, `${contentHash}.json`);
      let ocr = await readCache(cacheFile);
      if (ocr === undefined) {
        ocr = blocksToOcrDocument(await engine.detect(bytes), {}, `local ${engine.engine}`);
        await writeFile(cacheFile, JSON.stringify(ocr));
      } else {
        cacheHits++;
      }
      if (ocr.pages.every((p) => p.words.length === 0)) {
        quarantined.push({ documentKey, reason: 'OCR found no text in the document', stage: 'ocr' });
        continue;
      }
      documents.push({
        id,
        source: `s3://sroie-dev/${documentKey}`,
        ocrEngine: ocr.engine,
        contentHash,
        annotationHash: sha256(JSON.stringify(annotation)),
        annotation,
        pages: ocr.pages,
      });
      if ((index + 1) % 20 === 0)
        console.error(`${index + 1}/${selected.length} receipts (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  } finally {
    await engine.close();
  }

  const built = buildDataset({
    documents,
    quarantined,
    validationFraction: Number(values['validation-fraction']),
    ocrCacheHits: cacheHits,
    pagesBilled: selected.length - cacheHits,
  });
  for (const file of built.files) {
    const folder = file.name.startsWith('train-')
      ? 'train'
      : file.name.startsWith('validation-')
        ? 'validation'
        : file.name === 'labels.json'
          ? 'labels'
          : '';
    await mkdir(path.join(out, folder), { recursive: true });
    await writeFile(path.join(out, folder, file.name), file.body);
  }
  const { counts, entityCounts } = built.manifest;
  console.log(
    JSON.stringify(
      { out, fingerprint: built.fingerprint, counts, entityCounts, ocrCacheHits: cacheHits, seconds: (Date.now() - started) / 1000 },
      null,
      2,
    ),
  );
};

await main();
