import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createWorker } from 'tesseract.js';
import { describe, expect, it } from 'vitest';
import { alignFields, fieldsAnnotationSchema } from '../../../src/dataset/index';
import { ocrPageSchema } from '../../../src/textract/index';
import { generateReceipts, tesseractToOcrPage } from '../../../local/synth/index';

const require = createRequire(import.meta.url);
const LANG_PATH = join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('generateReceipts', () => {
  it('is deterministic per seed and renders valid PNGs with valid annotations', async () => {
    // Act
    const a = await generateReceipts({ count: 3, seed: 42 });
    const b = await generateReceipts({ count: 3, seed: 42 });
    const c = await generateReceipts({ count: 1, seed: 43 });

    // Assess
    expect(a.map((r) => r.id)).toEqual(['synth-42-0000', 'synth-42-0001', 'synth-42-0002']);
    expect(b.map((r) => r.png.equals(a[b.indexOf(r)]!.png))).toEqual([true, true, true]);
    expect(b.map((r) => r.annotation)).toEqual(a.map((r) => r.annotation));
    expect(c[0]!.png.equals(a[0]!.png)).toBe(false);
    for (const r of a) {
      expect(r.png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(r.png.readUInt32BE(16)).toBe(r.width);
      expect(r.width).toBeGreaterThanOrEqual(500);
      expect(r.width).toBeLessThanOrEqual(700);
      const annotation = fieldsAnnotationSchema.parse(r.annotation);
      const names = annotation.fields['item_name'] as string[];
      const prices = annotation.fields['item_price'] as string[];
      expect(names.length).toBeGreaterThanOrEqual(2);
      expect(names.length).toBeLessThanOrEqual(6);
      expect(prices).toHaveLength(names.length);
      // Ground truth is arithmetic, not just plausible strings.
      const cents = (v: unknown) => Math.round(Number(v) * 100);
      expect(prices.reduce((s, p) => s + cents(p), 0)).toBe(cents(annotation.fields['subtotal']));
      expect(cents(annotation.fields['subtotal']) + cents(annotation.fields['tax'])).toBe(cents(annotation.fields['total']));
    }
  });

  it('does not depend on how many receipts are asked for', async () => {
    // Act
    const few = await generateReceipts({ count: 1, seed: 5 });
    const many = await generateReceipts({ count: 3, seed: 5 });

    // Assess
    expect(many[0]!.png.equals(few[0]!.png)).toBe(true);
  });

  // Generator + OCR + alignment fit together: what the generator renders, OCR reads and the aligner finds.
  it('renders receipts whose fields tesseract OCR + alignFields recover (>= 85% of values)', { timeout: 120_000 }, async () => {
    // Prepare
    const receipts = await generateReceipts({ count: 3, seed: 2026 });
    const worker = await createWorker('eng', 1, { langPath: LANG_PATH, gzip: true, cacheMethod: 'none' });
    let total = 0;
    let aligned = 0;
    const misses: string[] = [];
    try {
      for (const receipt of receipts) {
        // Act
        const { data } = await worker.recognize(receipt.png, {}, { blocks: true });
        const page = ocrPageSchema.parse(tesseractToOcrPage(data, receipt.width, receipt.height));
        const result = alignFields(page.words, receipt.annotation.fields);

        // Assess (collected)
        total += Object.values(receipt.annotation.fields).flat().length;
        aligned += result.spans.length;
        misses.push(...result.unaligned.map((u) => `${receipt.id} ${u.field}=${u.value} (${u.reason})`));
      }
    } finally {
      await worker.terminate();
    }

    // Assess
    expect(aligned / total, misses.join('\n')).toBeGreaterThanOrEqual(0.85);
  });
});
