/**
 * The S3 layout (src/contracts/s3-layout.ts) pinned key by key: renaming or re-shaping any key the
 * system writes or reads fails here, and the keys the pipeline parses back (document id and annotation
 * from a listed key, a page image's record id) round-trip.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Uri, s3Uri } from '../../../src/aws/s3-objects';
import * as layout from '../../../src/contracts/s3-layout';
import { writeDocumentsLayout, type DocumentsSink } from '../../../src/importers/documents-layout';
import { pairDocuments } from '../../../src/steps/plan-batches/documents';

const RUN = 'weekly-2026-03-14';
const RUN_PREFIX = layout.runPrefix(RUN);
const FP = 'a1b2c3d4e5f6';
const DATASET = layout.datasetPrefix(FP);
const HASH = 'f'.repeat(64);

describe('S3 layout', () => {
  it.each([
    ['runPrefix', RUN_PREFIX, 'runs/weekly-2026-03-14/'],
    ['batchKey', layout.batchKey(RUN_PREFIX, 7), 'runs/weekly-2026-03-14/batches/batch-00007.json'],
    ['planQuarantineKey', layout.planQuarantineKey(RUN_PREFIX), 'runs/weekly-2026-03-14/plan/quarantined.json'],
    ['ocrMapItemsKey', layout.ocrMapItemsKey(RUN_PREFIX), 'runs/weekly-2026-03-14/plan/ocr-items.json'],
    ['ocrMapResultsPrefix', layout.ocrMapResultsPrefix(RUN_PREFIX), 'runs/weekly-2026-03-14/ocr-map'],
    ['ocrResultKey', layout.ocrResultKey(RUN_PREFIX, 12), 'runs/weekly-2026-03-14/ocr/batch-00012.json'],
    ['runManifestKey', layout.runManifestKey(RUN_PREFIX), 'runs/weekly-2026-03-14/dataset-manifest.json'],
    ['runReportKey', layout.runReportKey(RUN_PREFIX), 'runs/weekly-2026-03-14/report.html'],
    ['ocrCacheKey', layout.ocrCacheKey(HASH), `ocr-cache/${HASH}.json`],
    ['quarantinePrefix', layout.quarantinePrefix(RUN), 'quarantine/weekly-2026-03-14/'],
    [
      'quarantinedDocumentKey',
      layout.quarantinedDocumentKey(RUN, 'documents/shop/a.png'),
      'quarantine/weekly-2026-03-14/documents/shop/a.png',
    ],
    [
      'quarantineReasonKey',
      layout.quarantineReasonKey(RUN, 'documents/shop/a.png'),
      'quarantine/weekly-2026-03-14/documents/shop/a.png.reason.json',
    ],
    ['datasetPrefix', DATASET, 'datasets/a1b2c3d4e5f6/'],
    ['datasetShardName', layout.datasetShardName('validation', 3), 'validation-00003.jsonl'],
    ['datasetFileKey', layout.datasetFileKey(DATASET, layout.datasetShardName('train', 0)), 'datasets/a1b2c3d4e5f6/train-00000.jsonl'],
    ['datasetManifestKey', layout.datasetManifestKey(DATASET), 'datasets/a1b2c3d4e5f6/manifest.json'],
    ['datasetLabelsKey', layout.datasetLabelsKey(DATASET), 'datasets/a1b2c3d4e5f6/labels.json'],
    ['datasetSplitPrefix train', layout.datasetSplitPrefix(DATASET, 'train'), 'datasets/a1b2c3d4e5f6/train-'],
    ['datasetSplitPrefix validation', layout.datasetSplitPrefix(DATASET, 'validation'), 'datasets/a1b2c3d4e5f6/validation-'],
    ['pageImagesPrefix', layout.pageImagesPrefix(DATASET), 'datasets/a1b2c3d4e5f6/images/'],
    ['pageImageKey', layout.pageImageKey(DATASET, 'shop/receipt 7', 'png'), 'datasets/a1b2c3d4e5f6/images/shop/receipt 7.png'],
    ['checkpointPrefix', layout.checkpointPrefix('receipts', RUN), 'checkpoints/receipts/weekly-2026-03-14/'],
    ['modelOutputPrefix', layout.modelOutputPrefix('receipts'), 'models/receipts/'],
    ['uploadsPrefix', layout.uploadsPrefix('my receipts (2026)'), 'uploads/my-receipts-2026-/'],
    ['uploadsPrefix of a name with nothing usable', layout.uploadsPrefix('***'), 'uploads/-/'],
    ['annotationKeyFor', layout.annotationKeyFor('documents/2026/03/scan.JPG'), 'documents/2026/03/scan.json'],
    ['documentIdFor', layout.documentIdFor('documents/2026/03/scan.JPG', 'documents/'), '2026/03/scan'],
    ['documentKey', layout.documentKey('documents/', '2026/03/scan', '.pdf'), 'documents/2026/03/scan.pdf'],
    ['DEFAULT_DOCUMENTS_PREFIX', layout.DEFAULT_DOCUMENTS_PREFIX, 'documents/'],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('batch files sort in batch order as S3 lists them (lexicographically)', () => {
    const keys = [2, 10, 1, 9999].map((i) => layout.batchKey(RUN_PREFIX, i));
    expect([...keys].sort()).toEqual([1, 2, 10, 9999].map((i) => layout.batchKey(RUN_PREFIX, i)));
  });

  it.each(['receipt-0001', 'shop/receipt 7', '2026/03/v1.2.scan', 'ünïcode/ß'])('a document id round-trips through its keys: %s', (id) => {
    for (const prefix of ['documents/', 'uploads/my-receipts/', '']) {
      const key = layout.documentKey(prefix, id, '.png');
      expect(layout.documentIdFor(key, prefix)).toBe(id);
      expect(layout.documentIdFor(layout.annotationKeyFor(key), prefix)).toBe(id);
      expect(layout.annotationKeyFor(key)).toBe(layout.documentKey(prefix, id, layout.ANNOTATION_EXTENSION));
    }
  });

  it('a page image key gives back its record id (the trainer looks up <images>/<record id>.<ext>)', () => {
    const key = layout.pageImageKey(DATASET, 'shop/receipt 7', 'jpg');
    const relative = key.slice(layout.pageImagesPrefix(DATASET).length);
    expect(relative.slice(0, -'.jpg'.length)).toBe('shop/receipt 7');
  });

  it('the training job URIs built from the layout parse back to the layout keys', () => {
    const bucket = 'doctrain-dev-bucket';
    for (const key of [
      layout.checkpointPrefix('receipts', RUN),
      layout.modelOutputPrefix('receipts'),
      layout.datasetSplitPrefix(DATASET, 'train'),
    ]) {
      expect(parseS3Uri(s3Uri({ bucket, key }))).toEqual({ bucket, key });
    }
  });
});

describe('the documents layout written by an import is the one PlanBatches reads back', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'doctrain-layout-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ids, document keys and annotation keys survive write -> list -> pair', async () => {
    // Prepare: three documents, one in a sub-folder, one with dots in its name, an upper-case extension.
    const ids = ['receipt-0001', 'shop/receipt 7', 'v1.2.scan'];
    const files = ['a.png', 'b.JPG', 'c.pdf'];
    for (const file of files) await writeFile(path.join(dir, file), 'bytes');
    const written = new Map<string, string>();
    const prefix = 'uploads/batch-a/';
    const sink: DocumentsSink = {
      where: 'memory',
      put: (key, body) => {
        written.set(`${prefix}${key}`, String(body));
        return Promise.resolve();
      },
    };
    // Act
    await writeDocumentsLayout(
      ids.map((id, i) => ({
        id,
        documentPath: path.join(dir, files[i] ?? ''),
        annotation: { schemaVersion: 1, fields: { total: '1.00' } },
      })),
      sink,
    );
    const listing = pairDocuments([...written.keys()].sort(), prefix);
    // Assess
    expect(listing.quarantined).toEqual([]);
    expect(listing.documents.map((doc) => doc.id).sort()).toEqual([...ids].sort());
    for (const doc of listing.documents) expect(doc.annotationKey).toBe(layout.annotationKeyFor(doc.key));
    expect(listing.documents.find((doc) => doc.id === 'shop/receipt 7')?.key).toBe('uploads/batch-a/shop/receipt 7.jpg');
  });
});
