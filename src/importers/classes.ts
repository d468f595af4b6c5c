/**
 * Class importer (task classification, RVL-CDIP style) -> documents with `{"schemaVersion": 1, "class":
 * "<class>"}` annotations (contract 1). `<path>` is either
 *   - a folder with one sub-folder per class (`invoice/a.png`, `letter/scan-7.tif`): the class is the
 *     sub-folder's name, made a class name (lower case, other characters `_`: `Purchase Order` ->
 *     `purchase_order`); the id is `<class>/<file name without extension>`; or
 *   - a labels file (RVL-CDIP's `labels/train.txt`): one `<document path> <class>` per line, the path
 *     relative to the file, the class a name or an index into RVL-CDIP's 16 classes (RVL_CDIP_CLASSES);
 *     the id is the path without extension.
 * Documents are the types the pipeline takes (.png .jpg .jpeg .pdf .tif .tiff); anything else, a missing
 * file or a class that is no class name, is skipped with its reason.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ANNOTATION_SCHEMA_VERSION, classAnnotationSchema, CLASS_NAME_PATTERN, type ClassAnnotation } from '../contracts/annotation';
import { InvalidInputError } from '../contracts/errors';
import { compareStrings } from '../dataset/normalize';
import { labelKeyFor } from './label-keys';
import type { ImportedDocument, ImportOptions } from './types';

/** RVL-CDIP's classes by label index (labels/*.txt). */
export const RVL_CDIP_CLASSES = [
  'letter',
  'form',
  'email',
  'handwritten',
  'advertisement',
  'scientific_report',
  'scientific_publication',
  'specification',
  'file_folder',
  'news_article',
  'budget',
  'invoice',
  'presentation',
  'questionnaire',
  'resume',
  'memo',
] as const;

const DOCUMENT_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.pdf', '.tif', '.tiff']);

const annotationFor = (className: string): ClassAnnotation =>
  classAnnotationSchema.parse({ schemaVersion: ANNOTATION_SCHEMA_VERSION, class: className });

/** A folder or label name as a class name, or undefined when nothing of it is left (`---`). */
const classNameFor = (name: string): string | undefined => {
  try {
    const key = labelKeyFor(name);
    return CLASS_NAME_PATTERN.test(key) ? key : undefined;
  } catch (error) {
    if (error instanceof InvalidInputError) return undefined;
    throw error;
  }
};

async function* readClassFolders(dir: string, options: ImportOptions): AsyncIterable<ImportedDocument<ClassAnnotation>> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => compareStrings(a.name, b.name));
  const folders = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'));
  if (folders.length === 0) throw new InvalidInputError(`${dir} has no class folders: expected <class>/<document> (e.g. invoice/a.png)`);
  for (const folder of folders) {
    const className = classNameFor(folder.name);
    const files = (await readdir(path.join(dir, folder.name), { withFileTypes: true })).filter(
      (e) => e.isFile() && !e.name.startsWith('.'),
    );
    if (className === undefined) {
      options.onSkip?.(folder.name, 'the folder name makes no class name (letters, digits, _)');
      continue;
    }
    for (const file of files.sort((a, b) => compareStrings(a.name, b.name))) {
      const extension = path.extname(file.name).toLowerCase();
      if (!DOCUMENT_EXTENSIONS.has(extension)) {
        options.onSkip?.(path.join(folder.name, file.name), `not a document type (${[...DOCUMENT_EXTENSIONS].join(' ')})`);
        continue;
      }
      yield {
        id: `${className}/${path.basename(file.name, path.extname(file.name))}`,
        documentPath: path.join(dir, folder.name, file.name),
        annotation: annotationFor(className),
      };
    }
  }
}

async function* readLabelsFile(file: string, options: ImportOptions): AsyncIterable<ImportedDocument<ClassAnnotation>> {
  const base = path.dirname(file);
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${path.basename(file)}:${index + 1}`;
    const match = /^(.*\S)\s+(\S+)$/.exec(line);
    if (match === null) {
      options.onSkip?.(where, 'expected "<document path> <class>"');
      continue;
    }
    const [, documentPath = '', label = ''] = match;
    const className = /^\d+$/.test(label) ? RVL_CDIP_CLASSES[Number(label)] : classNameFor(label);
    if (className === undefined) {
      options.onSkip?.(where, `class ${JSON.stringify(label)} is no class name and no RVL-CDIP index (0-${RVL_CDIP_CLASSES.length - 1})`);
      continue;
    }
    const absolute = path.resolve(base, documentPath);
    if (!DOCUMENT_EXTENSIONS.has(path.extname(absolute).toLowerCase())) {
      options.onSkip?.(where, `${documentPath} is not a document type (${[...DOCUMENT_EXTENSIONS].join(' ')})`);
      continue;
    }
    if (!(await stat(absolute).catch(() => undefined))?.isFile()) {
      options.onSkip?.(where, `${documentPath} not found`);
      continue;
    }
    const relative = path.relative(base, absolute).split(path.sep).join('/');
    yield {
      id: relative.slice(0, relative.length - path.extname(relative).length),
      documentPath: absolute,
      annotation: annotationFor(className),
    };
  }
}

/** The documents of a class-folder tree or a labels file (see the module comment). */
export async function* readClassDocuments(input: string, options: ImportOptions = {}): AsyncIterable<ImportedDocument> {
  const info = await stat(input).catch(() => undefined);
  if (info === undefined) throw new InvalidInputError(`${input} not found: expected a folder of class folders or a labels file`);
  yield* info.isDirectory() ? readClassFolders(input, options) : readLabelsFile(input, options);
}
