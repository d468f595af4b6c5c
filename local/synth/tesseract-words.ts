import type { OcrPage, OcrWord } from '../../src/contracts/ocr-document';

/** Structural subset of tesseract.js's `Page` (recognize(..., { blocks: true })). */
export interface TesseractPageLike {
  readonly blocks:
    | readonly {
        readonly paragraphs: readonly {
          readonly lines: readonly {
            readonly words: readonly {
              readonly text: string;
              readonly confidence: number;
              readonly bbox: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number };
            }[];
          }[];
        }[];
      }[]
    | null;
}

/** tesseract.js output as a contract-2 page (tesseract's block/line order is its reading order). */
export function tesseractToOcrPage(data: TesseractPageLike, width: number, height: number, page = 1): OcrPage {
  const scale = (v: number, size: number) => Math.min(1000, Math.max(0, Math.round((v / size) * 1000)));
  const words: OcrWord[] = [];
  for (const block of data.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        for (const word of line.words) {
          const text = word.text.trim();
          if (text === '') continue;
          words.push({
            text,
            box: [scale(word.bbox.x0, width), scale(word.bbox.y0, height), scale(word.bbox.x1, width), scale(word.bbox.y1, height)],
            confidence: Math.min(100, Math.max(0, word.confidence)),
          });
        }
      }
    }
  }
  return { page, width, height, words };
}
