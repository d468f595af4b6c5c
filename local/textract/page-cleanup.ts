/**
 * Page clean-up before a page is read again, for the pages whose first reading was noise (ocr.ts decides;
 * reading-signs.ts measures). Tesseract binarises a page with one global (Otsu) threshold: on a faded
 * thermal print on grey paper beside a dark scanner border the threshold falls between the border and the
 * paper, so paper and print come out the same colour and the page reads as noise or as nothing. Here, on
 * the 8-bit grayscale pixels ocr.ts hands tesseract (same size, so no word box moves):
 *
 * 1. the paper is found: the dark region reached from the image's edges (darker than the Otsu threshold of
 *    the page, flooded from the border) is a scanner bed or a margin, not ink, and is painted paper-white;
 * 2. the background (paper shade, uneven illumination) is estimated per block as a bright percentile of the
 *    paper pixels, smoothed, interpolated, and divided out, so the paper is white everywhere;
 * 3. the contrast is stretched on the paper itself: its darkest percentile (the print) goes to black;
 * 4. `adaptiveThreshold` (Sauvola, from integral images) binarises with a threshold per pixel from its
 *    neighbourhood's mean and spread, for pages where one global threshold still fails.
 *
 * Written here on plain pixel arrays: the project's image library (@napi-rs/canvas, Skia) draws and decodes
 * but has no such filters, and the operations are a few passes over the pixels.
 */

/** An 8-bit grayscale image, row-major. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** Otsu's threshold of a 256-bin histogram: the level that best separates the dark and the bright pixels. */
const otsuThreshold = (histogram: ArrayLike<number>): number => {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    total += histogram[i] ?? 0;
    sum += i * (histogram[i] ?? 0);
  }
  let below = 0;
  let sumBelow = 0;
  let best = 0;
  let bestVariance = -1;
  for (let t = 0; t < 256; t++) {
    below += histogram[t] ?? 0;
    sumBelow += t * (histogram[t] ?? 0);
    const above = total - below;
    if (below === 0 || above === 0) continue;
    const meanBelow = sumBelow / below;
    const meanAbove = (sum - sumBelow) / above;
    const variance = below * above * (meanBelow - meanAbove) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = t;
    }
  }
  return best;
};

const tally = (histogram: Uint32Array, level: number): void => {
  histogram[level] = (histogram[level] ?? 0) + 1;
};

const histogramOf = (pixels: Uint8Array, mask?: Uint8Array): Uint32Array => {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < pixels.length; i++) if (mask === undefined || mask[i] === 1) tally(histogram, pixels[i] ?? 0);
  return histogram;
};

/** Otsu's threshold of an image's pixels (of those under `mask` where given): its ink/paper split. */
export const otsuOf = (pixels: Uint8Array, mask?: Uint8Array): number => otsuThreshold(histogramOf(pixels, mask));

/** The level below which `share` of the histogram's pixels lie. */
const percentile = (histogram: ArrayLike<number>, share: number): number => {
  let total = 0;
  for (let i = 0; i < 256; i++) total += histogram[i] ?? 0;
  const wanted = share * total;
  let seen = 0;
  for (let i = 0; i < 256; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= wanted && seen > 0) return i;
  }
  return 255;
};

/**
 * A dark region reached from the image's edges counts as border when it covers at least this share of the
 * image (a few dark pixels of print touching the edge do not).
 */
const MIN_BORDER_SHARE = 0.05;
/** The border must be this much darker than the paper's Otsu split to be told from it. */
const MIN_BORDER_CONTRAST = 40;

/**
 * 1 for the paper's pixels, 0 for the border: the pixels darker than the page's Otsu threshold that are
 * connected (4-neighbours) to the image's edge, when they are a border (MIN_BORDER_SHARE) distinctly darker
 * than the rest; else every pixel is paper.
 */
export const paperMask = (image: GrayImage): Uint8Array => {
  const { width, height, pixels } = image;
  const mask = new Uint8Array(width * height).fill(1);
  const threshold = otsuOf(pixels);
  const dark = (i: number): boolean => (pixels[i] ?? 255) <= threshold;
  const stack: number[] = [];
  const push = (i: number): void => {
    if (mask[i] === 1 && dark(i)) {
      mask[i] = 0;
      stack.push(i);
    }
  };
  for (let x = 0; x < width; x++) {
    push(x);
    push((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    push(y * width);
    push(y * width + width - 1);
  }
  let border = 0;
  let borderSum = 0;
  while (stack.length > 0) {
    const i = stack.pop() ?? 0;
    border += 1;
    borderSum += pixels[i] ?? 0;
    const x = i % width;
    if (x > 0) push(i - 1);
    if (x < width - 1) push(i + 1);
    if (i >= width) push(i - width);
    if (i < (height - 1) * width) push(i + width);
  }
  if (border === 0 || border < MIN_BORDER_SHARE * width * height) return mask.fill(1);
  let paper = 0;
  let paperSum = 0;
  for (let i = 0; i < pixels.length; i++) {
    if (mask[i] === 1) {
      paper += 1;
      paperSum += pixels[i] ?? 0;
    }
  }
  if (paper === 0 || paperSum / paper - borderSum / border < MIN_BORDER_CONTRAST) return mask.fill(1);
  return mask;
};

/** The background is estimated on blocks of this share of the page's shorter side (at least 16 px). */
const BLOCK_SHARE = 1 / 24;
/** The paper's shade in a block: this percentile of its paper pixels (print is darker, and rarer). */
const BACKGROUND_PERCENTILE = 0.9;
/** After flattening, this percentile of the paper's pixels is taken as the print's level and goes to black. */
const INK_PERCENTILE = 0.01;
/** A page whose paper spans fewer levels than this after flattening has nothing to stretch (a blank page). */
const MIN_RANGE = 8;

/**
 * Steps 1-3: border painted white, background divided out, contrast stretched on the paper. Returns a new
 * image of the same size.
 */
export const normalisePage = (image: GrayImage): GrayImage => {
  const { width, height } = image;
  const mask = paperMask(image);
  // The border takes the paper's shade before smoothing, so that it does not darken the paper's edge.
  const paperShade = percentile(histogramOf(image.pixels, mask), BACKGROUND_PERCENTILE);
  const pixels = smooth3x3({ width, height, pixels: image.pixels.map((v, i) => (mask[i] === 1 ? v : paperShade)) });
  const block = Math.max(16, Math.round(Math.min(width, height) * BLOCK_SHARE));
  const bw = Math.ceil(width / block);
  const bh = Math.ceil(height / block);
  // Background per block: a bright percentile of its paper pixels; blocks without paper take their neighbours'.
  const background = new Float64Array(bw * bh).fill(-1);
  const histogram = new Uint32Array(256);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      histogram.fill(0);
      let count = 0;
      for (let y = by * block; y < Math.min(height, (by + 1) * block); y++) {
        for (let x = bx * block; x < Math.min(width, (bx + 1) * block); x++) {
          const i = y * width + x;
          if (mask[i] === 1) {
            tally(histogram, pixels[i] ?? 0);
            count += 1;
          }
        }
      }
      if (count >= (block * block) / 8) background[by * bw + bx] = percentile(histogram, BACKGROUND_PERCENTILE);
    }
  }
  fillUnknown(background, bw, bh);
  const smooth = boxSmooth(background, bw, bh);
  // Flatten: pixel / background, paper -> 255; the border -> 255.
  const flat = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(bh - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(bh - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask[i] === 0) {
        flat[i] = 255;
        continue;
      }
      const fx = Math.min(bw - 1, Math.max(0, (x + 0.5) / block - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(bw - 1, x0 + 1);
      const tx = fx - x0;
      const top = (smooth[y0 * bw + x0] ?? 255) * (1 - tx) + (smooth[y0 * bw + x1] ?? 255) * tx;
      const bottom = (smooth[y1 * bw + x0] ?? 255) * (1 - tx) + (smooth[y1 * bw + x1] ?? 255) * tx;
      const bg = Math.max(1, top * (1 - ty) + bottom * ty);
      flat[i] = Math.min(255, Math.round(((pixels[i] ?? 0) * 255) / bg));
    }
  }
  // Stretch on the paper: its print level -> 0, the paper (255 after flattening) stays 255.
  const low = percentile(histogramOf(flat, mask), INK_PERCENTILE);
  if (255 - low < MIN_RANGE) return { width, height, pixels: flat };
  const scale = 255 / (255 - low);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < flat.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(((flat[i] ?? 255) - low) * scale)));
  return { width, height, pixels: out };
};

/**
 * A 3x3 mean of the pixels: paper grain and scanner noise as strong as a faded print's contrast would
 * otherwise come back as specks around and inside its strokes; at receipt sizes a stroke is wider than 3 px.
 */
const smooth3x3 = ({ width, height, pixels }: GrayImage): Uint8Array => {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
          sum += pixels[yy * width + xx] ?? 0;
          n += 1;
        }
      }
      out[y * width + x] = Math.round(sum / n);
    }
  }
  return out;
};

/** Blocks still unknown (-1) take the mean of their known neighbours, repeatedly; all unknown: white. */
const fillUnknown = (grid: Float64Array, w: number, h: number): void => {
  if (!grid.some((v) => v >= 0)) {
    grid.fill(255);
    return;
  }
  for (let changed = true; changed;) {
    changed = false;
    const next = Float64Array.from(grid);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if ((grid[y * w + x] ?? 0) >= 0) continue;
        let sum = 0;
        let n = 0;
        for (const [dx, dy] of [
          [-1, 0],
          [1, 0],
          [0, -1],
          [0, 1],
        ] as const) {
          const nx = x + dx;
          const ny = y + dy;
          const v = nx >= 0 && ny >= 0 && nx < w && ny < h ? (grid[ny * w + nx] ?? -1) : -1;
          if (v >= 0) {
            sum += v;
            n += 1;
          }
        }
        if (n > 0) {
          next[y * w + x] = sum / n;
          changed = true;
        }
      }
    }
    grid.set(next);
  }
};

/**
 * 3x3 smoothing of the block grid taking each block's brightest neighbourhood into account: the max of the
 * block and the mean of its neighbourhood, so a block filled by a large heading does not read as dark paper.
 */
const boxSmooth = (grid: Float64Array, w: number, h: number): Float64Array => {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          sum += grid[ny * w + nx] ?? 0;
          n += 1;
        }
      }
      out[y * w + x] = Math.max(grid[y * w + x] ?? 0, sum / n);
    }
  }
  return out;
};

/** Sauvola's k (how far below the local mean a pixel must be, scaled by the local spread) and its R. */
const SAUVOLA_K = 0.2;
const SAUVOLA_R = 128;

/**
 * Step 4: Sauvola binarisation (threshold = mean * (1 + k (deviation / R - 1)) over a window of the block
 * size around each pixel), ink 0, paper 255. Runs on a normalised page (normalisePage).
 */
export const adaptiveThreshold = (image: GrayImage): GrayImage => {
  const { width, height, pixels } = image;
  const w1 = width + 1;
  const sum = new Float64Array(w1 * (height + 1));
  const squares = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    let rowSquares = 0;
    for (let x = 0; x < width; x++) {
      const v = pixels[y * width + x] ?? 0;
      rowSum += v;
      rowSquares += v * v;
      sum[(y + 1) * w1 + x + 1] = (sum[y * w1 + x + 1] ?? 0) + rowSum;
      squares[(y + 1) * w1 + x + 1] = (squares[y * w1 + x + 1] ?? 0) + rowSquares;
    }
  }
  const half = Math.max(8, Math.round((Math.min(width, height) * BLOCK_SHARE) / 2));
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const ya = Math.max(0, y - half);
    const yb = Math.min(height, y + half + 1);
    for (let x = 0; x < width; x++) {
      const xa = Math.max(0, x - half);
      const xb = Math.min(width, x + half + 1);
      const n = (yb - ya) * (xb - xa);
      const s = (sum[yb * w1 + xb] ?? 0) - (sum[ya * w1 + xb] ?? 0) - (sum[yb * w1 + xa] ?? 0) + (sum[ya * w1 + xa] ?? 0);
      const q = (squares[yb * w1 + xb] ?? 0) - (squares[ya * w1 + xb] ?? 0) - (squares[yb * w1 + xa] ?? 0) + (squares[ya * w1 + xa] ?? 0);
      const mean = s / n;
      const deviation = Math.sqrt(Math.max(0, q / n - mean * mean));
      const threshold = mean * (1 + SAUVOLA_K * (deviation / SAUVOLA_R - 1));
      out[y * width + x] = (pixels[y * width + x] ?? 0) <= threshold ? 0 : 255;
    }
  }
  return { width, height, pixels: out };
};

/** The clean-up variants ocr.ts reads, in order: the normalised page (tesseract's own threshold on it), then binarised. */
export const CLEANUP_VARIANTS = ['normalised', 'binarised'] as const;
export type CleanupVariant = (typeof CLEANUP_VARIANTS)[number];

export const cleanPage = (image: GrayImage, variant: CleanupVariant): GrayImage => {
  const normalised = normalisePage(image);
  return variant === 'normalised' ? normalised : adaptiveThreshold(normalised);
};
