/**
 * Plain labelled words: one CSV or JSON file listing, per document, the words that carry a label.
 * Documents are named by their path relative to the file. Words not listed stay `O`.
 *
 * CSV (header row required; one row per word, rows of a document in reading order):
 *   document,text,label[,page][,entity][,left,top,width,height | ,x0,y0,x1,y1]
 *   receipts/r1.png,TOTAL,question,,1,,,,
 *   - `left,top,width,height`: the word's box as page ratios (0..1), as in the annotation contract;
 *   - `x0,y0,x1,y1`: the word's box in pixels of the image (PNG, JPEG, TIFF), converted to ratios;
 *   - no box columns, or empty cells: the word is matched by text in reading order;
 *   - `page`: 1-based, default 1; `entity`: words with the same id form one entity.
 * JSON:
 *   {"documents": [{"document": "receipts/r1.png",
 *                   "words": [{"text": "TOTAL", "label": "question", "entity": 1,
 *                              "box": {"left": 0.1, "top": 0.4, "width": 0.12, "height": 0.03}}]}]}
 * Labels may be any class name ("Total Amount"); they become label keys (`total_amount`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import * as z from 'zod';
import { pageBoxSchema, pageNumberSchema, type LabelledWord, type PageBox } from '../contracts/annotation';
import { InvalidInputError } from '../contracts/errors';
import { describeIssues } from '../validation';
import { LabelKeys } from './label-keys';
import { imagePixelSize, pixelRectToPageBox, type PixelSize } from './pixels';
import type { ImportedDocument, ImportOptions } from './types';

const RATIO_COLUMNS = ['left', 'top', 'width', 'height'] as const;
const PIXEL_COLUMNS = ['x0', 'y0', 'x1', 'y1'] as const;
const CSV_COLUMNS = ['document', 'text', 'label', 'page', 'entity', ...RATIO_COLUMNS, ...PIXEL_COLUMNS];

/** An empty CSV cell is an absent value. */
const optionalCell = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
const numberCell = optionalCell(z.coerce.number<string>().refine(Number.isFinite, { message: 'must be a number' }));

const csvRowSchema = z.strictObject({
  document: z.string().min(1),
  text: z.string().refine((text) => text.trim() !== '', { message: 'word text must not be blank' }),
  label: z.string().min(1),
  page: optionalCell(z.coerce.number<string>().pipe(pageNumberSchema)),
  entity: optionalCell(z.string()),
  left: numberCell,
  top: numberCell,
  width: numberCell,
  height: numberCell,
  x0: numberCell,
  y0: numberCell,
  x1: numberCell,
  y1: numberCell,
});

const jsonWordSchema = z.strictObject({
  text: z.string().refine((text) => text.trim() !== '', { message: 'word text must not be blank' }),
  label: z.string().min(1),
  page: pageNumberSchema.optional(),
  entity: z.union([z.string().min(1), z.number().int()]).optional(),
  box: pageBoxSchema.optional(),
});
const jsonSchema = z.strictObject({
  documents: z.array(z.strictObject({ document: z.string().min(1), words: z.array(jsonWordSchema) })),
});

/** A word as read, before its document is found: its box in ratios, or in pixels still to convert. */
interface RawWord {
  readonly text: string;
  readonly label: string;
  readonly page?: number | undefined;
  readonly entity?: string | number | undefined;
  readonly box?: PageBox | undefined;
  readonly pixels?: readonly [number, number, number, number] | undefined;
}

function readCsv(text: string, file: string): Map<string, RawWord[]> {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new InvalidInputError(`${file}: not a CSV file: ${(error as Error).message}`);
  }
  const header = rows[0] === undefined ? [] : Object.keys(rows[0]);
  const unknown = header.filter((column) => !CSV_COLUMNS.includes(column));
  if (unknown.length > 0)
    throw new InvalidInputError(`${file}: unknown column(s) ${unknown.join(', ')}; the columns are ${CSV_COLUMNS.join(', ')}`);
  const hasRatios = RATIO_COLUMNS.some((column) => header.includes(column));
  const hasPixels = PIXEL_COLUMNS.some((column) => header.includes(column));
  if (hasRatios && hasPixels)
    throw new InvalidInputError(`${file}: give boxes either as left,top,width,height (ratios) or as x0,y0,x1,y1 (pixels), not both`);

  const byDocument = new Map<string, RawWord[]>();
  rows.forEach((raw, index) => {
    const where = `${file} row ${index + 2}`;
    const row = csvRowSchema.safeParse(raw);
    if (!row.success) throw new InvalidInputError(`${where}: ${describeIssues(row.error.issues)}`);
    const r = row.data;
    const ratios = [r.left, r.top, r.width, r.height];
    const pixels = [r.x0, r.y0, r.x1, r.y1];
    const word: { -readonly [K in keyof RawWord]: RawWord[K] } = { text: r.text, label: r.label };
    if (r.page !== undefined) word.page = r.page;
    if (r.entity !== undefined) word.entity = r.entity;
    if (ratios.every((v) => v !== undefined)) {
      const box = pageBoxSchema.safeParse({ left: r.left, top: r.top, width: r.width, height: r.height });
      if (!box.success) throw new InvalidInputError(`${where}: box ${describeIssues(box.error.issues)}`);
      word.box = box.data;
    } else if (pixels.every((v) => v !== undefined)) {
      word.pixels = [r.x0 ?? 0, r.y0 ?? 0, r.x1 ?? 0, r.y1 ?? 0];
    } else if ([...ratios, ...pixels].some((v) => v !== undefined)) {
      throw new InvalidInputError(`${where}: a box needs all four of its cells (or none)`);
    }
    const list = byDocument.get(r.document) ?? [];
    list.push(word);
    byDocument.set(r.document, list);
  });
  return byDocument;
}

function readJson(text: string, file: string): Map<string, RawWord[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const parsed = jsonSchema.safeParse(json);
  if (!parsed.success) throw new InvalidInputError(`${file}: ${describeIssues(parsed.error.issues)}`);
  const byDocument = new Map<string, RawWord[]>();
  for (const entry of parsed.data.documents) byDocument.set(entry.document, [...(byDocument.get(entry.document) ?? []), ...entry.words]);
  return byDocument;
}

/** `receipts/r1.png` -> `receipts/r1`; a path leaving the file's folder keeps only its file name. */
function documentId(document: string): string {
  const relative = path.posix.normalize(document.replaceAll('\\', '/')).replace(/^\.\//, '');
  const inside = !relative.startsWith('../') && !path.posix.isAbsolute(relative) ? relative : path.posix.basename(relative);
  return inside.slice(0, inside.length - path.posix.extname(inside).length);
}

export async function* readLabelledWords(file: string, options: ImportOptions = {}): AsyncIterable<ImportedDocument> {
  const source = path.resolve(file);
  const extension = path.extname(source).toLowerCase();
  if (extension !== '.csv' && extension !== '.json') {
    throw new InvalidInputError(`${source}: labelled words come in a .csv or .json file (see docs/CONTRACTS.md, "Import formats")`);
  }
  const text = await readFile(source, 'utf8');
  const byDocument = extension === '.csv' ? readCsv(text, path.basename(source)) : readJson(text, path.basename(source));
  const skip = options.onSkip ?? (() => undefined);
  const labelKeys = new LabelKeys();
  for (const [document, rawWords] of byDocument) {
    const documentPath = path.resolve(path.dirname(source), document);
    if (!existsSync(documentPath)) {
      skip(document, `${documentPath} does not exist`);
      continue;
    }
    let size: PixelSize | undefined;
    if (rawWords.some((w) => w.pixels !== undefined)) {
      try {
        size = await imagePixelSize(documentPath);
      } catch (error) {
        skip(
          document,
          `${(error as Error).message}; pixel boxes need an image (PNG, JPEG, TIFF): give ratios (left,top,width,height) instead`,
        );
        continue;
      }
    }
    const words = rawWords.map((raw): LabelledWord => {
      const box = raw.pixels !== undefined && size !== undefined ? pixelRectToPageBox(...raw.pixels, size) : raw.box;
      return {
        text: raw.text,
        label: labelKeys.key(raw.label),
        ...(raw.page === undefined ? {} : { page: raw.page }),
        ...(raw.entity === undefined ? {} : { entity: raw.entity }),
        ...(box === undefined ? {} : { box }),
      };
    });
    yield { id: documentId(document), documentPath, annotation: { schemaVersion: 1, words } };
  }
}
