/**
 * The dataset of task classification (src/contracts/task.ts): one record per page with its document's
 * class (classRecordSchema), labels.json `{"task": "classification", "labels": <class list>}`, and the
 * class metrics' MetricDefinitions (metricDefinitionsForClasses). The class list is checked before the
 * training job is created: every annotation a class annotation, every class one of `dataset.classes`
 * (when given), every listed class with a document, at least two classes (ClassListError).
 *
 * A multi-page document: every page is a record carrying the document's class; the trainer classifies
 * the document by the mean of its pages' class probabilities (doctrain_trainer/classification.py).
 */
import { ClassListError, EmptyDatasetError } from '../contracts/errors';
import {
  DATASET_SCHEMA_VERSION,
  RECORD_LAYOUT,
  type BBox,
  type ClassRecord,
  type DatasetLabels,
  type DatasetManifest,
} from '../contracts/objects';
import { metricDefinitionsForClasses } from '../contracts/metric-line';
import { DATASET_LABELS_FILE, DATASET_MANIFEST_FILE } from '../contracts/s3-layout';
import {
  countBy,
  documentPages,
  LABELLING_VERSION,
  readableDocuments,
  shardFiles,
  shardLimit,
  type BuildDatasetInput,
  type BuiltDataset,
  type DatasetDocument,
  type DatasetFile,
} from './build';
import { datasetFingerprint } from './fingerprint';
import { compareStrings } from './normalize';
import { splitPosition, type Split } from './split';

/** How many document ids an error names before `and N more`. */
const NAMED = 5;
const named = (ids: readonly string[]): string =>
  `${ids.slice(0, NAMED).join(', ')}${ids.length > NAMED ? ` and ${ids.length - NAMED} more` : ''}`;

/** A class annotation's class; undefined for any other kind. */
const classOf = (doc: DatasetDocument): string | undefined => ('class' in doc.annotation ? doc.annotation.class : undefined);

/**
 * The class list of the documents, checked (ClassListError): all class annotations; with `classes`,
 * each document's class one of them and each of them with a document; at least two classes. Run on the
 * input documents (before OCR's quarantine counts) by checkClassList, and on the readable ones here.
 */
export function checkClassList(documents: readonly DatasetDocument[], classes: readonly string[] | undefined, where: string): string[] {
  const others = documents.filter((doc) => classOf(doc) === undefined).map((doc) => doc.id);
  if (others.length > 0) {
    throw new ClassListError(
      `task classification needs a class annotation ({"schemaVersion": 1, "class": "invoice"}) on every document; ${others.length} of ${documents.length} ${where} have fields, boxes or words instead (${named(others)})`,
    );
  }
  const used = [...new Set(documents.map((doc) => classOf(doc) ?? ''))].sort(compareStrings);
  if (classes !== undefined) {
    const listed = new Set(classes);
    const unknown = documents.filter((doc) => !listed.has(classOf(doc) ?? '')).map((doc) => `${doc.id} (${classOf(doc) ?? ''})`);
    if (unknown.length > 0) {
      throw new ClassListError(
        `${unknown.length} ${where} have a class that dataset.classes (${classes.join(', ')}) does not list: ${named(unknown)}; add the class to dataset.classes or fix the annotations`,
      );
    }
    const empty = classes.filter((name) => !used.includes(name));
    if (empty.length > 0) {
      throw new ClassListError(
        `dataset.classes lists ${empty.length === 1 ? 'a class' : 'classes'} without any of the ${where}: ${empty.join(', ')}; add documents of ${empty.length === 1 ? 'it' : 'them'} or remove ${empty.length === 1 ? 'it' : 'them'} from dataset.classes`,
      );
    }
  }
  const list = classes !== undefined ? [...classes] : used;
  if (list.length < 2) {
    throw new ClassListError(
      `the ${where} have one class only (${list.join(', ') || 'none'}): a classifier needs documents of at least two classes`,
    );
  }
  return list;
}

/**
 * Train/validation split per class (stratified): of each class's documents, the round(n x fraction)
 * whose hash positions (split.splitPosition) are lowest validate, at least one and never all of them, so
 * every class is scored and trained on whatever the hash draws (a 30-document class could otherwise
 * put 1 or 12 documents in validation at a fraction of 0.2).
 */
export function stratifiedSplit(documents: readonly DatasetDocument[], classes: readonly string[], fraction: number, seed: string): Split {
  const validation = new Set<string>();
  for (const name of classes) {
    const ranked = documents
      .filter((doc) => classOf(doc) === name)
      .map((doc) => ({ id: doc.id, position: splitPosition(doc.id, seed) }))
      .sort((a, b) => a.position - b.position || compareStrings(a.id, b.id));
    const take = ranked.length < 2 ? 0 : Math.min(ranked.length - 1, Math.max(1, Math.round(ranked.length * fraction)));
    for (const { id } of ranked.slice(0, take)) validation.add(id);
  }
  const ids = documents.map((doc) => doc.id).sort(compareStrings);
  return { train: ids.filter((id) => !validation.has(id)), validation: ids.filter((id) => validation.has(id)) };
}

export function buildClassificationDataset(input: BuildDatasetInput): BuiltDataset {
  const maxRecordsPerShard = shardLimit(input);
  const seed = input.seed ?? '';
  checkClassList(input.documents, input.classes, 'documents');
  const { withWords, quarantined } = readableDocuments(input);
  const usable = [...withWords].sort((a, b) => compareStrings(a.id, b.id));
  const classes = checkClassList(usable, input.classes, 'documents with OCR words');
  quarantined.sort((a, b) => compareStrings(a.documentKey, b.documentKey) || compareStrings(a.reason, b.reason));
  if (usable.length < 2) throw new EmptyDatasetError(`only ${usable.length} document with OCR words: at least 2 are needed`);

  const split = stratifiedSplit(usable, classes, input.validationFraction, seed);
  const records = new Map<string, ClassRecord[]>();
  let wordCount = 0;
  let pageCount = 0;
  for (const doc of usable) {
    const pages = documentPages(doc.pages).filter((page) => page.words.length > 0); // a blank page says nothing
    const multiPage = doc.pages.length > 1;
    records.set(
      doc.id,
      pages.map((page) => ({
        id: multiPage ? `${doc.id}#${page.number}` : doc.id,
        documentId: doc.id,
        words: page.words.map((w) => w.text),
        bboxes: page.words.map((w) => [...w.box] as BBox),
        class: classOf(doc) ?? '',
        page: { number: page.number, width: page.width, height: page.height },
        source: doc.source,
      })),
    );
    wordCount += pages.reduce((n, page) => n + page.words.length, 0);
    pageCount += pages.length;
  }
  const classById = new Map(usable.map((doc) => [doc.id, classOf(doc)]));
  const inSplit = (ids: readonly string[], name: string): number => ids.filter((id) => classById.get(id) === name).length;
  const classCounts = Object.fromEntries(
    classes.map((name) => {
      const train = inSplit(split.train, name);
      const validation = inSplit(split.validation, name);
      return [name, { documents: train + validation, train, validation }];
    }),
  );

  const fingerprint = datasetFingerprint({
    schemaVersion: DATASET_SCHEMA_VERSION,
    documents: usable,
    labelling: {
      version: LABELLING_VERSION,
      task: 'classification',
      classes,
      split: 'stratified',
      validationFraction: input.validationFraction,
      seed,
      maxRecordsPerShard,
      recordLayout: RECORD_LAYOUT,
    },
  });
  const trainFiles = shardFiles('train', split.train, records, maxRecordsPerShard);
  const validationFiles = shardFiles('validation', split.validation, records, maxRecordsPerShard);
  const metrics = metricDefinitionsForClasses(classes);
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
      documentsWithoutEntities: 0,
      unalignedValues: 0,
    },
    split: { validationFraction: input.validationFraction, seed },
    files: { train: trainFiles.map((f) => f.name), validation: validationFiles.map((f) => f.name), labels: DATASET_LABELS_FILE },
    labelCounts: {},
    entityCounts: {},
    quarantined,
    unaligned: [],
    documentsWithoutEntities: [],
    ocrCacheHits: input.ocrCacheHits,
    textractPagesBilled: input.pagesBilled,
    ocrEngines: countBy(input.documents.map((d) => d.ocrEngine)),
    metricFieldsOmitted: metrics.metricFieldsOmitted,
    task: 'classification',
    classCounts,
  };
  const labels: DatasetLabels = { schemaVersion: DATASET_SCHEMA_VERSION, task: 'classification', labels: classes };
  const files: DatasetFile[] = [
    ...trainFiles,
    ...validationFiles,
    { name: DATASET_LABELS_FILE, body: `${JSON.stringify(labels, null, 2)}\n` },
    { name: DATASET_MANIFEST_FILE, body: `${JSON.stringify(manifest, null, 2)}\n` },
  ];
  return { fingerprint, files, manifest, labels: classes, metrics };
}
