import { describe, expect, it } from 'vitest';
import { datasetFingerprint, splitDocuments } from '../../../src/dataset/index';
import { InvalidInputError } from '../../../src/contracts/errors';

const ids = Array.from({ length: 200 }, (_, i) => `receipt-${String(i).padStart(4, '0')}`);

describe('splitDocuments', () => {
  it('is deterministic, partitions the ids and honours the fraction roughly', () => {
    // Act
    const a = splitDocuments(ids, { validationFraction: 0.2 });
    const b = splitDocuments([...ids].reverse(), { validationFraction: 0.2 });

    // Assess
    expect(a).toEqual(b);
    expect([...a.train, ...a.validation].sort()).toEqual(ids);
    expect(a.validation.length).toBeGreaterThan(20);
    expect(a.validation.length).toBeLessThan(60);
  });

  it('does not move existing documents when one is added', () => {
    // Act
    const before = splitDocuments(ids, { validationFraction: 0.2 });
    const after = splitDocuments([...ids, 'receipt-new'], { validationFraction: 0.2 });

    // Assess
    expect(after.validation.filter((id) => id !== 'receipt-new')).toEqual(before.validation);
  });

  it('changes the assignment with the seed', () => {
    // Act
    const a = splitDocuments(ids, { validationFraction: 0.2, seed: 'a' });
    const b = splitDocuments(ids, { validationFraction: 0.2, seed: 'b' });

    // Assess
    expect(a.validation).not.toEqual(b.validation);
  });

  it('puts at least one of two documents in each set, even with fraction 0', () => {
    // Act
    const split = splitDocuments(['a', 'b'], { validationFraction: 0 });

    // Assess
    expect(split.validation).toHaveLength(1);
    expect(split.train).toHaveLength(1);
  });

  it('keeps a single document for training', () => {
    expect(splitDocuments(['only'], { validationFraction: 0.5 })).toEqual({ train: ['only'], validation: [] });
  });

  it('refuses a fraction outside [0, 1) and duplicate ids', () => {
    expect(() => splitDocuments(ids, { validationFraction: 1 })).toThrow(InvalidInputError);
    expect(() => splitDocuments(['a', 'a'], { validationFraction: 0.2 })).toThrow(InvalidInputError);
  });
});

describe('datasetFingerprint', () => {
  const docs = [
    { id: 'a', contentHash: 'c1', annotationHash: 'h1' },
    { id: 'b', contentHash: 'c2', annotationHash: 'h2' },
  ];

  it('is 16 hex chars and ignores document and key order', () => {
    // Act
    const one = datasetFingerprint({ schemaVersion: 1, documents: docs, labelling: { x: 1, y: 2 } });
    const two = datasetFingerprint({ schemaVersion: 1, documents: [...docs].reverse(), labelling: { y: 2, x: 1 } });

    // Assess
    expect(one).toMatch(/^[0-9a-f]{16}$/);
    expect(two).toBe(one);
  });

  it('changes with content, annotation, schema version or labelling config', () => {
    // Prepare
    const base = datasetFingerprint({ schemaVersion: 1, documents: docs, labelling: { x: 1 } });
    const variants = [
      datasetFingerprint({ schemaVersion: 1, documents: [{ ...docs[0]!, contentHash: 'c9' }, docs[1]!], labelling: { x: 1 } }),
      datasetFingerprint({ schemaVersion: 1, documents: [{ ...docs[0]!, annotationHash: 'h9' }, docs[1]!], labelling: { x: 1 } }),
      datasetFingerprint({ schemaVersion: 2, documents: docs, labelling: { x: 1 } }),
      datasetFingerprint({ schemaVersion: 1, documents: docs, labelling: { x: 2 } }),
      datasetFingerprint({ schemaVersion: 1, documents: docs.slice(1), labelling: { x: 1 } }),
    ];

    // Assess
    expect(new Set([base, ...variants]).size).toBe(6);
  });
});
