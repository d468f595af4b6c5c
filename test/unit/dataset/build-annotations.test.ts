import { describe, expect, it } from 'vitest';
import { buildDataset, type Annotation, type DatasetDocument } from '../../../src/dataset/index';
import type { OcrPage } from '../../../src/textract/index';
import type { DatasetRecord } from '../../../src/contracts/objects';

const ocr: OcrPage = {
  page: 1,
  width: 800,
  height: 1000,
  words: [
    { text: 'ACME', box: [100, 50, 200, 80], confidence: 99 },
    { text: 'STORE', box: [210, 50, 330, 80], confidence: 99 },
    { text: 'TOTAL', box: [100, 400, 220, 430], confidence: 99 },
    { text: '8.32', box: [700, 400, 780, 430], confidence: 99 },
  ],
};

const doc = (id: string, annotation: Annotation): DatasetDocument => ({
  id,
  source: `s3://bucket/documents/${id}.png`,
  ocrEngine: 'textract:DetectDocumentText 1.0',
  contentHash: `c-${id}`,
  annotationHash: `a-${id}`,
  pages: [ocr],
  annotation,
});

describe('buildDataset with boxes and words', () => {
  it('labels records from each annotation kind and reports what it could not align', () => {
    // Prepare: one document per kind
    const documents = [
      doc('boxes', {
        schemaVersion: 1,
        boxes: [
          { label: 'total', box: { left: 0.69, top: 0.39, width: 0.1, height: 0.05 } },
          { label: 'company', box: { left: 0.5, top: 0.9, width: 0.1, height: 0.05 } },
        ],
      }),
      doc('words', {
        schemaVersion: 1,
        words: [
          { text: 'ACME', label: 'company' },
          { text: 'STORE', label: 'company' },
        ],
      }),
      doc('fields', { schemaVersion: 1, fields: { total: '8.32' } }),
    ];

    // Act
    const built = buildDataset({ documents, quarantined: [], validationFraction: 0, ocrCacheHits: 0, pagesBilled: 0 });

    // Assess
    expect(built.labels).toEqual(['O', 'B-COMPANY', 'I-COMPANY', 'B-TOTAL', 'I-TOTAL']);
    const records = new Map(
      built.files
        .filter((f) => f.name.endsWith('.jsonl'))
        .flatMap((f) => f.body.split('\n').filter((line) => line !== ''))
        .map((line) => JSON.parse(line) as DatasetRecord)
        .map((r) => [r.id, r.labels]),
    );
    expect(records.get('boxes')).toEqual(['O', 'O', 'O', 'B-TOTAL']);
    expect(records.get('words')).toEqual(['B-COMPANY', 'I-COMPANY', 'O', 'O']);
    expect(records.get('fields')).toEqual(['O', 'O', 'O', 'B-TOTAL']);
    expect(built.manifest.unaligned).toEqual([
      {
        id: 'boxes',
        fields: [
          { field: 'company', value: 'box 2 on page 1 (left 0.500, top 0.900, width 0.100, height 0.050)', reason: 'no_words_in_box' },
        ],
      },
    ]);
    expect(built.manifest.entityCounts).toEqual({
      COMPANY: { aligned: 2, ocrTolerant: 0, unaligned: 1 },
      TOTAL: { aligned: 2, ocrTolerant: 0, unaligned: 0 },
    });
  });
});

describe('buildDataset with OCR misreads', () => {
  it('labels a value found only by the OCR-tolerant pass and counts it in entityCounts', () => {
    // Prepare: the total annotated 8.37 is printed (or read) 8.32 after TOTAL; the company exactly.
    const documents = [doc('misread', { schemaVersion: 1, fields: { company: 'ACME STORE', total: '8.37' } })];

    // Act
    const built = buildDataset({ documents, quarantined: [], validationFraction: 0, ocrCacheHits: 0, pagesBilled: 0 });

    // Assess
    const record = JSON.parse(built.files.find((f) => f.name.endsWith('.jsonl'))?.body.split('\n')[0] ?? '{}') as DatasetRecord;
    expect(record.labels).toEqual(['B-COMPANY', 'I-COMPANY', 'O', 'B-TOTAL']);
    expect(built.manifest.unaligned).toEqual([]);
    expect(built.manifest.entityCounts).toEqual({
      COMPANY: { aligned: 1, ocrTolerant: 0, unaligned: 0 },
      TOTAL: { aligned: 1, ocrTolerant: 1, unaligned: 0 },
    });
  });
});
