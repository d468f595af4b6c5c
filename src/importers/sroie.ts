/**
 * SROIE importer: a folder in the ICDAR 2019 SROIE layout (`img/NNN.jpg` + `key/NNN.json`, task 3 key
 * fields `{company, date, address, total}`) -> documents with annotations in contract 1
 * (`{"schemaVersion": 1, "fields": {...}}`). Pure reading: no S3, no writes; uploading what it yields
 * is the caller's job (local/ or the CLI).
 *
 * Values are kept as printed (alignment normalises dates, amounts, case and spacing itself, see
 * src/dataset/normalize.ts); only surrounding/repeated whitespace is collapsed, and an empty value
 * (SROIE has receipts with `"total": ""`) is left out: there is nothing to find on the page.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { ANNOTATION_SCHEMA_VERSION, fieldsAnnotationSchema, type FieldsAnnotation } from '../contracts/annotation';
import type { ImportedDocument, ImportOptions } from './types';
import { compareStrings } from '../dataset/normalize';
import { InvalidInputError } from '../contracts/errors';
import { describeIssues } from '../validation';

/** The SROIE task 3 key file. Every key is optional (some receipts lack one); others are rejected. */
export const sroieKeySchema = z.strictObject({
  company: z.string().optional(),
  date: z.string().optional(),
  address: z.string().optional(),
  total: z.string().optional(),
});
export type SroieKey = z.infer<typeof sroieKeySchema>;

/** Image types SROIE folders hold; the pipeline recognises the rest by their bytes. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** SROIE key -> contract 1 annotation (whitespace collapsed, empty values left out). */
export const sroieKeyToAnnotation = (key: SroieKey): FieldsAnnotation => {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(key)) {
    const cleaned = value?.replace(/\s+/g, ' ').trim() ?? '';
    if (cleaned !== '') fields[name] = cleaned;
  }
  return fieldsAnnotationSchema.parse({ schemaVersion: ANNOTATION_SCHEMA_VERSION, fields });
};

const listFiles = async (dir: string): Promise<string[]> => {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
};

/**
 * Yields the folder's documents in id order. Throws InvalidInputError when the folder has neither
 * `img/` nor `key/` files, or when a key file is not a SROIE key (the message names the file and field).
 */
export async function* readSroieFolder(dir: string, options: ImportOptions = {}): AsyncIterable<ImportedDocument<FieldsAnnotation>> {
  const imgDir = path.join(dir, 'img');
  const keyDir = path.join(dir, 'key');
  const images = new Map<string, string>();
  for (const name of await listFiles(imgDir)) {
    const ext = path.extname(name).toLowerCase();
    if (!IMAGE_EXTENSIONS.has(ext)) continue;
    const id = path.basename(name, path.extname(name));
    if (images.has(id)) {
      options.onSkip?.(path.join(imgDir, name), `a second image for id ${id} (kept ${images.get(id)})`);
      continue;
    }
    images.set(id, path.join(imgDir, name));
  }
  const keys = new Map<string, string>();
  for (const name of await listFiles(keyDir)) {
    if (path.extname(name).toLowerCase() === '.json') keys.set(path.basename(name, path.extname(name)), path.join(keyDir, name));
  }
  if (images.size === 0 && keys.size === 0) {
    throw new InvalidInputError(`${dir} is not a SROIE folder: expected images under img/ and key fields under key/`);
  }
  for (const [id, keyPath] of keys) {
    if (!images.has(id)) options.onSkip?.(keyPath, 'key fields without an image in img/');
  }
  for (const id of [...images.keys()].sort(compareStrings)) {
    const documentPath = images.get(id) as string;
    const keyPath = keys.get(id);
    if (keyPath === undefined) {
      options.onSkip?.(documentPath, `no key fields: expected key/${id}.json`);
      continue;
    }
    let raw: unknown;
    try {
      // Some SROIE key files start with a byte order mark.
      raw = JSON.parse((await readFile(keyPath, 'utf8')).replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new InvalidInputError(`${keyPath}: not JSON (${(error as Error).message})`);
    }
    const key = sroieKeySchema.safeParse(raw);
    if (!key.success) throw new InvalidInputError(`${keyPath}: not a SROIE key file: ${describeIssues(key.error.issues)}`);
    yield { id, documentPath, annotation: sroieKeyToAnnotation(key.data) };
  }
}
