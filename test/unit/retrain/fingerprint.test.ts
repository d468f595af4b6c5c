/** The training fingerprint (src/retrain/fingerprint.ts): what changes it and what does not. */
import { describe, expect, it } from 'vitest';
import { trainingFingerprint, type TrainingFingerprintInput } from '../../../src/retrain/fingerprint';

const base: TrainingFingerprintInput = {
  documentsPrefix: 'uploads/receipts/',
  objects: [
    { key: 'uploads/receipts/a.png', etag: 'e1', size: 100 },
    { key: 'uploads/receipts/a.json', etag: 'e2', size: 10 },
  ],
  imageDigest: 'sha256:' + 'a'.repeat(64),
  hyperparameters: { epochs: '5' },
  dataset: { validationFraction: 0.2, pageImages: false, locale: null, fieldNames: {} },
  modelChannelUri: null,
  warmStart: 'none',
};
const fp = (change: Partial<TrainingFingerprintInput>): string => trainingFingerprint({ ...base, ...change });

describe('trainingFingerprint', () => {
  it('is a 64-hex sha256, the same for the same inputs whatever the key order of the hyperparameters', () => {
    expect(fp({})).toMatch(/^[0-9a-f]{64}$/);
    expect(fp({ hyperparameters: { epochs: '5' } })).toBe(fp({}));
    expect(fp({ hyperparameters: { seed: '1', epochs: '5' } })).toBe(fp({ hyperparameters: { epochs: '5', seed: '1' } }));
  });

  it('ignores the documents prefix (the same folder uploaded elsewhere) and folder placeholder objects', () => {
    const moved = base.objects.map((o) => ({ ...o, key: o.key.replace('uploads/receipts/', 'documents/') }));
    expect(fp({ documentsPrefix: 'documents/', objects: moved })).toBe(fp({}));
    expect(fp({ objects: [...base.objects, { key: 'uploads/receipts/sub/', etag: 'x', size: 0 }] })).toBe(fp({}));
  });

  it.each([
    ['a changed document (ETag)', { objects: [{ key: 'uploads/receipts/a.png', etag: 'e9', size: 100 }, base.objects[1]!] }],
    ['a changed annotation (size)', { objects: [base.objects[0]!, { key: 'uploads/receipts/a.json', etag: 'e2', size: 11 }] }],
    ['a new document', { objects: [...base.objects, { key: 'uploads/receipts/b.png', etag: 'e3', size: 5 }] }],
    ['a removed document', { objects: base.objects.slice(1) }],
    ['another training image', { imageDigest: 'sha256:' + 'b'.repeat(64) }],
    ['other hyperparameters', { hyperparameters: { epochs: '6' } }],
    ['another validation split', { dataset: { validationFraction: 0.3, pageImages: false, locale: null, fieldNames: {} } }],
    ['page images', { dataset: { validationFraction: 0.2, pageImages: true, locale: null, fieldNames: {} } }],
    ['a locale', { dataset: { validationFraction: 0.2, pageImages: false, locale: 'en-US', fieldNames: {} } }],
    ['field names', { dataset: { validationFraction: 0.2, pageImages: false, locale: null, fieldNames: { total: ['Endsumme'] } } }],
    ['a pretrained model channel', { modelChannelUri: 's3://b/pretrained/x/' }],
    ['warm start', { warmStart: 'champion' as const }],
  ])('changes with %s', (_what, change) => {
    expect(fp(change)).not.toBe(fp({}));
  });
});
