import { describe, expect, it } from 'vitest';
import { multiPagePdf, multiPageTiff, withEncryptMarker } from '../../../local/synth';
import { renderReceipt } from '../local/helpers';
import { createCanvas } from '@napi-rs/canvas';
import { describeUnsupportedBytes, detectFileType, inspectDocument, routeForTextract, TEXTRACT_LIMITS } from '../../../src/documents';

const MB = 1024 * 1024;
const png = renderReceipt(['TOTAL 1.00'], { width: 200, height: 100 }).png;
const jpeg = (() => {
  const canvas = createCanvas(120, 60);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, 120, 60);
  return canvas.toBuffer('image/jpeg');
})();

describe('detectFileType', () => {
  it('recognises each supported type by its magic number, whatever its name', async () => {
    expect(detectFileType(png)).toBe('png');
    expect(detectFileType(jpeg)).toBe('jpeg');
    expect(detectFileType(multiPageTiff([['A']], { width: 40, height: 20 }))).toBe('tiff');
    expect(detectFileType(Buffer.from('MM\u0000*\u0000\u0000\u0000\u0008', 'latin1'))).toBe('tiff');
    expect(detectFileType(await multiPagePdf([['A']]))).toBe('pdf');
    // A PDF header after a little junk (allowed by readers) is still a PDF.
    expect(detectFileType(Buffer.from('\r\n%PDF-1.4\n', 'latin1'))).toBe('pdf');
  });

  it('calls everything else unknown and says what it is', () => {
    expect(detectFileType(Buffer.alloc(0))).toBe('unknown');
    expect(detectFileType(Buffer.from('GIF89a....'))).toBe('unknown');
    expect(describeUnsupportedBytes(Buffer.from('GIF89a\u0001\u0000'))).toBe('a GIF image');
    expect(describeUnsupportedBytes(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2]))).toMatch(/ZIP/);
    expect(describeUnsupportedBytes(Buffer.from('<!DOCTYPE html><html></html>'))).toBe('an HTML page');
    expect(describeUnsupportedBytes(Buffer.from('scanner notes\n'))).toBe('plain text');
    expect(describeUnsupportedBytes(Buffer.alloc(0))).toMatch(/0 bytes/);
  });
});

describe('inspectDocument', () => {
  it('counts pages of PDF and TIFF, one for images', async () => {
    expect(await inspectDocument(png)).toEqual({ ok: true, type: 'png', pages: 1, byteLength: png.length });
    expect(await inspectDocument(jpeg)).toMatchObject({ ok: true, type: 'jpeg', pages: 1 });
    expect(await inspectDocument(await multiPagePdf([['A'], ['B'], ['C']]))).toMatchObject({ ok: true, type: 'pdf', pages: 3 });
    expect(await inspectDocument(multiPageTiff([['A'], ['B']], { width: 40, height: 20 }))).toMatchObject({
      ok: true,
      type: 'tiff',
      pages: 2,
    });
  });

  it('finds empty, truncated, encrypted, corrupt and foreign files', async () => {
    const pdf = await multiPagePdf([['A'], ['B']]);
    const tiff = multiPageTiff([['A'], ['B']], { width: 40, height: 20 });
    const cases: [Uint8Array, string, RegExp][] = [
      [Buffer.alloc(0), 'empty', /empty/],
      [png.subarray(0, png.length - 30), 'truncated', /PNG is truncated/],
      [jpeg.subarray(0, jpeg.length - 2), 'truncated', /JPEG is truncated/],
      [pdf.subarray(0, pdf.length - 100), 'truncated', /PDF is truncated/],
      [tiff.subarray(0, tiff.length - 10), 'truncated', /TIFF is truncated: page 2/],
      [withEncryptMarker(pdf), 'encrypted', /encrypted/],
      [Buffer.from('%PDF-1.4\ngarbage\n%%EOF\n'), 'corrupt', /cannot be parsed|no pages/],
      [Buffer.from('name,total\nx,1\n'), 'unsupported-type', /plain text, not a PNG, JPEG, TIFF or PDF/],
    ];
    for (const [bytes, problem, reason] of cases) {
      const result = await inspectDocument(bytes);
      expect(result, problem).toMatchObject({ ok: false, problem });
      expect(result.ok ? '' : result.reason).toMatch(reason);
    }
  });
});

describe('truncation checks on real-world shapes', () => {
  it('tolerates bytes after the end of a PNG or JPEG (phones append trailers)', async () => {
    expect(await inspectDocument(Buffer.concat([png, Buffer.alloc(4096, 1)]))).toMatchObject({ ok: true, type: 'png' });
    expect(await inspectDocument(Buffer.concat([jpeg, Buffer.alloc(4096, 1)]))).toMatchObject({ ok: true, type: 'jpeg' });
  });

  it("is not fooled by an EXIF thumbnail's end marker when the main image is cut", async () => {
    // SOI, an APP1 segment holding a tiny "thumbnail" (FFD8 ... FFD9), then the real image's segments.
    const thumbnail = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    const app1Body = Buffer.concat([Buffer.from('Exif\u0000\u0000', 'latin1'), thumbnail]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (app1Body.length + 2) >> 8, (app1Body.length + 2) & 0xff]), app1Body]);
    const withThumbnail = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    expect(await inspectDocument(withThumbnail)).toMatchObject({ ok: true, type: 'jpeg' });
    expect(await inspectDocument(withThumbnail.subarray(0, withThumbnail.length - 2))).toMatchObject({ ok: false, problem: 'truncated' });
  });
});

describe('routeForTextract', () => {
  it('sends images and one-page PDF/TIFF up to 10 MB to the sync API, the rest to the async API', () => {
    expect(routeForTextract({ type: 'png', pages: 1, byteLength: 5 * MB })).toEqual({ ok: true, api: 'sync' });
    expect(routeForTextract({ type: 'jpeg', pages: 1, byteLength: 10 * MB })).toEqual({ ok: true, api: 'sync' });
    expect(routeForTextract({ type: 'pdf', pages: 1, byteLength: 1 * MB })).toEqual({ ok: true, api: 'sync' });
    expect(routeForTextract({ type: 'tiff', pages: 1, byteLength: 1 * MB })).toEqual({ ok: true, api: 'sync' });
    expect(routeForTextract({ type: 'pdf', pages: 2, byteLength: 1000 })).toEqual({ ok: true, api: 'async' });
    expect(routeForTextract({ type: 'tiff', pages: 3000, byteLength: 500 * MB })).toEqual({ ok: true, api: 'async' });
    // One page but over the sync size: the async API takes it.
    expect(routeForTextract({ type: 'pdf', pages: 1, byteLength: 10 * MB + 1 })).toEqual({ ok: true, api: 'async' });
  });

  it('refuses what is over the limits, saying which', () => {
    expect(routeForTextract({ type: 'png', pages: 1, byteLength: 10 * MB + 1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/10 MB limit for images/),
    });
    expect(routeForTextract({ type: 'pdf', pages: 3001, byteLength: MB })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/3001 pages.*3,000/),
    });
    expect(routeForTextract({ type: 'tiff', pages: 2, byteLength: 500 * MB + 1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/500 MB/),
    });
    expect(TEXTRACT_LIMITS).toEqual({
      sync: { maxBytes: 10 * MB, maxPages: 1 },
      async: { maxBytes: 500 * MB, maxPages: 3000, maxImageBytes: 10 * MB },
    });
  });
});
