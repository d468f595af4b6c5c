import { EmptyDatasetError, InvalidInputError } from '../errors';
import type { OcrPage } from '../textract/ocr-document';
import { alignFields, DEFAULT_MIN_SIMILARITY, type UnalignedField } from './align';
import { FIELD_KEY_PATTERN, labelForField, type Fields } from './annotations';
import { datasetFingerprint } from './fingerprint';
import { compareStrings } from './normalize';
import { splitDocuments } from './split';

/** Contract 3 (docs/CONTRACTS.md): the dataset folder `datasets/<fingerprint>/`. */
export const DATASET_SCHEMA_VERSION = 1 as const;
/** Bump when alignment or record layout changes what a given corpus produces (it feeds the fingerprint). */
export const LABELLING_VERSION = 2;
export const DEFAULT_MAX_RECORDS_PER_SHARD = 5000;

export interface DatasetDocument {
  readonly id: string;
  /** Where the document came from, e.g. `s3://bucket/documents/receipt-0001.png`. */
  readonly source: string;
  readonly contentHash: string;
  readonly annotationHash: string;
  readonly pages: readonly OcrPage[];
  readonly fields: Fields;
}

/** A document left out of the dataset (same shape as the pipeline's quarantine entries). */
export interface QuarantinedDocument {
  /** S3 key of the document (or of its annotation). */
  readonly documentKey: string;
  readonly reason: string;
  readonly stage?: string;
}

export interface BuildDatasetInput {
  readonly documents: readonly DatasetDocument[];
  readonly quarantined: readonly QuarantinedDocument[];
  readonly validationFraction: number;
  readonly seed?: string;
  readonly maxRecordsPerShard?: number;
  readonly minSimilarity?: number;
  readonly ocrCacheHits: number;
  readonly pagesBilled: number;
  /** ISO time for the manifest; defaults to now. Not part of the fingerprint. */
  readonly createdAt?: string;
}

export type BBox = [x0: number, y0: number, x1: number, y1: number];

/** One line of `train-*.jsonl` / `validation-*.jsonl`. */
export interface DatasetRecord {
  readonly id: string;
  readonly words: string[];
  readonly bboxes: BBox[];
  readonly labels: string[];
  readonly page: { readonly width: number; readonly height: number };
  readonly source: string;
  /**
   * The annotated values (contract 1's `fields`, keys sorted), aligned or not: what field-level metrics
   * and `predict` are measured against (the SROIE task-3 measure compares values, not word tags).
   */
  readonly fields: Record<string, string | string[]>;
}

export interface DatasetFile {
  readonly name: string;
  readonly body: string;
}

export interface DocumentUnaligned {
  readonly id: string;
  readonly fields: UnalignedField[];
}

export interface DatasetManifest {
  readonly schemaVersion: typeof DATASET_SCHEMA_VERSION;
  readonly fingerprint: string;
  readonly createdAt: string;
  /** One record per document, words of all its pages concatenated in page order. */
  readonly recordLayout: 'document';
  readonly counts: {
    readonly documents: number;
    readonly train: number;
    readonly validation: number;
    readonly quarantined: number;
    readonly words: number;
    readonly documentsWithoutEntities: number;
    readonly unalignedValues: number;
  };
  readonly split: { readonly validationFraction: number; readonly seed: string };
  readonly files: { readonly train: string[]; readonly validation: string[]; readonly labels: string };
  /** Words per BIO tag, over all records (every tag of labels.json present, 0 when unused). */
  readonly labelCounts: Record<string, number>;
  /** Per entity label: values aligned and values left unaligned. */
  readonly entityCounts: Record<string, { readonly aligned: number; readonly unaligned: number }>;
  readonly quarantined: QuarantinedDocument[];
  readonly unaligned: DocumentUnaligned[];
  readonly documentsWithoutEntities: string[];
  readonly ocrCacheHits: number;
  readonly textractPagesBilled: number;
}

export interface BuiltDataset {
  readonly fingerprint: string;
  /** train-00000.jsonl..., validation-00000.jsonl..., labels.json, manifest.json */
  readonly files: DatasetFile[];
  readonly manifest: DatasetManifest;
  /** Class list, index = class id (same as labels.json). */
  readonly labels: string[];
}

/** BIO class list: `O`, then `B-`/`I-` per label in alphabetical order. */
export function bioLabels(fieldKeys: Iterable<string>): string[] {
  const labels = [...new Set([...fieldKeys].map(labelForField))].sort();
  return ['O', ...labels.flatMap((l) => [`B-${l}`, `I-${l}`])];
}

/**
 * A document's words as one record sees them: its pages in page order, words concatenated, and the size of
 * its first page with words. The dataset builder and `doctrain predict` both use it, so a model sees a new
 * document exactly as it saw its training documents.
 */
export function documentWords(pages: readonly OcrPage[]): {
  words: OcrPage['words'];
  page: { width: number; height: number };
} {
  const sorted = [...pages].sort((a, b) => a.page - b.page);
  const firstPage = sorted.find((p) => p.words.length > 0) ?? sorted[0];
  return {
    words: sorted.flatMap((p) => p.words),
    page: { width: firstPage?.width ?? 1000, height: firstPage?.height ?? 1000 },
  };
}

/**
 * Builds the dataset files from OCR'd, annotated documents. Pure: same input, same files (but for
 * manifest.createdAt). A document whose OCR found no words is moved to `quarantined` (nothing to
 * train on); a document with words but no aligned field is kept and counted in documentsWithoutEntities.
 * Throws EmptyDatasetError when no document has a single aligned entity.
 */
export function buildDataset(input: BuildDatasetInput): BuiltDataset {
  const maxRecordsPerShard = input.maxRecordsPerShard ?? DEFAULT_MAX_RECORDS_PER_SHARD;
  if (!Number.isInteger(maxRecordsPerShard) || maxRecordsPerShard < 1) {
    throw new InvalidInputError(`maxRecordsPerShard must be a positive integer, got ${maxRecordsPerShard}`);
  }
  const minSimilarity = input.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  const seed = input.seed ?? '';
  for (const doc of input.documents) {
    const bad = Object.keys(doc.fields).find((k) => !FIELD_KEY_PATTERN.test(k));
    if (bad !== undefined) throw new InvalidInputError(`document ${doc.id}: invalid field key ${JSON.stringify(bad)}`);
  }

  const quarantined: QuarantinedDocument[] = [...input.quarantined];
  const usable: DatasetDocument[] = [];
  for (const doc of input.documents) {
    if (doc.pages.some((p) => p.words.length > 0)) usable.push(doc);
    else quarantined.push({ documentKey: keyOf(doc.source), reason: 'OCR found no words', stage: 'dataset' });
  }
  quarantined.sort((a, b) => compareStrings(a.documentKey, b.documentKey) || compareStrings(a.reason, b.reason));
  if (usable.length === 0) throw new EmptyDatasetError('no document with OCR words to build a dataset from');

  const split = splitDocuments(
    usable.map((d) => d.id),
    { validationFraction: input.validationFraction, seed },
  );
  const labels = bioLabels(usable.flatMap((d) => Object.keys(d.fields)));

  const records = new Map<string, DatasetRecord>();
  const unaligned: DocumentUnaligned[] = [];
  const withoutEntities: string[] = [];
  const labelCounts: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  const entityCounts: Record<string, { aligned: number; unaligned: number }> = {};
  const entity = (field: string) => (entityCounts[labelForField(field)] ??= { aligned: 0, unaligned: 0 });
  let wordCount = 0;

  for (const doc of [...usable].sort((a, b) => compareStrings(a.id, b.id))) {
    const { words, page } = documentWords(doc.pages);
    const alignment = alignFields(words, doc.fields, { minSimilarity });
    records.set(doc.id, {
      id: doc.id,
      words: words.map((w) => w.text),
      bboxes: words.map((w) => [...w.box] as BBox),
      labels: alignment.labels,
      page,
      source: doc.source,
      fields: sortedFields(doc.fields),
    });
    wordCount += words.length;
    for (const tag of alignment.labels) labelCounts[tag] = (labelCounts[tag] ?? 0) + 1;
    for (const span of alignment.spans) entity(span.field).aligned++;
    for (const miss of alignment.unaligned) entity(miss.field).unaligned++;
    if (alignment.unaligned.length > 0) unaligned.push({ id: doc.id, fields: alignment.unaligned });
    if (alignment.spans.length === 0) withoutEntities.push(doc.id);
  }
  if (withoutEntities.length === usable.length) {
    throw new EmptyDatasetError(`no annotated value could be found in the OCR words of any of ${usable.length} documents`);
  }

  const fingerprint = datasetFingerprint({
    schemaVersion: DATASET_SCHEMA_VERSION,
    documents: usable,
    labelling: {
      version: LABELLING_VERSION,
      minSimilarity,
      validationFraction: input.validationFraction,
      seed,
      maxRecordsPerShard,
      recordLayout: 'document',
    },
  });

  const shard = (prefix: string, ids: readonly string[]): DatasetFile[] => {
    const files: DatasetFile[] = [];
    // Always at least one file per channel: an empty S3 prefix would fail the training job's channel.
    for (let i = 0; i === 0 || i * maxRecordsPerShard < ids.length; i++) {
      const body = ids
        .slice(i * maxRecordsPerShard, (i + 1) * maxRecordsPerShard)
        .map((id) => `${JSON.stringify(records.get(id))}\n`)
        .join('');
      files.push({ name: `${prefix}-${String(i).padStart(5, '0')}.jsonl`, body });
    }
    return files;
  };
  const trainFiles = shard('train', split.train);
  const validationFiles = shard('validation', split.validation);

  const manifest: DatasetManifest = {
    schemaVersion: DATASET_SCHEMA_VERSION,
    fingerprint,
    createdAt: input.createdAt ?? new Date().toISOString(),
    recordLayout: 'document',
    counts: {
      documents: usable.length,
      train: split.train.length,
      validation: split.validation.length,
      quarantined: quarantined.length,
      words: wordCount,
      documentsWithoutEntities: withoutEntities.length,
      unalignedValues: unaligned.reduce((n, d) => n + d.fields.length, 0),
    },
    split: { validationFraction: input.validationFraction, seed },
    files: { train: trainFiles.map((f) => f.name), validation: validationFiles.map((f) => f.name), labels: 'labels.json' },
    labelCounts,
    entityCounts: Object.fromEntries(Object.entries(entityCounts).sort(([a], [b]) => compareStrings(a, b))),
    quarantined,
    unaligned,
    documentsWithoutEntities: withoutEntities,
    ocrCacheHits: input.ocrCacheHits,
    textractPagesBilled: input.pagesBilled,
  };

  const files: DatasetFile[] = [
    ...trainFiles,
    ...validationFiles,
    { name: 'labels.json', body: `${JSON.stringify({ schemaVersion: DATASET_SCHEMA_VERSION, labels }, null, 2)}\n` },
    { name: 'manifest.json', body: `${JSON.stringify(manifest, null, 2)}\n` },
  ];
  return { fingerprint, files, manifest, labels };
}

function sortedFields(fields: Fields): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.keys(fields)
      .sort(compareStrings)
      .map((key) => {
        const value = fields[key] ?? '';
        return [key, typeof value === 'string' ? value : [...value]];
      }),
  );
}

/** `s3://bucket/documents/x.png` -> `documents/x.png`; any other source is kept as is. */
function keyOf(source: string): string {
  return source.replace(/^s3:\/\/[^/]+\//, '');
}
