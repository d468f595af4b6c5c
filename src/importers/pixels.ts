import { readFile } from 'node:fs/promises';
import { imageSize } from 'image-size';
import { InvalidInputError } from '../contracts/errors';
import type { PageBox } from '../contracts/annotation';

export interface PixelSize {
  readonly width: number;
  readonly height: number;
}

/** Width and height of an image file from its header (PNG, JPEG, TIFF: the first page), by image-size. */
export async function imagePixelSize(path: string): Promise<PixelSize> {
  let size: { width?: number; height?: number };
  try {
    size = imageSize(await readFile(path));
  } catch (error) {
    throw new InvalidInputError(`cannot read the pixel size of ${path}: ${(error as Error).message}`);
  }
  if (!size.width || !size.height) throw new InvalidInputError(`cannot read the pixel size of ${path}`);
  return { width: size.width, height: size.height };
}

/**
 * A pixel rectangle [x0, y0, x1, y1] as page ratios, clipped to the page (labelling tools let a box
 * stick out of the image). Undefined when nothing of it is on the page.
 */
export function pixelRectToPageBox(x0: number, y0: number, x1: number, y1: number, page: PixelSize): PageBox | undefined {
  const clip = (v: number, max: number): number => Math.min(Math.max(v, 0), max);
  const left = clip(Math.min(x0, x1), page.width);
  const right = clip(Math.max(x0, x1), page.width);
  const top = clip(Math.min(y0, y1), page.height);
  const bottom = clip(Math.max(y0, y1), page.height);
  if (right <= left || bottom <= top) return undefined;
  // Sizes from pixel differences, so 50 px of 1000 is exactly 0.05 (not 0.09 - 0.04).
  return { left: left / page.width, top: top / page.height, width: (right - left) / page.width, height: (bottom - top) / page.height };
}
