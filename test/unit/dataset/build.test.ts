import { describe, expect, it } from 'vitest';
import { buildDataset, type BuildDatasetInput, type DatasetDocument } from '../../../src/dataset/index';
import { EmptyDatasetError } from '../../../src/contracts/errors';
import type { OcrPage } from '../../../src/textract/index';
import type { DatasetRecord } from '../../../src/contracts/objects';

/** A page whose words sit one per row, so every box is distinct and traceable. */
function page(text: string, pageNo = 1, width = 600, height = 900): OcrPage {
  return {
    page: pageNo,
    width,
    height,
    words: text.split(' ').map((t, i) => ({ text: t, box: [100, i * 20, 300, i * 20 + 15], confidence: 99 })),
  };
}

function doc(id: string, pages: OcrPage[], fields: Record<string, string | string[]>): DatasetDocument {
  return {
    id,
    source: `s3://bucket/documents/${id}.png`,
    ocrEngine: 'textract:DetectDocumentText 1.0',
    contentHash: `c-${id}`,
    annotationHash: `a-${id}`,
    pages,
    annotation: { schemaVersion: 1, fields },
  };
}

function input(overrides: Partial<BuildDatasetInput> = {}): BuildDatasetInput {
  return {
    documents: [
      doc('r1', [page('ACME STORE TOTAL 8.32')], { company: 'ACME STORE', total: '8.32' }),
      doc('r2', [page('BOLT CO TOTAL 1.00')], { company: 'BOLT CO', total: '1.00', date: '2026-01-01' }),
      doc('r3', [page('CEDAR LTD'), page('TOTAL 2.50', 2)], { company: 'CEDAR LTD', total: '2.50' }),
      doc('r4', [page('NOTHING HERE')], { company: 'ZEBRA INC' }),
      doc('r5', [{ page: 1, width: 1000, height: 1000, words: [] }], { company: 'EMPTY' }),
    ],
    quarantined: [{ documentKey: 'documents/bad.gif', reason: 'unsupported type', stage: 'plan' }],
    validationFraction: 0.25,
    ocrCacheHits: 3,
    pagesBilled: 2,
    createdAt: '2026-03-14T00:00:00.000Z',
    ...overrides,
  };
}

const file = (files: { name: string; body: string }[], name: string) => files.find((f) => f.name === name)?.body;
const records = (files: { name: string; body: string }[], prefix: string): DatasetRecord[] =>
  files
    .filter((f) => f.name.startsWith(prefix))
    .flatMap((f) => f.body.split('\n').filter((l) => l !== ''))
    .map((l) => JSON.parse(l) as DatasetRecord);

describe('buildDataset', () => {
  it("derives the training job's MetricDefinitions from the labels and lists in the manifest the fields past SageMaker's 40", () => {
    // Prepare: 16 fields, one word each, on two documents; 15 pairs fit after the 10 core definitions.
    const fields = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${String(i).padStart(2, '0')}`, `V${i}`]));
    const words = Object.values(fields).join(' ');
    const documents = [doc('m1', [page(words)], fields), doc('m2', [page(words)], fields)];
    // Act
    const { manifest, metrics, files } = buildDataset(input({ documents, quarantined: [] }));
    // Assess
    expect(metrics.metricDefinitions).toHaveLength(40);
    expect(metrics.metricDefinitions.map((d) => d.Name)).toContain('champion_val_exact_f14');
    expect(metrics.metricFieldsOmitted).toEqual(['f15']);
    expect(manifest.metricFieldsOmitted).toEqual(['f15']);
    expect(JSON.parse(file(files, 'manifest.json')!)).toMatchObject({ metricFieldsOmitted: ['f15'] });
  });

  it('writes train/validation shards, labels.json and manifest.json as in contract 3', () => {
    // Act
    const built = buildDataset(input());

    // Assess
    const names = built.files.map((f) => f.name);
    expect(names).toEqual(['train-00000.jsonl', 'validation-00000.jsonl', 'labels.json', 'manifest.json']);
    expect(JSON.parse(file(built.files, 'labels.json')!)).toEqual({
      schemaVersion: 1,
      labels: ['O', 'B-COMPANY', 'I-COMPANY', 'B-DATE', 'I-DATE', 'B-TOTAL', 'I-TOTAL'],
    });
    const all = [...records(built.files, 'train-'), ...records(built.files, 'validation-')];
    expect(all.map((r) => r.id).sort()).toEqual(['r1', 'r2', 'r3#1', 'r3#2']);
    expect(records(built.files, 'validation-').length).toBeGreaterThanOrEqual(1);
    const r1 = all.find((r) => r.id === 'r1')!;
    expect(r1).toEqual({
      id: 'r1',
      documentId: 'r1',
      words: ['ACME', 'STORE', 'TOTAL', '8.32'],
      bboxes: [
        [100, 0, 300, 15],
        [100, 20, 300, 35],
        [100, 40, 300, 55],
        [100, 60, 300, 75],
      ],
      labels: ['B-COMPANY', 'I-COMPANY', 'O', 'B-TOTAL'],
      page: { number: 1, width: 600, height: 900 },
      source: 's3://bucket/documents/r1.png',
      fields: { company: 'ACME STORE', total: '8.32' },
    });
  });

  it('carries the annotated values on each record, unaligned ones and arrays included, keys sorted', () => {
    // Prepare: r2's date is not in its words; r6 has a repeated field given with its keys out of order.
    const base = input();
    const r6 = doc('r6', [page('DELTA SHOP TEA 1.00 CAKE 2.00')], { item_name: ['TEA', 'CAKE'], company: 'DELTA SHOP' });

    // Act
    const built = buildDataset({ ...base, documents: [...base.documents, r6] });

    // Assess
    const all = [...records(built.files, 'train-'), ...records(built.files, 'validation-')];
    expect(all.find((r) => r.id === 'r2')!.fields).toEqual({ company: 'BOLT CO', date: '2026-01-01', total: '1.00' });
    const r6Fields = all.find((r) => r.id === 'r6')!.fields ?? {};
    expect(Object.keys(r6Fields)).toEqual(['company', 'item_name']);
    expect(r6Fields['item_name']).toEqual(['TEA', 'CAKE']);
    // Every page of a multi-page document carries the document's values (the trainer scores fields per document).
    expect(all.filter((r) => r.documentId === 'r3').map((r) => r.fields)).toEqual([
      { company: 'CEDAR LTD', total: '2.50' },
      { company: 'CEDAR LTD', total: '2.50' },
    ]);
  });

  it('writes no fields for a boxes or words annotation (the trainer takes the labelled words as values)', () => {
    // Prepare: r7 annotated as labelled words.
    const base = input();
    const r7: DatasetDocument = {
      ...doc('r7', [page('GAMMA MART TOTAL 4.00')], {}),
      annotation: {
        schemaVersion: 1,
        words: [
          { text: 'GAMMA', label: 'company' },
          { text: 'MART', label: 'company' },
        ],
      },
    };

    // Act
    const built = buildDataset({ ...base, documents: [...base.documents, r7] });

    // Assess
    const all = [...records(built.files, 'train-'), ...records(built.files, 'validation-')];
    const record = all.find((r) => r.id === 'r7')!;
    expect(record.labels.slice(0, 2)).toEqual(['B-COMPANY', 'I-COMPANY']);
    expect('fields' in record).toBe(false);
  });

  it('gives each page of a multi-page document its own record, with key fields searched over every page', () => {
    // Prepare: pages given out of order; the company name runs over the page break.
    const base = input();
    const r3 = doc('r3', [page('LTD TOTAL 2.50', 2), page('HELLO CEDAR')], { company: 'CEDAR LTD', total: '2.50' });

    // Act
    const built = buildDataset({ ...base, documents: [...base.documents.filter((d) => d.id !== 'r3'), r3] });

    // Assess
    const all = [...records(built.files, 'train-'), ...records(built.files, 'validation-')];
    const pages = all.filter((r) => r.documentId === 'r3');
    expect(pages.map((r) => [r.id, r.page.number, r.words, r.labels])).toEqual([
      ['r3#1', 1, ['HELLO', 'CEDAR'], ['O', 'B-COMPANY']],
      // The value continues on page 2: its first word there starts a new entity (B-), never a dangling I-.
      ['r3#2', 2, ['LTD', 'TOTAL', '2.50'], ['B-COMPANY', 'O', 'B-TOTAL']],
    ]);
    expect(pages.every((r) => r.source === 's3://bucket/documents/r3.png')).toBe(true);
    // The split is by document: both pages in the same channel, next to each other.
    const inTrain = records(built.files, 'train-').filter((r) => r.documentId === 'r3').length;
    expect([0, 2]).toContain(inTrain);
    expect(built.manifest.recordLayout).toBe('page');
    expect(built.manifest.counts.pages).toBe(4);
  });

  it('leaves out a blank page of a document, keeping its other pages', () => {
    // Act
    const built = buildDataset({
      ...input(),
      documents: [
        ...input().documents,
        doc('r6', [page('ACME STORE'), { page: 2, width: 1000, height: 1000, words: [] }, page('TOTAL 3.00', 3)], {
          company: 'ACME STORE',
          total: '3.00',
        }),
      ],
    });

    // Assess
    const all = [...records(built.files, 'train-'), ...records(built.files, 'validation-')];
    expect(all.filter((r) => r.documentId === 'r6').map((r) => r.id)).toEqual(['r6#1', 'r6#3']);
  });

  it('reports counts, quarantine, unaligned values and documents without entities in the manifest', () => {
    // Act
    const base = input();
    const { manifest, fingerprint, files } = buildDataset({
      ...base,
      // An annotation with no value at all is a legitimate all-O document, not a mismatch.
      documents: [...base.documents, doc('r6', [page('PLAIN PAGE')], {})],
    });

    // Assess
    expect(JSON.parse(file(files, 'manifest.json')!)).toEqual(manifest);
    expect(manifest.fingerprint).toBe(fingerprint);
    expect(manifest.counts).toEqual({
      documents: 4,
      pages: 5,
      train: manifest.counts.train,
      validation: manifest.counts.validation,
      quarantined: 3,
      words: 4 + 4 + 4 + 2,
      documentsWithoutEntities: 1,
      unalignedValues: 1,
    });
    expect(manifest.counts.train + manifest.counts.validation).toBe(4);
    expect(manifest.quarantined).toEqual([
      { documentKey: 'documents/bad.gif', reason: 'unsupported type', stage: 'plan' },
      {
        documentKey: 'documents/r4.png',
        reason:
          'annotation matched none of the OCR words: none of its 1 value(s) (ZEBRA INC) was found on the page; check that the annotation belongs to this document',
        stage: 'dataset',
      },
      { documentKey: 'documents/r5.png', reason: 'OCR found no words', stage: 'dataset' },
    ]);
    expect(manifest.unaligned).toEqual([{ id: 'r2', fields: [{ field: 'date', value: '2026-01-01', reason: 'not_found' }] }]);
    expect(manifest.documentsWithoutEntities).toEqual(['r6']);
    expect(manifest.labelCounts).toEqual({ O: 5, 'B-COMPANY': 3, 'I-COMPANY': 3, 'B-DATE': 0, 'I-DATE': 0, 'B-TOTAL': 3, 'I-TOTAL': 0 });
    expect(manifest.entityCounts).toEqual({
      COMPANY: { aligned: 3, ocrTolerant: 0, unaligned: 0 },
      DATE: { aligned: 0, ocrTolerant: 0, unaligned: 1 },
      TOTAL: { aligned: 3, ocrTolerant: 0, unaligned: 0 },
    });
    expect(manifest).toMatchObject({ ocrCacheHits: 3, textractPagesBilled: 2, createdAt: '2026-03-14T00:00:00.000Z' });
    // Three fields: every one has its training-job metrics, none is left out.
    expect(manifest.metricFieldsOmitted).toEqual([]);
  });

  it('is deterministic and order-independent; the fingerprint follows content and settings', () => {
    // Prepare
    const base = input();

    // Act
    const a = buildDataset(base);
    const b = buildDataset({ ...base, documents: [...base.documents].reverse() });
    const otherFraction = buildDataset({ ...base, validationFraction: 0.5 });
    const otherContent = buildDataset({
      ...base,
      documents: base.documents.map((d) => (d.id === 'r1' ? { ...d, contentHash: 'changed' } : d)),
    });

    // Assess
    expect(b.files).toEqual(a.files);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(otherFraction.fingerprint).not.toBe(a.fingerprint);
    expect(otherContent.fingerprint).not.toBe(a.fingerprint);
  });

  it('shards records by maxRecordsPerShard', () => {
    // Act
    const built = buildDataset(input({ validationFraction: 0, maxRecordsPerShard: 1 }));

    // Assess
    // Records are pages: r4 (annotation matched nothing) is quarantined; the two train documents hold three pages (r3 has two).
    expect(built.manifest.files.train).toEqual(['train-00000.jsonl', 'train-00001.jsonl', 'train-00002.jsonl']);
    expect(built.manifest.files.validation).toEqual(['validation-00000.jsonl']);
    expect(built.files.filter((f) => f.name.endsWith('.jsonl')).every((f) => f.body.split('\n').length === 2)).toBe(true);
  });

  it('refuses to build when no document has an aligned entity', () => {
    // Prepare
    const documents = [doc('x', [page('HELLO WORLD')], { company: 'ACME' })];

    // Act / Assess
    expect(() => buildDataset(input({ documents }))).toThrow(EmptyDatasetError);
    expect(() => buildDataset(input({ documents: [] }))).toThrow(EmptyDatasetError);
  });
});
