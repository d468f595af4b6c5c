import { describe, expect, it } from 'vitest';
import { chunk, pairDocuments } from '../../../../src/steps/plan-batches/documents';

const PREFIX = 'documents/';

describe('pairDocuments', () => {
  it('pairs each image with the annotation beside it, ids relative to the prefix', () => {
    // Act
    const listing = pairDocuments(
      [
        'documents/receipt-0001.png',
        'documents/receipt-0001.json',
        'documents/2026/03/scan.JPG',
        'documents/2026/03/scan.json',
        'documents/photo.jpeg',
        'documents/photo.json',
      ],
      PREFIX,
    );
    // Assess
    expect(listing.quarantined).toEqual([]);
    expect(listing.documents).toEqual([
      { id: 'receipt-0001', key: 'documents/receipt-0001.png', annotationKey: 'documents/receipt-0001.json' },
      { id: '2026/03/scan', key: 'documents/2026/03/scan.JPG', annotationKey: 'documents/2026/03/scan.json' },
      { id: 'photo', key: 'documents/photo.jpeg', annotationKey: 'documents/photo.json' },
    ]);
  });

  it("pairs PDF and TIFF documents with their annotations: a PDF's annotation is no orphan", () => {
    // Act
    const listing = pairDocuments(
      [
        'documents/scan.pdf',
        'documents/scan.json',
        'documents/fax.TIF',
        'documents/fax.json',
        'documents/pages.tiff',
        'documents/pages.json',
      ],
      PREFIX,
    );
    // Assess
    expect(listing.quarantined).toEqual([]);
    expect(listing.documents.map((d) => [d.id, d.key])).toEqual([
      ['scan', 'documents/scan.pdf'],
      ['fax', 'documents/fax.TIF'],
      ['pages', 'documents/pages.tiff'],
    ]);
  });

  it('quarantines an unsupported document type with a reason naming the extension and the supported ones', () => {
    // Act
    const listing = pairDocuments(['documents/scan.docx', 'documents/scan.json', 'documents/README'], PREFIX);
    // Assess
    expect(listing.documents).toEqual([]);
    const docx = listing.quarantined.find((q) => q.documentKey === 'documents/scan.docx');
    expect(docx).toMatchObject({ stage: 'plan' });
    expect(docx?.reason).toContain('unsupported document type ".docx"');
    expect(docx?.reason).toContain('.png, .jpg, .jpeg, .pdf, .tif, .tiff');
    const none = listing.quarantined.find((q) => q.documentKey === 'documents/README');
    expect(none?.reason).toContain('"(none)"');
    // The docx's annotation has no usable document beside it.
    expect(listing.quarantined.find((q) => q.documentKey === 'documents/scan.json')?.reason).toBe(
      'annotation without a document beside it',
    );
  });

  it('quarantines an image without an annotation, naming the expected annotation key', () => {
    // Act
    const listing = pairDocuments(['documents/a.png', 'documents/a.json', 'documents/b.png'], PREFIX);
    // Assess
    expect(listing.documents.map((d) => d.id)).toEqual(['a']);
    expect(listing.quarantined).toEqual([
      {
        documentKey: 'documents/b.png',
        stage: 'plan',
        reason: 'no annotation: expected documents/b.json beside the document (see docs/CONTRACTS.md section 1)',
      },
    ]);
  });

  it('quarantines an orphan annotation', () => {
    // Act
    const listing = pairDocuments(['documents/a.png', 'documents/a.json', 'documents/ghost.json'], PREFIX);
    // Assess
    expect(listing.documents).toHaveLength(1);
    expect(listing.quarantined).toEqual([
      { documentKey: 'documents/ghost.json', stage: 'plan', reason: 'annotation without a document beside it' },
    ]);
  });

  it('ignores folder placeholder objects', () => {
    // Act
    const listing = pairDocuments(['documents/', 'documents/2026/', 'documents/a.png', 'documents/a.json'], PREFIX);
    // Assess
    expect(listing.documents).toHaveLength(1);
    expect(listing.quarantined).toEqual([]);
  });

  it('quarantines a second document with the same base name (a.png and a.jpg would share an id)', () => {
    // Act
    const listing = pairDocuments(['documents/a.jpg', 'documents/a.json', 'documents/a.png'], PREFIX);
    // Assess: the first keeps the annotation; the second is rejected with a reason naming both.
    expect(listing.documents).toEqual([{ id: 'a', key: 'documents/a.jpg', annotationKey: 'documents/a.json' }]);
    expect(listing.quarantined).toHaveLength(1);
    expect(listing.quarantined[0]).toMatchObject({ documentKey: 'documents/a.png', stage: 'plan' });
    expect(listing.quarantined[0]?.reason).toContain('documents/a.jpg already uses documents/a.json');
    expect(new Set(listing.documents.map((d) => d.id)).size).toBe(listing.documents.length);
  });
});

describe('chunk', () => {
  it('splits into batches of at most the size, keeping order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2], 5)).toEqual([[1, 2]]);
    expect(chunk([], 3)).toEqual([]);
  });
});
