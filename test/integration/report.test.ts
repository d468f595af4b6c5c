/**
 * `doctrain report <runId>` on a real run: `doctrain run` trains a tiny model on 6 synthetic receipts on a
 * persistent local stage (4 epochs of one-receipt steps), then the report command writes the page to the stage bucket and to a
 * file, and headless Chromium (Debian's `chromium`, installed by scripts/setup.sh; DOCTRAIN_CHROMIUM names
 * another) loads it: the charts are SVGs with data marks, the tables hold the run's figures, the
 * validation documents are drawn with their field boxes. DOCTRAIN_REPORT_SCREENSHOT=<file.png> keeps a
 * screenshot of the page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/program';
import { LOCAL_BUCKET } from '../../local/services';
import { generateReceipts } from '../../local/synth';

const EPOCHS = 4;
// As test/integration/run-folder.test.ts: a model small enough to train in seconds on a CPU; every epoch runs
// (no early stop, not even at a perfect score), so the report shows EPOCHS rows.
const SMALL_TRAINING = { epochs: EPOCHS, hidden_size: 32, num_layers: 1, num_heads: 2, early_stopping_patience: 0, batch_size: 1 };

const chromiumPath = (): string => {
  const name = process.env['DOCTRAIN_CHROMIUM'] ?? 'chromium';
  try {
    return execFileSync('sh', ['-c', `command -v "$0"`, name], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not installed: run scripts/setup.sh (apt-get install -y chromium), or set DOCTRAIN_CHROMIUM`);
  }
};

/** Console output of `work`, with its exit code. */
const captured = async (work: () => Promise<number>): Promise<{ code: number; output: string }> => {
  const lines: string[] = [];
  const record = (...args: unknown[]): number => lines.push(args.map(String).join(' '));
  const log = vi.spyOn(console, 'log').mockImplementation(record);
  const error = vi.spyOn(console, 'error').mockImplementation(record);
  try {
    return { code: await work(), output: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
};

let work: string;
let browser: Browser | undefined;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'doctrain-report-'));
});
afterAll(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('doctrain report', () => {
  it(
    'renders a completed run as a self-contained page that headless Chromium shows with charts, tables and drawn documents',
    { timeout: 400_000 },
    async () => {
      // Arrange: a COMPLETED run of 6 receipts with 4 epochs on a local stage
      const folder = path.join(work, 'receipts');
      await mkdir(folder);
      for (const receipt of await generateReceipts({ count: 6, seed: 11 })) {
        await writeFile(path.join(folder, `${receipt.id}.png`), receipt.png);
        await writeFile(path.join(folder, `${receipt.id}.json`), JSON.stringify(receipt.annotation));
      }
      const stageDir = path.join(work, 'stage');
      const run = await captured(() =>
        runCli(['run', folder, '--data-dir', stageDir, '--hyperparameters', JSON.stringify(SMALL_TRAINING)]),
      );
      expect(run.code, run.output).toBe(0);
      const runId = /run: +(run-\d{17})/.exec(run.output)?.[1];
      if (runId === undefined) throw new Error(`no run id in:\n${run.output}`);

      // Act
      const file = path.join(work, 'report.html');
      const report = await captured(() => runCli(['report', runId, '--data-dir', stageDir, '--out', file]));

      // Assert: written to the stage bucket and to the file, nothing fetched from elsewhere
      expect(report.code, report.output).toBe(0);
      expect(report.output).toContain(`report of run ${runId} (COMPLETED): s3://${LOCAL_BUCKET}/runs/${runId}/report.html`);
      expect(existsSync(path.join(stageDir, 's3', LOCAL_BUCKET, 'runs', runId, 'report.html._S3rver_object'))).toBe(true);
      const html = await readFile(file, 'utf8');
      expect(html).not.toMatch(/<script|<link|src="http|href="http/);

      // Assert: what Chromium shows
      browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 900 });
      const requests: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) requests.push(request.url());
      });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      // Queried from Node through puppeteer's selectors (the project compiles without the DOM library)
      const count = (selector: string): Promise<number> => page.$$eval(selector, (nodes) => nodes.length);
      const texts = (selector: string): Promise<string[]> => page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent ?? ''));
      const attributes = (selector: string, name: string): Promise<string[]> =>
        page.$$eval(selector, (nodes, attribute) => nodes.map((node) => node.getAttribute(attribute) ?? ''), name);
      const widths = (selector: string): Promise<number[]> =>
        page.$$eval(selector, (nodes) => nodes.map((node) => node.getBoundingClientRect().width));
      const charts: Record<string, { lines: number; points: number; bars: number; rules: number; width: number }> = {};
      for (const name of await attributes('figure.chart', 'data-chart')) {
        const within = (selector: string): string => `figure.chart[data-chart="${name}"] svg ${selector}`;
        charts[name] = {
          lines: await count(within('.mark-line.role-mark path')),
          points: await count(within('.mark-symbol.role-mark path')),
          bars: await count(within('.mark-rect.role-mark path')),
          rules: await count(within('.mark-rule.role-mark line')),
          width: (await widths(`figure.chart[data-chart="${name}"] svg`))[0] ?? 0,
        };
      }
      const rows: Record<string, number> = {};
      for (const name of await attributes('table[data-table]', 'data-table'))
        rows[name] = await count(`table[data-table="${name}"] tbody tr`);
      const firstCells = (table: string): Promise<string[]> => texts(`table[data-table="${table}"] tbody tr td:first-child`);
      const documents = [];
      for (const id of await attributes('.doc-card', 'data-document')) {
        const card = `.doc-card[data-document="${id}"]`;
        documents.push({
          image: ((await attributes(`${card} svg.document image`, 'href'))[0] ?? '').slice(0, 22),
          imageWidth: (await widths(`${card} svg.document image`))[0] ?? 0,
          boxes: await count(`${card} rect.field-box`),
          predicted: await count(`${card} rect.predicted-box`),
          fieldHeader: await texts(`${card} table[data-table="document-fields"] thead th`),
        });
      }
      const dom = {
        charts,
        rows,
        timeline: await firstCells('timeline'),
        epochs: await firstCells('epochs'),
        labels: await firstCells('per-label'),
        documents,
        title: await page.title(),
      };

      expect(dom.title).toBe(`doctrain run ${runId}: COMPLETED`);
      // Charts: the curves have one point per epoch per series and the best epoch's rule; bars for states and labels
      expect(Object.keys(dom.charts).sort()).toEqual(['f1', 'field-exact', 'loss', 'per-label', 'timeline']);
      for (const name of ['loss', 'f1', 'field-exact']) {
        const chart = dom.charts[name];
        expect(chart?.lines, name).toBeGreaterThanOrEqual(2);
        expect(chart?.points, name).toBeGreaterThanOrEqual(2 * EPOCHS);
        expect(chart?.rules, name).toBe(1);
        expect(chart?.width, name).toBeGreaterThan(300);
      }
      expect(dom.charts['timeline']?.bars).toBeGreaterThanOrEqual(4);
      expect(dom.charts['per-label']?.bars).toBeGreaterThanOrEqual(3);
      // Tables: the states in order, one row per epoch (the best marked), labels, fields, cost, dataset
      expect(dom.timeline.slice(0, 3)).toEqual(['PENDING', 'PREPARING', 'TRAINING']);
      expect(dom.timeline.at(-1)).toBe('COMPLETED');
      expect(dom.epochs).toHaveLength(EPOCHS);
      expect(dom.epochs.filter((epoch) => epoch.endsWith('(best)'))).toHaveLength(1);
      expect(dom.labels).toEqual(expect.arrayContaining(['COMPANY', 'DATE', 'TOTAL']));
      for (const table of ['per-field', 'cost', 'dataset', 'labels', 'run']) expect(dom.rows[table], table).toBeGreaterThan(0);
      // Documents: the validation pages as images with their true fields boxed
      expect(dom.documents.length).toBeGreaterThanOrEqual(1);
      for (const doc of dom.documents) {
        expect(doc.image).toBe('data:image/png;base64,');
        expect(doc.imageWidth).toBeGreaterThan(50);
        expect(doc.boxes).toBeGreaterThanOrEqual(3);
        // ... and the model's predictions (predictions.json in model.tar.gz) on the same words
        expect(doc.fieldHeader).toEqual(['field', 'annotated value', 'predicted (words tagged)']);
      }
      // A 4-epoch model on 6 receipts (one receipt a step) finds some of the fields: its dashed boxes are drawn
      expect(dom.documents.reduce((sum, doc) => sum + doc.predicted, 0)).toBeGreaterThanOrEqual(1);
      expect(requests).toEqual([]);

      const screenshot = process.env['DOCTRAIN_REPORT_SCREENSHOT'];
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    },
  );
});
