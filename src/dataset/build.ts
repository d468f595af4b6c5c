import { ClassListError, EmptyDatasetError, InvalidInputError } from '../contracts/errors';
import type { FieldNames } from '../contracts/value-rules';
import type { DateOrder } from './normalize';
import {
  DATASET_SCHEMA_VERSION,
  RECORD_LAYOUT,
  type BBox,
  type DatasetManifest,
  type DatasetRecord,
  type DocumentUnaligned,
  type QuarantinedDocument,
} from '../contracts/objects';
import type { OcrPage } from '../contracts/ocr-document';
import { DATASET_LABELS_FILE, DATASET_MANIFEST_FILE, datasetShardName, type DatasetSplitName } from '../contracts/s3-layout';
import { DEFAULT_MIN_SIMILARITY } from './align';
import { alignAnnotation, type AnnotationAlignment } from './align-annotation';
import { annotationLabelKeys, FIELD_KEY_PATTERN, labelForField, type Annotation, type Fields } from '../contracts/annotation';
import { datasetFingerprint } from './fingerprint';
import { metricDefinitionsForLabels, type LabelMetricDefinitions } from '../contracts/metric-line';
import { compareStrings } from './normalize';
import { describeMeasures, isNoise, measureReading } from '../textract/reading-quality';
import { splitDocuments } from './split';
import type { Task } from '../contracts/task';

/** Bump when alignment or record layout changes what a given corpus produces (it feeds the fingerprint). */
export const LABELLING_VERSION = 5;
export const DEFAULT_MAX_RECORDS_PER_SHARD = 5000;

export interface DatasetDocument {
  readonly id: string;
  /** Where the document came from, e.g. `s3://bucket/documents/receipt-0001.png`. */
  readonly source: string;
  readonly contentHash: string;
  readonly annotationHash: string;
  readonly pages: readonly OcrPage[];
  /** What read the pages (the OCR cache document's `engine`). */
  readonly ocrEngine: string;
  /** Key fields, labelled boxes or labelled words (contract 1). */
  readonly annotation: Annotation;
}

export interface BuildDatasetInput {
  readonly documents: readonly DatasetDocument[];
  readonly quarantined: readonly QuarantinedDocument[];
  readonly validationFraction: number;
  readonly seed?: string;
  readonly maxRecordsPerShard?: number;
  readonly minSimilarity?: number;
  /** The day/month order of numeric dates a document does not settle itself (setting `locale`). */
  readonly dateOrder?: DateOrder;
  /** Field names added to the value table's (setting `fieldNames`). */
  readonly fieldNames?: FieldNames;
  readonly ocrCacheHits: number;
  readonly pagesBilled: number;
  /** ISO time for the manifest; defaults to now. Not part of the fingerprint. */
  readonly createdAt?: string;
  /** What the run trains (execution input `task`); default: told by the annotations (class annotations: classification). */
  readonly task?: Task;
  /** Task classification: the class list the annotations must use, in class-id order (`dataset.classes`); default their classes, sorted. */
  readonly classes?: readonly string[];
}

/** How many times each value occurs, keys sorted (the manifest is written byte for byte the same for the same input). */
export const countBy = (values: readonly string[]): Record<string, number> => {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => compareStrings(a, b)));
};

export interface DatasetFile {
  readonly name: string;
  readonly body: string;
}

export interface BuiltDataset {
  readonly fingerprint: string;
  /** train-00000.jsonl..., validation-00000.jsonl..., labels.json, manifest.json */
  readonly files: DatasetFile[];
  readonly manifest: DatasetManifest;
  /** Class list, index = class id (same as labels.json). */
  readonly labels: string[];
  /** The training job's MetricDefinitions for these labels, and the fields left without (the manifest lists them). */
  readonly metrics: LabelMetricDefinitions;
}

/** BIO class list: `O`, then `B-`/`I-` per label in alphabetical order. */
export function bioLabels(fieldKeys: Iterable<string>): string[] {
  const labels = [...new Set([...fieldKeys].map(labelForField))].sort();
  return ['O', ...labels.flatMap((l) => [`B-${l}`, `I-${l}`])];
}

export const annotationMatchedNothingReason = (values: readonly string[]): string =>
  `annotation matched none of the OCR words: none of its ${values.length} value(s) (${values.join(', ')}) was found on the page; check that the annotation belongs to this document`;

/**
 * The reason of a document whose every page's OCR reading is noise (src/textract/reading-quality.ts): the
 * local OCR has read such a page again after cleaning it up, and kept the better reading, so what reaches
 * here is the best any reading gave; `measures` describes the document's words together.
 */
export const unreadableReason = (measures: string): string =>
  `unreadable: every OCR reading was noise (${measures}); rescan the document (more contrast, no dark border) or check that it holds printed text`;

/** A document with words whose every page reads as noise: its reason, else undefined. */
export const unreadable = (pages: readonly OcrPage[]): string | undefined => {
  if (!pages.every((p) => isNoise(measureReading(p.words)))) return undefined;
  return unreadableReason(describeMeasures(measureReading(pages.flatMap((p) => p.words))));
};

/** One page of a document as a record sees it: its words in reading order and its size. */
export interface PageWords {
  readonly number: number;
  readonly width: number;
  readonly height: number;
  readonly words: OcrPage['words'];
}

/**
 * A document's pages in page order, each with its words (blank pages included). The dataset builder and
 * `doctrain predict` both use it, so a model sees a new document's pages exactly as it saw its training
 * documents' pages.
 */
export function documentPages(pages: readonly OcrPage[]): PageWords[] {
  return [...pages].sort((a, b) => a.page - b.page).map((p) => ({ number: p.page, width: p.width, height: p.height, words: p.words }));
}

/**
 * Builds the dataset files from OCR'd, annotated documents. Pure: same input, same files (but for
 * manifest.createdAt). Moved to `quarantined` (stage `dataset`), with a reason: a document whose OCR
 * found no words (nothing to train on), a document whose every page reads as noise (unreadableReason: the
 * measures of src/textract/reading-quality.ts), and a document whose annotation has at least one non-empty
 * value but not one of them aligned onto its words (annotationMatchedNothingReason). A document whose
 * annotation has no value at all is kept (all `O`, a legitimate negative) and counted in
 * documentsWithoutEntities. Throws EmptyDatasetError when no document has a single aligned entity.
 */
export function buildTokenDataset(input: BuildDatasetInput): BuiltDataset {
  const maxRecordsPerShard = shardLimit(input);
  const minSimilarity = input.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  const seed = input.seed ?? '';
  for (const doc of input.documents) {
    const bad = annotationLabelKeys(doc.annotation).find((k) => !FIELD_KEY_PATTERN.test(k));
    if (bad !== undefined) throw new InvalidInputError(`document ${doc.id}: invalid field key ${JSON.stringify(bad)}`);
  }

  const classified = input.documents.filter((doc) => 'class' in doc.annotation).map((doc) => doc.id);
  if (classified.length > 0) {
    throw new ClassListError(
      `${classified.length} documents have a class annotation (${classified.slice(0, 5).join(', ')}) but the run's task is token-classification; start it with "task": "classification", or give those documents fields, boxes or words`,
    );
  }
  const { withWords, quarantined } = readableDocuments(input);

  // Key fields are searched over every page at once (a value is where it is found, on whichever page).
  const aligned = new Map<string, { doc: DatasetDocument; pages: OcrPage[]; alignment: AnnotationAlignment }>();
  for (const doc of [...withWords].sort((a, b) => compareStrings(a.id, b.id))) {
    const pages = [...doc.pages].sort((a, b) => a.page - b.page);
    const alignment = alignAnnotation(pages, doc.annotation, {
      minSimilarity,
      ...(input.dateOrder !== undefined && { dateOrder: input.dateOrder }),
      ...(input.fieldNames !== undefined && { fieldNames: input.fieldNames }),
    });
    const values = alignment.unaligned.filter((u) => u.reason !== 'empty_value').map((u) => u.value);
    if (alignment.aligned.length === 0 && values.length > 0) {
      quarantined.push({ documentKey: keyOf(doc.source), reason: annotationMatchedNothingReason(values), stage: 'dataset' });
    } else {
      aligned.set(doc.id, { doc, pages, alignment });
    }
  }
  quarantined.sort((a, b) => compareStrings(a.documentKey, b.documentKey) || compareStrings(a.reason, b.reason));
  const usable = [...aligned.values()].map((a) => a.doc);
  if (usable.length === 0) {
    throw new EmptyDatasetError(`no annotated value could be found in the OCR words of any of ${withWords.length} documents`);
  }

  const split = splitDocuments(
    usable.map((d) => d.id),
    { validationFraction: input.validationFraction, seed },
  );
  const labels = bioLabels(usable.flatMap((d) => annotationLabelKeys(d.annotation)));

  const records = new Map<string, DatasetRecord[]>();
  const unaligned: DocumentUnaligned[] = [];
  const withoutEntities: string[] = [];
  const labelCounts: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  const entityCounts: Record<string, { aligned: number; ocrTolerant: number; unaligned: number }> = {};
  const entity = (field: string) => (entityCounts[labelForField(field)] ??= { aligned: 0, ocrTolerant: 0, unaligned: 0 });
  let wordCount = 0;
  let pageCount = 0;

  for (const { doc, pages, alignment } of aligned.values()) {
    // Each page becomes its own record carrying its words' labels.
    const words = pages.flatMap((p) => p.words);
    const multiPage = pages.length > 1;
    const fields = 'fields' in doc.annotation ? { fields: sortedFields(doc.annotation.fields) } : {};
    const docRecords: DatasetRecord[] = [];
    let offset = 0;
    for (const page of documentPages(pages)) {
      const pageLabels = alignment.labels.slice(offset, offset + page.words.length);
      offset += page.words.length;
      if (page.words.length === 0) continue; // a blank page teaches nothing
      // A value running over a page break starts again on the next page: its first word there is B-.
      if (pageLabels[0]?.startsWith('I-')) pageLabels[0] = `B-${pageLabels[0].slice(2)}`;
      docRecords.push({
        id: multiPage ? `${doc.id}#${page.number}` : doc.id,
        documentId: doc.id,
        words: page.words.map((w) => w.text),
        bboxes: page.words.map((w) => [...w.box] as BBox),
        labels: pageLabels,
        page: { number: page.number, width: page.width, height: page.height },
        source: doc.source,
        ...fields,
      });
      for (const tag of pageLabels) labelCounts[tag] = (labelCounts[tag] ?? 0) + 1;
    }
    records.set(doc.id, docRecords);
    wordCount += words.length;
    pageCount += docRecords.length;
    for (const hit of alignment.aligned) {
      entity(hit.field).aligned++;
      if (hit.match === 'ocr_tolerant') entity(hit.field).ocrTolerant++;
    }
    for (const miss of alignment.unaligned) entity(miss.field).unaligned++;
    if (alignment.unaligned.length > 0) unaligned.push({ id: doc.id, fields: [...alignment.unaligned] });
    if (alignment.aligned.length === 0) withoutEntities.push(doc.id);
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
      dateOrder: input.dateOrder,
      fieldNames: input.fieldNames,
      validationFraction: input.validationFraction,
      seed,
      maxRecordsPerShard,
      recordLayout: RECORD_LAYOUT,
    },
  });

  const trainFiles = shardFiles('train', split.train, records, maxRecordsPerShard);
  const validationFiles = shardFiles('validation', split.validation, records, maxRecordsPerShard);
  const metrics = metricDefinitionsForLabels(labels);

  const manifest: DatasetManifest = {
    schemaVersion: DATASET_SCHEMA_VERSION,
    fingerprint,
    createdAt: input.createdAt ?? new Date().toISOString(),
    recordLayout: RECORD_LAYOUT,
    counts: {
      documents: usable.length,
      pages: pageCount,
      train: split.train.length,
      validation: split.validation.length,
      quarantined: quarantined.length,
      words: wordCount,
      documentsWithoutEntities: withoutEntities.length,
      unalignedValues: unaligned.reduce((n, d) => n + d.fields.length, 0),
    },
    split: { validationFraction: input.validationFraction, seed },
    files: { train: trainFiles.map((f) => f.name), validation: validationFiles.map((f) => f.name), labels: DATASET_LABELS_FILE },
    labelCounts,
    entityCounts: Object.fromEntries(Object.entries(entityCounts).sort(([a], [b]) => compareStrings(a, b))),
    quarantined,
    unaligned,
    documentsWithoutEntities: withoutEntities,
    ocrCacheHits: input.ocrCacheHits,
    textractPagesBilled: input.pagesBilled,
    ocrEngines: countBy(input.documents.map((d) => d.ocrEngine)),
    metricFieldsOmitted: metrics.metricFieldsOmitted,
  };

  const files: DatasetFile[] = [
    ...trainFiles,
    ...validationFiles,
    { name: DATASET_LABELS_FILE, body: `${JSON.stringify({ schemaVersion: DATASET_SCHEMA_VERSION, labels }, null, 2)}\n` },
    { name: DATASET_MANIFEST_FILE, body: `${JSON.stringify(manifest, null, 2)}\n` },
  ];
  return { fingerprint, files, manifest, labels, metrics };
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

/** The records per shard file the input asks for (default DEFAULT_MAX_RECORDS_PER_SHARD), checked. */
export function shardLimit(input: Pick<BuildDatasetInput, 'maxRecordsPerShard'>): number {
  const maxRecordsPerShard = input.maxRecordsPerShard ?? DEFAULT_MAX_RECORDS_PER_SHARD;
  if (!Number.isInteger(maxRecordsPerShard) || maxRecordsPerShard < 1) {
    throw new InvalidInputError(`maxRecordsPerShard must be a positive integer, got ${maxRecordsPerShard}`);
  }
  return maxRecordsPerShard;
}

/**
 * The documents with readable words; the others quarantined (stage `dataset`): no OCR word at all, or
 * every page's reading noise (unreadableReason). Throws EmptyDatasetError when none is left.
 */
export function readableDocuments(input: Pick<BuildDatasetInput, 'documents' | 'quarantined'>): {
  withWords: DatasetDocument[];
  quarantined: QuarantinedDocument[];
} {
  const quarantined: QuarantinedDocument[] = [...input.quarantined];
  const withWords: DatasetDocument[] = [];
  for (const doc of input.documents) {
    const noise = unreadable(doc.pages);
    if (!doc.pages.some((p) => p.words.length > 0)) {
      quarantined.push({ documentKey: keyOf(doc.source), reason: 'OCR found no words', stage: 'dataset' });
    } else if (noise !== undefined) quarantined.push({ documentKey: keyOf(doc.source), reason: noise, stage: 'dataset' });
    else withWords.push(doc);
  }
  if (withWords.length === 0) throw new EmptyDatasetError('no document with OCR words to build a dataset from');
  return { withWords, quarantined };
}

/**
 * A split's shards: the records of its documents, in order, at most `maxRecordsPerShard` a file. The split
 * is by document: every page of a document lands in the same channel (no leakage). Always at least one
 * file per channel: an empty S3 prefix would fail the training job's channel.
 */
export function shardFiles(
  split: DatasetSplitName,
  documentIds: readonly string[],
  records: ReadonlyMap<string, readonly object[]>,
  maxRecordsPerShard: number,
): DatasetFile[] {
  const lines = documentIds.flatMap((id) => records.get(id) ?? []);
  const files: DatasetFile[] = [];
  for (let i = 0; i === 0 || i * maxRecordsPerShard < lines.length; i++) {
    const body = lines
      .slice(i * maxRecordsPerShard, (i + 1) * maxRecordsPerShard)
      .map((record) => `${JSON.stringify(record)}\n`)
      .join('');
    files.push({ name: datasetShardName(split, i), body });
  }
  return files;
}

/** `s3://bucket/documents/x.png` -> `documents/x.png`; any other source is kept as is. */
export function keyOf(source: string): string {
  return source.replace(/^s3:\/\/[^/]+\//, '');
}
