/**
 * A development set of real invoices: the PDFs and expected fields of invoice2data's comparison tests
 * (MIT licence, https://pypi.org/project/invoice2data/0.4.0/, `tests/compare/*.pdf` + `*.json`), fetched
 * from PyPI (its JSON API, the sdist's sha256 checked against PyPI's digest) into a cache folder outside
 * the project's tracked files (.doctrain/bench/invoices). Nothing of it is committed.
 *
 * The expected fields are as an ERP or accounting system exports them (ISO dates, plain amounts such as
 * `319.0`, invoice numbers as issued), not as printed: that is what the bench measures alignment on.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';

const PACKAGE = 'invoice2data';
const VERSION = '0.4.0';

/** The language each invoice is printed in (read from the page; invoice2data does not record it). */
export const INVOICE_LANGUAGES: Readonly<Record<string, string>> = {
  AmazonWebServices: 'en',
  FlipkartInvoice: 'en',
  NetpresseInvoice: 'fr',
  QualityHosting: 'de',
  SammyMaystoneLinesTest: 'en',
  free_fiber: 'fr',
  oyo: 'en',
};

/** invoice2data's top-level keys that are single values printed on the page, with doctrain's field key. */
const FIELD_KEYS: Readonly<Record<string, string>> = {
  date: 'date',
  amount: 'total',
  amount_untaxed: 'subtotal',
  invoice_number: 'invoice_number',
  order_id: 'order_id',
};

// PyPI's project JSON (its per-version URL answers empty for old releases): every release's files.
const pypiProjectSchema = z.object({
  releases: z.record(
    z.string(),
    z.array(z.object({ packagetype: z.string(), url: z.string().url(), digests: z.object({ sha256: z.string() }) })),
  ),
});
const expectedSchema = z.array(z.record(z.string(), z.unknown())).min(1);

export interface Invoice {
  readonly id: string;
  readonly language: string;
  readonly pdfPath: string;
  /** doctrain field key -> the value as the system of record exports it. */
  readonly fields: Readonly<Record<string, string>>;
}

const fetchSdist = async (cacheDir: string): Promise<string> => {
  const root = path.join(cacheDir, `${PACKAGE}-${VERSION}`);
  if (existsSync(path.join(root, 'tests', 'compare'))) return root;
  const project = pypiProjectSchema.parse(await (await fetch(`https://pypi.org/pypi/${PACKAGE}/json`)).json());
  const sdist = project.releases[VERSION]?.find((entry) => entry.packagetype === 'sdist');
  if (sdist === undefined) throw new Error(`PyPI lists no sdist for ${PACKAGE} ${VERSION}`);
  const response = await fetch(sdist.url);
  if (!response.ok) throw new Error(`downloading ${sdist.url}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== sdist.digests.sha256) throw new Error(`${sdist.url}: sha256 ${digest}, PyPI says ${sdist.digests.sha256}`);
  await mkdir(cacheDir, { recursive: true });
  const archive = path.join(cacheDir, `${PACKAGE}-${VERSION}.tar.gz`);
  await writeFile(archive, bytes);
  await promisify(execFile)('tar', ['-xzf', archive, '-C', cacheDir]);
  return root;
};

/** A value as invoice2data's JSON holds it, as a string (numbers as Python's json.dump wrote them). */
const asValue = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return Number.isInteger(value) ? `${value}.0` : String(value);
  return undefined;
};

/** The invoices with both a PDF and its expected fields, in name order. */
export const loadInvoiceSet = async (cacheDir: string): Promise<Invoice[]> => {
  const compare = path.join(await fetchSdist(cacheDir), 'tests', 'compare');
  const names = (await readdir(compare)).filter((name) => name.endsWith('.pdf')).sort();
  const invoices: Invoice[] = [];
  for (const name of names) {
    const id = name.slice(0, -'.pdf'.length);
    const jsonPath = path.join(compare, `${id}.json`);
    if (!existsSync(jsonPath)) continue;
    const [expected] = expectedSchema.parse(JSON.parse(await readFile(jsonPath, 'utf8')));
    const fields: Record<string, string> = {};
    for (const [key, field] of Object.entries(FIELD_KEYS)) {
      const value = asValue(expected?.[key]);
      if (value !== undefined) fields[field] = value;
    }
    invoices.push({ id, language: INVOICE_LANGUAGES[id] ?? 'unknown', pdfPath: path.join(compare, name), fields });
  }
  return invoices;
};
