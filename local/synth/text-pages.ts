/**
 * Pages of real prose for the classifier's development set (issue 18 item 5): the project's own
 * documentation (README.md, docs/*.md: written for this project, no third-party licence) with its
 * Markdown marks dropped, word-wrapped and drawn as letter-size text pages, one PNG per page (or a
 * multi-page TIFF for a longer document). Real text, as a report or a letter prints it: the other
 * document type beside real receipts (SROIE) in `local/synth/class-devset.ts`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { multiPageTiff, type PageLines } from './documents';

const FONT_FAMILY = 'DevSetSerif';
const PAGE = { width: 1000, height: 1300 };
const LINE_CHARS = 52;
/** Lines per page at 32 px on 64 px steps (the multi-page TIFF's drawing) within 1300 px. */
export const LINES_PER_PAGE = 18;

let fontRegistered = false;

/** Markdown as plain prose: headings, emphasis, code marks, links and table rules dropped. */
export const plainText = (markdown: string): string =>
  markdown
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[#*`|>_]+/g, ' ')
    .replace(/-{3,}/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** Words wrapped into lines of at most LINE_CHARS characters. */
export const wrap = (text: string, width = LINE_CHARS): string[] => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? word.slice(0, width) : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
};

/** The pages (LINES_PER_PAGE lines each) of the project's documentation files, in the order given. */
export const documentationPages = async (root: string, files: readonly string[]): Promise<PageLines[]> => {
  const lines = (await Promise.all(files.map(async (file) => wrap(plainText(await readFile(path.join(root, file), 'utf8')))))).flat();
  const pages: PageLines[] = [];
  for (let i = 0; i + LINES_PER_PAGE <= lines.length; i += LINES_PER_PAGE) pages.push(lines.slice(i, i + LINES_PER_PAGE));
  return pages;
};

/** One page as a PNG: white paper, black serif text. */
export const textPagePng = (lines: PageLines): Buffer => {
  if (!fontRegistered) {
    if (!GlobalFonts.registerFromPath('/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf', FONT_FAMILY)) {
      throw new Error('cannot load DejaVuSerif.ttf (Debian package fonts-dejavu-core)');
    }
    fontRegistered = true;
  }
  const canvas = createCanvas(PAGE.width, PAGE.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, PAGE.width, PAGE.height);
  ctx.fillStyle = '#000000';
  ctx.font = `30px ${FONT_FAMILY}`;
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => ctx.fillText(line, 70, 80 + i * 64));
  return canvas.toBuffer('image/png');
};

/** A document of `pages`: a PNG for one page, a multi-page TIFF for more. */
export const textDocument = (pages: readonly PageLines[]): { bytes: Buffer; extension: '.png' | '.tif' } =>
  pages.length === 1 ? { bytes: textPagePng(pages[0] ?? []), extension: '.png' } : { bytes: multiPageTiff(pages, PAGE), extension: '.tif' };
