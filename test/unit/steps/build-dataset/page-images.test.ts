/** writePageImages on local S3: PNG/JPEG documents are copied byte for byte, PDF/TIFF are skipped. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incompressiblePng, multiPagePdf, multiPageTiff } from '../../../../local/synth';
import { getBytes, listKeys } from '../../../../src/aws/s3-objects';
import { writePageImages } from '../../../../src/steps/build-dataset/page-images';
import { startLocalS3, type LocalS3 } from '../../local/helpers';
import { pageImageKey } from '../../../../src/contracts/s3-layout';

const BUCKET = 'page-images-test';
const DATASET = 'datasets/0123456789abcdef/';
let s3: LocalS3;

// Copied, never decoded: a JPEG signature and arbitrary bytes after it are enough.
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('not really a jpeg body')]);
const docs = {
  png: { id: 'shop/receipt 7', key: 'documents/shop/receipt 7.png' },
  jpeg: { id: 'photo', key: 'documents/photo.jpeg' },
  pdf: { id: 'letter', key: 'documents/letter.pdf' },
  tiff: { id: 'fax', key: 'documents/fax.tiff' },
  // The content decides, not the name: a PNG named .pdf is still copied, as a .png.
  misnamed: { id: 'misnamed', key: 'documents/misnamed.pdf' },
};
let png: Buffer;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  png = incompressiblePng(8, 8);
  const bodies: [string, Uint8Array][] = [
    [docs.png.key, png],
    [docs.jpeg.key, jpeg],
    [docs.pdf.key, await multiPagePdf([['ONE PAGE']])],
    [docs.tiff.key, multiPageTiff([['ONE PAGE']], { width: 100, height: 100 })],
    [docs.misnamed.key, png],
  ];
  for (const [key, body] of bodies) await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}, 60_000);

afterAll(async () => {
  await s3?.close();
});

describe('writePageImages', () => {
  it('copies PNG/JPEG documents to images/<record id>.<ext> and skips PDF/TIFF', async () => {
    const result = await writePageImages(s3.client, BUCKET, DATASET, Object.values(docs));

    expect(result).toEqual({ written: 3, skipped: ['letter', 'fax'] });
    expect(await listKeys(s3.client, BUCKET, `${DATASET}images/`)).toEqual(
      [
        pageImageKey(DATASET, 'misnamed', 'png'),
        pageImageKey(DATASET, 'photo', 'jpg'),
        pageImageKey(DATASET, 'shop/receipt 7', 'png'),
      ].sort(),
    );
    expect(pageImageKey(DATASET, 'shop/receipt 7', 'png')).toBe(`${DATASET}images/shop/receipt 7.png`);
    const read = async (key: string) => Buffer.from(await getBytes(s3.client, { bucket: BUCKET, key }));
    expect(await read(pageImageKey(DATASET, 'shop/receipt 7', 'png'))).toEqual(png);
    expect(await read(pageImageKey(DATASET, 'photo', 'jpg'))).toEqual(jpeg);
  });

  it('is idempotent: a second run writes the same keys', async () => {
    const before = await listKeys(s3.client, BUCKET, `${DATASET}images/`);
    await writePageImages(s3.client, BUCKET, DATASET, Object.values(docs));
    expect(await listKeys(s3.client, BUCKET, `${DATASET}images/`)).toEqual(before);
  });
});
