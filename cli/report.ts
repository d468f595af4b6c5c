/**
 * `doctrain report <runId>`: the run's report page (src/report/), written to the stage bucket at
 * `runs/<runId>/report.html` and to a local file (`--out`, default ./doctrain-report-<runId>.html; `-`
 * prints the page on stdout), opened in the desktop's browser with `--open`. The run is looked up as
 * `status` and `lineage` do: a local stage (`--stage`/`--data-dir`) or the environment's AWS, with the
 * table and bucket from `--table`/`--bucket`, the stage's settings, or DOCTRAIN_TABLE/DOCTRAIN_BUCKET.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { putBody, s3Uri } from '../src/aws/s3-objects';
import { InvalidInputError } from '../src/contracts/errors';
import { runPrefix, runReportKey } from '../src/contracts/s3-layout';
import { loadReportData } from '../src/report/load';
import { renderReport } from '../src/report/render';
import { RunStore } from '../src/status/run-store';
import { stageHintOf, unknownRun } from './remote';
import { withStage } from './stage';
import type { Target } from './target';

export interface ReportOptions {
  /** A file, or `-` for stdout; default ./doctrain-report-<runId>.html. */
  out?: string | undefined;
  table?: string | undefined;
  bucket?: string | undefined;
  /** Validation pages to draw. */
  documents: number;
  open?: boolean | undefined;
}

const required = (value: string | undefined, what: string): string => {
  if (value === undefined || value === '') throw new InvalidInputError(what);
  return value;
};

const openInBrowser = (file: string): void => {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(command, [file], { detached: true, stdio: 'ignore' })
    .on('error', () => console.error(`could not run ${command}: open ${file} in a browser`))
    .unref();
};

export const reportCommand = (root: string, target: Target, runId: string, options: ReportOptions): Promise<number> =>
  withStage(root, target, 'doctrain report', async ({ clients, settings, local }) => {
    const localSettings = local ? settings() : undefined;
    const table = required(
      target.table ?? options.table ?? localSettings?.DOCTRAIN_TABLE ?? process.env['DOCTRAIN_TABLE'],
      'no table: pass --table NAME, --stage NAME, or set DOCTRAIN_TABLE (the stack output RunsTableName)',
    );
    const bucket = required(
      options.bucket ?? localSettings?.DOCTRAIN_BUCKET ?? process.env['DOCTRAIN_BUCKET'],
      'no bucket: pass --bucket NAME, --stage NAME, or set DOCTRAIN_BUCKET (the stack output DocumentsBucketName)',
    );
    const data = await loadReportData({ s3: clients.s3, store: new RunStore(clients.dynamo, table), bucket }, runId, {
      documents: options.documents,
      now: () => new Date(),
    });
    if (data === undefined) throw unknownRun(runId, `table ${table}`, stageHintOf(target));
    const html = await renderReport(data);
    const location = { bucket, key: runReportKey(runPrefix(runId)) };
    await putBody(clients.s3, location, html, 'text/html; charset=utf-8');
    const say = options.out === '-' ? console.error : console.log;
    say(`report of run ${runId} (${data.run.status}): ${s3Uri(location)}`);
    if (options.out === '-') {
      process.stdout.write(html);
      return 0;
    }
    const file = path.resolve(options.out ?? `doctrain-report-${runId}.html`);
    await writeFile(file, html);
    say(`written to ${file}`);
    if (options.open) openInBrowser(file);
    return 0;
  });
