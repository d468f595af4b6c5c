import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alignAnnotation, annotationSchema } from '../../../src/dataset/index';
import { InvalidInputError } from '../../../src/contracts/errors';
import { readGroundTruthManifest } from '../../../src/importers';
import type { OcrPage } from '../../../src/textract/index';
import { collect, fixtureDir, skipRecorder, type FixtureDir } from './fixtures';

/** One output line the way Ground Truth writes it (label attribute "receipt-boxes"). */
const line = (sourceRef: string, annotations: object[], classMap: Record<string, string> = { '0': 'Company', '1': 'Total Amount' }) =>
  JSON.stringify({
    'source-ref': sourceRef,
    'receipt-boxes': { image_size: [{ width: 800, height: 1000, depth: 3 }], annotations },
    'receipt-boxes-metadata': {
      objects: annotations.map(() => ({ confidence: 0.93 })),
      'class-map': classMap,
      type: 'groundtruth/object-detection',
      'human-annotated': 'yes',
      'creation-date': '2026-03-14T10:00:00.000000',
      'job-name': 'labeling-job/receipt-boxes',
    },
  });

let fixture: FixtureDir;
beforeEach(async () => {
  fixture = await fixtureDir();
});
afterEach(async () => {
  await fixture.remove();
});

describe('readGroundTruthManifest', () => {
  it('turns pixel boxes and the class map into labelled boxes in page ratios, clipped to the image', async () => {
    // Prepare
    await fixture.png('images/r1.png', 800, 1000);
    const manifest = await fixture.text(
      'output.manifest',
      [
        line('images/r1.png', [
          { class_id: 0, left: 80, top: 40, width: 400, height: 50 },
          { class_id: 1, left: 600, top: 900, width: 300, height: 150 }, // sticks out right and bottom
        ]),
      ].join('\n'),
    );

    // Act
    const documents = await collect(readGroundTruthManifest(manifest));

    // Assess
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document?.id).toBe('r1');
    expect(document?.documentPath).toBe(`${fixture.dir}/images/r1.png`);
    expect(annotationSchema.parse(document?.annotation)).toEqual({
      schemaVersion: 1,
      boxes: [
        { label: 'company', box: { left: 0.1, top: 0.04, width: 0.5, height: 0.05 } },
        { label: 'total_amount', box: { left: 0.75, top: 0.9, width: 0.25, height: 0.1 } },
      ],
    });
  });

  it('imports boxes that align onto the OCR words under them', async () => {
    // Prepare: OCR words in 0..1000 of the page; "ACME STORE" lies in the company box, "8.32" in the total box
    await fixture.png('r1.png', 800, 1000);
    const manifest = await fixture.text(
      'output.manifest',
      line('r1.png', [
        { class_id: 0, left: 80, top: 40, width: 400, height: 50 },
        { class_id: 1, left: 560, top: 390, width: 100, height: 40 },
      ]),
    );
    const ocr: OcrPage = {
      page: 1,
      width: 800,
      height: 1000,
      words: [
        { text: 'ACME', box: [120, 45, 250, 85], confidence: 99 },
        { text: 'STORE', box: [260, 45, 420, 85], confidence: 99 },
        { text: 'TOTAL', box: [100, 400, 250, 420], confidence: 99 },
        { text: '8.32', box: [710, 400, 800, 420], confidence: 99 },
      ],
    };

    // Act
    const [document] = await collect(readGroundTruthManifest(manifest));
    const alignment = alignAnnotation([ocr], document!.annotation);

    // Assess
    expect(alignment.labels).toEqual(['B-COMPANY', 'I-COMPANY', 'O', 'B-TOTAL_AMOUNT']);
    expect(alignment.unaligned).toEqual([]);
  });

  it('skips and reports lines it cannot use, and imports the rest', async () => {
    // Prepare
    await fixture.png('a.png', 800, 1000);
    await fixture.png('b.png', 800, 1000);
    await fixture.png('sub/a.png', 800, 1000);
    const failed = JSON.stringify({
      'source-ref': 'c.png',
      'receipt-boxes-metadata': { 'failure-reason': 'ClientError: task expired', type: 'groundtruth/object-detection' },
    });
    const manifest = await fixture.text(
      'output.manifest',
      [
        line('a.png', [{ class_id: 0, left: 0, top: 0, width: 10, height: 10 }]),
        failed,
        '{not json',
        line('b.png', [{ class_id: 7, left: 0, top: 0, width: 10, height: 10 }]),
        line('missing.png', []),
        line('sub/a.png', []),
        line('https://example.com/x.png', []),
        '',
      ].join('\n'),
    );
    const { skipped, onSkip } = skipRecorder();

    // Act
    const documents = await collect(readGroundTruthManifest(manifest, { onSkip }));

    // Assess
    expect(documents.map((d) => d.id)).toEqual(['a']);
    expect(skipped.map(([item]) => item)).toEqual([
      'output.manifest line 3',
      'output.manifest line 2 (c.png)',
      'output.manifest line 4 (b.png)',
      'output.manifest line 5 (missing.png)',
      'output.manifest line 6 (sub/a.png)',
      'output.manifest line 7 (https://example.com/x.png)',
    ]);
    const reasons = skipped.map(([, reason]) => reason);
    expect(reasons[0]).toMatch(/^not JSON/);
    expect(reasons[1]).toBe('labelling failed: ClientError: task expired');
    expect(reasons[2]).toMatch(/class_id 7 is not in the class-map/);
    expect(reasons[3]).toMatch(/missing\.png does not exist/);
    expect(reasons[4]).toMatch(/same file name as a\.png: both would be document "a"/);
    expect(reasons[5]).toMatch(/only s3:\/\/ URIs, file:\/\/ URIs and local paths/);
  });

  it('says how to download images that are only in S3, before importing anything', async () => {
    // Prepare
    const manifest = await fixture.text('output.manifest', line('s3://my-labels/jobs/receipts/img/r1.png', []));

    // Act
    const result = collect(readGroundTruthManifest(manifest));

    // Assess
    await expect(result).rejects.toThrow(InvalidInputError);
    await expect(result).rejects.toThrow(
      /aws s3 sync s3:\/\/my-labels\/jobs\/receipts\/img\/ \.\/gt-images\/jobs\/receipts\/img\/[\s\S]*--images \.\/gt-images/,
    );
  });

  it('finds downloaded S3 images under --images by key, then by file name', async () => {
    // Prepare
    await fixture.png('dl/jobs/img/r1.png', 800, 1000);
    await fixture.png('dl/r2.png', 800, 1000);
    const manifest = await fixture.text(
      'output.manifest',
      [line('s3://my-labels/jobs/img/r1.png', []), line('s3://my-labels/other/r2.png', [])].join('\n'),
    );

    // Act
    const documents = await collect(readGroundTruthManifest(manifest, { imagesDir: `${fixture.dir}/dl` }));

    // Assess
    expect(documents.map((d) => d.documentPath)).toEqual([`${fixture.dir}/dl/jobs/img/r1.png`, `${fixture.dir}/dl/r2.png`]);
  });

  it('asks which label attribute to read when a manifest has several', async () => {
    // Prepare: a chained job added "verified-boxes" beside "receipt-boxes"
    await fixture.png('a.png', 800, 1000);
    const both = JSON.parse(line('a.png', [{ class_id: 0, left: 0, top: 0, width: 10, height: 10 }])) as Record<string, unknown>;
    both['verified-boxes'] = both['receipt-boxes'];
    both['verified-boxes-metadata'] = both['receipt-boxes-metadata'];
    const manifest = await fixture.text('output.manifest', JSON.stringify(both));

    // Act + Assess (the rejection is awaited at once, so it is never left unhandled)
    await expect(collect(readGroundTruthManifest(manifest))).rejects.toThrow(
      /several bounding-box label attributes \(receipt-boxes, verified-boxes\); choose one with --label-attribute/,
    );
    const chosen = await collect(readGroundTruthManifest(manifest, { labelAttribute: 'verified-boxes' }));
    expect(chosen).toHaveLength(1);
  });

  it('refuses two class names that would become one label', async () => {
    // Prepare
    await fixture.png('a.png', 800, 1000);
    const manifest = await fixture.text(
      'output.manifest',
      line(
        'a.png',
        [
          { class_id: 0, left: 0, top: 0, width: 10, height: 10 },
          { class_id: 1, left: 20, top: 0, width: 10, height: 10 },
        ],
        { '0': 'Total', '1': 'total' },
      ),
    );

    // Act
    const result = collect(readGroundTruthManifest(manifest));

    // Assess
    await expect(result).rejects.toThrow(/labels "Total" and "total" both become the label key "total"/);
  });
});
