import { describe, expect, it } from 'vitest';
import { buildDataset, type BuildDatasetInput, type DatasetDocument } from '../../../src/dataset/index';
import { ClassListError } from '../../../src/contracts/errors';
import { stratifiedSplit } from '../../../src/dataset/build-classification';
import type { OcrPage } from '../../../src/textract/index';
import { classRecordSchema, datasetLabelsSchema, datasetManifestSchema } from '../../../src/contracts/objects';

function page(text: string, pageNo = 1): OcrPage {
  return {
    page: pageNo,
    width: 600,
    height: 900,
    words: text.split(' ').map((t, i) => ({ text: t, box: [100, i * 20, 300, i * 20 + 15], confidence: 99 })),
  };
}

function doc(id: string, pages: OcrPage[], className: string): DatasetDocument {
  return {
    id,
    source: `s3://bucket/documents/${id}.png`,
    ocrEngine: 'textract:DetectDocumentText 1.0',
    contentHash: `c-${id}`,
    annotationHash: `a-${id}`,
    pages,
    annotation: { schemaVersion: 1, class: className },
  };
}

const CORPUS = [
  doc('i1', [page('INVOICE NO 4711 TOTAL DUE')], 'invoice'),
  doc('i2', [page('COVER SHEET'), page('INVOICE 12 AMOUNT DUE', 2), { page: 3, width: 1, height: 1, words: [] }], 'invoice'),
  doc('r1', [page('RECEIPT THANK YOU CASH')], 'receipt'),
  doc('r2', [page('TOTAL CHANGE THANK YOU')], 'receipt'),
];

function input(overrides: Partial<BuildDatasetInput> = {}): BuildDatasetInput {
  return {
    documents: CORPUS,
    quarantined: [],
    validationFraction: 0.5,
    ocrCacheHits: 0,
    pagesBilled: 4,
    createdAt: '2026-03-14T00:00:00.000Z',
    ...overrides,
  };
}

const lines = (files: { name: string; body: string }[]) =>
  files
    .filter((f) => f.name.endsWith('.jsonl'))
    .flatMap((f) => f.body.split('\n').filter((l) => l !== ''))
    .map((l) => classRecordSchema.parse(JSON.parse(l)));

describe('buildDataset, task classification', () => {
  it('writes one record per page with its document class, the class list and the class metrics', () => {
    // Act: no task given: the class annotations say it.
    const built = buildDataset(input());
    // Assess
    const records = lines(built.files);
    expect(records.map((r) => [r.id, r.documentId, r.class])).toEqual(
      expect.arrayContaining([
        ['i1', 'i1', 'invoice'],
        ['i2#1', 'i2', 'invoice'],
        ['i2#2', 'i2', 'invoice'],
        ['r1', 'r1', 'receipt'],
        ['r2', 'r2', 'receipt'],
      ]),
    );
    expect(records).toHaveLength(5); // the blank third page of i2 has no record
    const labels = datasetLabelsSchema.parse(JSON.parse(built.files.find((f) => f.name === 'labels.json')?.body ?? ''));
    expect(labels).toEqual({ schemaVersion: 1, task: 'classification', labels: ['invoice', 'receipt'] });
    const manifest = datasetManifestSchema.parse(built.manifest);
    expect(manifest.task).toBe('classification');
    expect(manifest.classCounts?.['invoice']?.documents).toBe(2);
    expect(manifest.counts).toMatchObject({ documents: 4, pages: 5 });
    expect(built.metrics.metricDefinitions.map((d) => d.Name)).toEqual([
      'train_loss',
      'val_loss',
      'val_accuracy',
      'val_macro_f1',
      'champion_comparable',
      'champion_val_macro_f1',
      'val_recall_invoice',
      'champion_val_recall_invoice',
      'val_precision_invoice',
      'val_recall_receipt',
      'champion_val_recall_receipt',
      'val_precision_receipt',
    ]);
  });

  it('keeps the order of dataset.classes as the class ids', () => {
    const built = buildDataset(input({ task: 'classification', classes: ['receipt', 'invoice'] }));
    expect(built.labels).toEqual(['receipt', 'invoice']);
  });

  it.each([
    [
      { classes: ['invoice', 'letter'] },
      /2 documents have a class that dataset.classes \(invoice, letter\) does not list: r1 \(receipt\), r2 \(receipt\)/,
    ],
    [{ classes: ['invoice', 'receipt', 'form'] }, /dataset.classes lists a class without any of the documents: form/],
    [{ documents: CORPUS.slice(0, 2) }, /one class only \(invoice\): a classifier needs documents of at least two classes/],
    [{ task: 'token-classification' as const }, /4 documents have a class annotation .* but the run's task is token-classification/],
  ])('refuses a class list it cannot train (%o) before any training job', (overrides, message) => {
    expect(() => buildDataset(input(overrides))).toThrow(ClassListError);
    expect(() => buildDataset(input(overrides))).toThrow(message);
  });

  it('refuses class annotations mixed with field annotations', () => {
    const fields: DatasetDocument = {
      ...doc('f1', [page('TOTAL 1.00')], 'x'),
      annotation: { schemaVersion: 1, fields: { total: '1.00' } },
    };
    expect(() => buildDataset(input({ documents: [...CORPUS, fields] }))).toThrow(
      /needs a class annotation .* on every document; 1 of 5 documents have fields, boxes or words instead \(f1\)/,
    );
  });
});

describe('stratifiedSplit', () => {
  it('validates round(n x fraction) documents of every class, at least one, never all', () => {
    // Prepare: 10 invoices and 2 receipts.
    const docs = [
      ...Array.from({ length: 10 }, (_, i) => doc(`i${i}`, [page('INVOICE')], 'invoice')),
      doc('r1', [page('RECEIPT')], 'receipt'),
      doc('r2', [page('RECEIPT')], 'receipt'),
    ];
    // Act
    const split = stratifiedSplit(docs, ['invoice', 'receipt'], 0.2, '');
    // Assess
    expect(split.validation.filter((id) => id.startsWith('i'))).toHaveLength(2);
    expect(split.validation.filter((id) => id.startsWith('r'))).toHaveLength(1);
    expect(split.train).toHaveLength(9);
  });
});
