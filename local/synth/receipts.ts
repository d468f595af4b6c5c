import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import type { FieldsAnnotation } from '../../src/contracts/annotation';
import { deriveSeed, mulberry32, pick, randFloat, randInt, sample, type Rng } from './prng';

/**
 * Synthetic receipts with exact ground truth (annotation v1), for local end-to-end runs and tests.
 * Deterministic: the same (seed, index) always renders the same pixels and fields.
 */
export interface SyntheticReceipt {
  readonly id: string;
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  readonly annotation: FieldsAnnotation;
}

export interface GenerateOptions {
  readonly count: number;
  readonly seed: number;
  /** When set, writes `<id>.png` and `<id>.json` (the annotation) there, as in the documents prefix. */
  readonly outDir?: string;
}

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const FONTS = [
  { file: 'DejaVuSans.ttf', family: 'SynthSans' },
  { file: 'DejaVuSansMono.ttf', family: 'SynthMono' },
  { file: 'DejaVuSerif.ttf', family: 'SynthSerif' },
] as const;

let fontsRegistered = false;
function registerFonts(): void {
  if (fontsRegistered) return;
  for (const { file, family } of FONTS) {
    // Aliased family names: rendering must not silently fall back to another installed font.
    if (!GlobalFonts.registerFromPath(join(FONT_DIR, file), family)) throw new Error(`cannot load font ${file}`);
  }
  fontsRegistered = true;
}

const ADJECTIVES = ['BLUE', 'GOLDEN', 'GREEN', 'SILVER', 'RED', 'NORTH', 'OLD', 'BRIGHT', 'LITTLE', 'CEDAR'];
const NOUNS = ['HERON', 'OAK', 'HARBOUR', 'LANTERN', 'MEADOW', 'FOX', 'RIVER', 'BRIDGE', 'ORCHARD', 'ANCHOR'];
const KINDS = ['MARKET', 'GROCERS', 'BAKERY', 'DELI', 'PANTRY', 'STORES', 'CAFE', 'FOOD HALL'];
const STREETS = ['HARBOUR', 'MILL', 'CHURCH', 'STATION', 'QUEEN', 'PARK', 'HIGH', 'MARKET', 'BRIDGE', 'KING'];
const SUFFIXES = ['ST', 'ROAD', 'LANE', 'AVE', 'WAY'];
const CITIES = ['PORTSMOUTH', 'LEEDS', 'BRISTOL', 'YORK', 'NORWICH', 'EXETER', 'DERBY', 'BATH', 'CARDIFF'];
const ITEMS = [
  'OAT MILK',
  'SOURDOUGH LOAF',
  'FREE RANGE EGGS',
  'BANANAS',
  'CHEDDAR CHEESE',
  'GREEK YOGURT',
  'COFFEE BEANS',
  'ORANGE JUICE',
  'PASTA',
  'TOMATOES',
  'OLIVE OIL',
  'RICE',
  'APPLES',
  'BUTTER',
  'DARK CHOCOLATE',
  'GREEN TEA',
  'PEANUT BUTTER',
  'SPARKLING WATER',
  'HONEY',
  'CARROTS',
];
const CASHIERS = ['ANNA', 'TOM', 'PRIYA', 'LEE', 'MARTA', 'OWEN', 'SAM'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Row =
  | { readonly kind: 'center' | 'left'; readonly text: string }
  | { readonly kind: 'pair'; readonly left: string; readonly right: string }
  | { readonly kind: 'gap' };

const money = (cents: number) => (cents / 100).toFixed(2);
const pad2 = (n: number) => String(n).padStart(2, '0');

function formatDate(rng: Rng): string {
  const y = randInt(rng, 2019, 2026);
  const m = randInt(rng, 1, 12);
  const d = randInt(rng, 1, 28);
  return pick(rng, [
    `${y}-${pad2(m)}-${pad2(d)}`,
    `${pad2(d)}/${pad2(m)}/${y}`,
    `${pad2(m)}/${pad2(d)}/${y}`,
    `${d} ${MONTHS[m - 1]} ${y}`,
    `${pad2(d)}.${pad2(m)}.${y}`,
  ]);
}

/** Content and ground truth of one receipt. */
function compose(rng: Rng): { rows: Row[]; annotation: FieldsAnnotation } {
  const company = `${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)} ${pick(rng, KINDS)}`;
  const address = `${randInt(rng, 1, 299)} ${pick(rng, STREETS)} ${pick(rng, SUFFIXES)}, ${pick(rng, CITIES)}`;
  const date = formatDate(rng);
  const currency = rng() < 0.3 ? '$' : '';
  const names = sample(rng, ITEMS, randInt(rng, 2, 6));
  const cents = names.map(() => randInt(rng, 50, 2999));
  const subtotal = cents.reduce((a, b) => a + b, 0);
  const tax = Math.round(subtotal * pick(rng, [0.05, 0.08, 0.1, 0.2]));
  const total = subtotal + tax;
  const time = `${pad2(randInt(rng, 7, 21))}:${pad2(randInt(rng, 0, 59))}`;

  const rows: Row[] = [
    { kind: 'center', text: company },
    { kind: 'center', text: address },
    { kind: 'center', text: `TEL ${randInt(rng, 100, 999)} ${randInt(rng, 1000, 9999)} ${randInt(rng, 100, 999)}` },
    { kind: 'gap' },
    { kind: 'pair', left: `DATE ${date}`, right: time },
    { kind: 'left', text: `RECEIPT NO ${randInt(rng, 10000, 99999)}` },
    { kind: 'gap' },
    ...names.map((name, i): Row => ({ kind: 'pair', left: name, right: currency + money(cents[i] ?? 0) })),
    { kind: 'gap' },
    { kind: 'pair', left: 'SUBTOTAL', right: currency + money(subtotal) },
    { kind: 'pair', left: 'TAX', right: currency + money(tax) },
    { kind: 'pair', left: 'TOTAL', right: currency + money(total) },
    { kind: 'gap' },
    { kind: 'left', text: `CASHIER ${pick(rng, CASHIERS)}` },
    { kind: 'center', text: 'THANK YOU' },
  ];
  const annotation: FieldsAnnotation = {
    schemaVersion: 1,
    fields: {
      company,
      address,
      date,
      item_name: names,
      item_price: cents.map(money),
      subtotal: money(subtotal),
      tax: money(tax),
      total: money(total),
    },
  };
  return { rows, annotation };
}

function render(rng: Rng, rows: readonly Row[]): { png: Buffer; width: number; height: number } {
  const width = randInt(rng, 500, 700);
  const font = pick(rng, FONTS).family;
  // >= 18 px and dark ink: the generator feeds OCR, it is not an OCR robustness test.
  const size = randInt(rng, 18, 24);
  const lineHeight = Math.round(size * randFloat(rng, 1.35, 1.7));
  const margin = randInt(rng, 24, 48);
  const headerCentered = rng() < 0.6;
  const height = margin * 2 + rows.reduce((h, r) => h + (r.kind === 'gap' ? Math.round(lineHeight / 2) : lineHeight), 0);

  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const paper = randInt(rng, 236, 252);
  ctx.fillStyle = `rgb(${paper},${paper},${paper - randInt(rng, 0, 6)})`;
  ctx.fillRect(0, 0, width, height);

  const angle = rng() < 0.3 ? randFloat(rng, 1, 2) * (rng() < 0.5 ? -1 : 1) : 0;
  if (angle !== 0) {
    ctx.translate(width / 2, height / 2);
    ctx.rotate((angle * Math.PI) / 180);
    ctx.translate(-width / 2, -height / 2);
  }
  const ink = randInt(rng, 0, 50);
  ctx.fillStyle = `rgb(${ink},${ink},${ink})`;
  ctx.font = `${size}px ${font}`;
  ctx.textBaseline = 'top';
  drawRows(ctx, rows, { width, margin, lineHeight, headerCentered });
  ctx.setTransform(1, 0, 0, 1, 0, 0);

  // Speckles: small, light-to-mid gray dots, as on a cheap scan.
  for (let i = randInt(rng, 40, 160); i > 0; i--) {
    const g = randInt(rng, 90, 200);
    ctx.fillStyle = `rgb(${g},${g},${g})`;
    ctx.fillRect(randFloat(rng, 0, width), randFloat(rng, 0, height), randFloat(rng, 0.8, 2), randFloat(rng, 0.8, 2));
  }
  return { png: canvas.toBuffer('image/png'), width, height };
}

function drawRows(
  ctx: SKRSContext2D,
  rows: readonly Row[],
  layout: { width: number; margin: number; lineHeight: number; headerCentered: boolean },
): void {
  const { width, margin, lineHeight, headerCentered } = layout;
  let y = margin;
  for (const row of rows) {
    if (row.kind === 'gap') {
      y += Math.round(lineHeight / 2);
      continue;
    }
    if (row.kind === 'pair') {
      ctx.textAlign = 'left';
      ctx.fillText(row.left, margin, y);
      ctx.textAlign = 'right';
      ctx.fillText(row.right, width - margin, y);
    } else if (row.kind === 'center' && headerCentered) {
      ctx.textAlign = 'center';
      ctx.fillText(row.text, width / 2, y);
    } else {
      ctx.textAlign = 'left';
      ctx.fillText(row.text, margin, y);
    }
    y += lineHeight;
  }
}

export async function generateReceipts(options: GenerateOptions): Promise<SyntheticReceipt[]> {
  const { count, seed, outDir } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  registerFonts();
  const receipts: SyntheticReceipt[] = [];
  for (let index = 0; index < count; index++) {
    const rng = mulberry32(deriveSeed(seed, index));
    const { rows, annotation } = compose(rng);
    const image = render(rng, rows);
    receipts.push({ id: `synth-${seed}-${String(index).padStart(4, '0')}`, annotation, ...image });
  }
  if (outDir !== undefined) {
    await mkdir(outDir, { recursive: true });
    for (const r of receipts) {
      await writeFile(join(outDir, `${r.id}.png`), r.png);
      await writeFile(join(outDir, `${r.id}.json`), `${JSON.stringify(r.annotation, null, 2)}\n`);
    }
  }
  return receipts;
}
