/**
 * The classifier's development set on real pages (issue 18 item 5), as a folder per class for `doctrain
 * import classes`: `receipt/` holds real scanned receipts (copies of a SROIE folder's `img/*.jpg`, read
 * where they are and never committed), `text_page/` pages of the project's own documentation
 * (./text-pages.ts), every `multiPageEvery`-th document two pages (a TIFF), so a multi-page document is
 * classified from its pooled pages. Deterministic: the same arguments write the same files.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareStrings } from '../../src/dataset/normalize';
import { documentationPages, textDocument } from './text-pages';

/** The documentation the text pages are drawn from, relative to the repository root. */
export const DOCUMENTATION_FILES = [
  'README.md',
  'docs/ARCHITECTURE.md',
  'docs/CONTRACTS.md',
  'docs/CONFIGURATION.md',
  'docs/LOCAL.md',
  'docs/DEPLOY.md',
];

export interface ClassDevSetOptions {
  /** Repository root (the documentation's). */
  readonly root: string;
  /** A folder of receipt images (`*.jpg`): a SROIE `img/`. */
  readonly receiptsDir: string;
  readonly receipts: number;
  readonly textDocuments: number;
  /** Every n-th text document has two pages (0: none). */
  readonly multiPageEvery?: number;
  /** Skip this many documentation pages first (another slice of the text). */
  readonly pageOffset?: number;
}

export interface ClassDevSet {
  readonly receipts: number;
  readonly textDocuments: number;
  readonly textPages: number;
}

export const writeClassDevSet = async (outDir: string, options: ClassDevSetOptions): Promise<ClassDevSet> => {
  const images = (await readdir(options.receiptsDir)).filter((name) => /\.jpe?g$/i.test(name)).sort(compareStrings);
  const receipts = images.slice(0, options.receipts);
  await mkdir(path.join(outDir, 'receipt'), { recursive: true });
  for (const name of receipts) await copyFile(path.join(options.receiptsDir, name), path.join(outDir, 'receipt', name));

  const pages = (await documentationPages(options.root, DOCUMENTATION_FILES)).slice(options.pageOffset ?? 0);
  await mkdir(path.join(outDir, 'text_page'), { recursive: true });
  let next = 0;
  let documents = 0;
  for (; documents < options.textDocuments && next < pages.length; documents++) {
    const count = options.multiPageEvery && documents % options.multiPageEvery === 0 ? 2 : 1;
    const { bytes, extension } = textDocument(pages.slice(next, next + count));
    next += count;
    await writeFile(path.join(outDir, 'text_page', `doc-${String(documents).padStart(3, '0')}${extension}`), bytes);
  }
  return { receipts: receipts.length, textDocuments: documents, textPages: next };
};
