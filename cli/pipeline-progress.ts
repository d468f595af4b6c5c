/**
 * One pipeline run on the embedded local runtime, narrated (./progress/: the states as they are entered,
 * the OCR count with rate and time left, the trainer's metric lines as it prints them, spot interruptions,
 * the poll loop as one status line on a TTY), then a summary (status, history, dataset, validation F1,
 * model artifact, cost, timing). Shared by `doctrain demo` and `doctrain run`; exit code 0 only when the
 * run COMPLETED.
 */
import path from 'node:path';
import { startLocalPipeline, type LocalPipeline } from '../local/pipeline';
import type { ExecutionEvent } from '../local/stepfunctions';
import type { S3Client } from '@aws-sdk/client-s3';
import { getBytesIfExists, getJson, listKeys, s3Uri } from '../src/aws/s3-objects';
import { datasetManifestSchema, quarantineReasonSchema, type QuarantineEntry } from '../src/contracts/objects';
import { ledgerLines } from '../src/cost/ledger';
import { quarantinePrefix, runManifestKey, runPrefix } from '../src/contracts/s3-layout';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { displayFor } from './progress/display';
import { RunProgressView } from './progress/run-view';
import { watchLocalRun } from './progress/local-run';
import { copyModelToStage } from './model-file';

export type Phase = <T>(name: string, work: () => Promise<T>) => Promise<T>;
export type Log = (message: string) => void;

export interface NarratedRunOptions {
  root: string;
  /** The local stage's data (S3 objects, DynamoDB when persistent, training jobs). */
  dataDir: string;
  /** Keep DynamoDB on disk under dataDir (a persistent local stage). */
  persistent: boolean;
  /** Names the summary: `=== <title> summary ===`. */
  title: string;
  /** Run ids are `<runIdPrefix>-<UTC timestamp to the millisecond>` (`run-20261206195250123`). */
  runIdPrefix: string;
  hyperparameters: Record<string, string | number>;
  /** The run's cost budget in USD (execution input budgetUsd); undefined: the stage's. */
  budgetUsd?: number | undefined;
  /** Train even when nothing changed since the lineage's champion or last COMPLETED run. */
  force?: boolean | undefined;
  /** The model lineage (execution input modelName); undefined: the stage's. */
  modelName?: string | undefined;
  /** Puts the documents in place (inside the timed phases) and says which prefix the run reads. */
  prepare(pipeline: LocalPipeline, tools: { log: Log; phase: Phase }): Promise<{ documentsPrefix?: string; folder?: string }>;
}

/** Quarantined documents as lines (a few), keys named as the user sees them (`displayKey` of a key or of a message). */
const quarantineLines = (
  entries: readonly Pick<QuarantineEntry, 'documentKey' | 'reason'>[],
  displayKey: (key: string) => string,
): string[] => [
  ...entries.slice(0, 5).map((entry) => `quarantined:      ${displayKey(entry.documentKey)}: ${displayKey(entry.reason)}`),
  ...(entries.length > 5 ? [`                  ... and ${entries.length - 5} more`] : []),
];

/** A run that failed before its manifest: the reasons it left beside the quarantined copies (quarantine/<runId>/…reason.json). */
const quarantineReasons = async (s3: S3Client, bucket: string, runId: string): Promise<QuarantineEntry[]> => {
  const keys = (await listKeys(s3, bucket, quarantinePrefix(runId))).filter((key) => key.endsWith('.reason.json'));
  return Promise.all(keys.map(async (key) => quarantineReasonSchema.parse(await getJson(s3, { bucket, key }))));
};

/** Lines on what happened to the documents: quarantine reasons (a few) and unaligned annotations by reason. */
const datasetReport = async (s3: S3Client, bucket: string, runId: string, displayKey: (key: string) => string): Promise<string[]> => {
  const key = runManifestKey(runPrefix(runId));
  const bytes = await getBytesIfExists(s3, { bucket, key });
  if (bytes === undefined) return quarantineLines(await quarantineReasons(s3, bucket, runId), displayKey);
  const report = datasetManifestSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  const byReason = new Map<string, number>();
  for (const entry of report.unaligned.flatMap((doc) => doc.fields)) byReason.set(entry.reason, (byReason.get(entry.reason) ?? 0) + 1);
  const unaligned = [...byReason.values()].reduce((a, b) => a + b, 0);
  return [
    `report:           ${s3Uri({ bucket, key })} (every quarantined document and unaligned annotation, with its reason)`,
    `unaligned:        ${unaligned === 0 ? 'none' : `${unaligned} in ${report.unaligned.length} document(s): ${[...byReason].map(([reason, n]) => `${reason} ${n}`).join(', ')}`}`,
    `OCR engine:       ${
      Object.entries(report.ocrEngines)
        .map(([engine, n]) => `${engine} (${n} document${n === 1 ? '' : 's'})`)
        .join(', ') || '-'
    }`,
    ...quarantineLines(report.quarantined, displayKey),
  ];
};

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const satisfies readonly LogLevel[];

/** DOCTRAIN_LOG_LEVEL (any case) as a Powertools log level; absent or unknown: WARN. */
const lambdaLogLevel = (value: string | undefined): LogLevel => LOG_LEVELS.find((level) => level === value?.toUpperCase()) ?? 'WARN';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A run record attribute for the summary: scalars as they are, anything else as JSON, absent as '-'. */
const show = (value: unknown): string => {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

export const runNarrated = async (options: NarratedRunOptions): Promise<number> => {
  const started = Date.now();
  const phases: [string, number][] = [];
  const phase: Phase = async (name, work) => {
    const begin = Date.now();
    const result = await work();
    phases.push([name, Date.now() - begin]);
    return result;
  };
  const view = new RunProgressView(displayFor(), started);
  const log: Log = (message) => view.log(message);

  const pipeline = await phase('start local AWS', () =>
    startLocalPipeline({
      root: options.root,
      dataDir: options.dataDir,
      stage: 'local',
      persistent: options.persistent,
      waitMs: 1000,
      // The Lambdas' own log lines, readable: warnings and errors unless DOCTRAIN_LOG_LEVEL says otherwise.
      logs: { logLevel: lambdaLogLevel(process.env['DOCTRAIN_LOG_LEVEL']) },
    }),
  );
  try {
    log(
      `local AWS up: S3 ${pipeline.services.endpoints.s3}, DynamoDB ${pipeline.services.endpoints.dynamodb}, Textract ${pipeline.services.endpoints.textract}, SageMaker ${pipeline.services.endpoints.sagemaker}`,
    );
    const { documentsPrefix, folder } = await options.prepare(pipeline, { log, phase });
    if (documentsPrefix !== undefined && folder !== undefined) {
      view.nameFolder({ prefixUri: s3Uri({ bucket: pipeline.services.bucket, key: documentsPrefix }), folder });
    }

    // To the millisecond: two runs started in the same second (a quick skip, then --force) are two runs.
    const runId = `${options.runIdPrefix}-${new Date()
      .toISOString()
      .replace(/[-:T.]/g, '')
      .slice(0, 17)}`;
    const stateTimes = new Map<string, number>();
    const { onEvent, settled, close } = watchLocalRun(pipeline, runId, view);
    const recordStateTimes = (event: ExecutionEvent): void => {
      if (event.type === 'StateEntered' && event.stateName)
        stateTimes.set(event.stateName, stateTimes.get(event.stateName) ?? event.timestamp);
      onEvent(event);
    };
    const input = {
      runId,
      trigger: 'local',
      ...(documentsPrefix === undefined ? {} : { documentsPrefix }),
      training: { hyperparameters: options.hyperparameters },
      ...(options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd }),
      ...(options.force === true ? { force: true } : {}),
      ...(options.modelName === undefined ? {} : { modelName: options.modelName }),
    };
    const outcome = await phase('state machine execution', async () => {
      try {
        return await pipeline.execute(input, { executionName: runId, onEvent: recordStateTimes });
      } finally {
        await settled();
        close();
        view.end();
      }
    });
    const prepStart = stateTimes.get('PlanBatches');
    const trainStart = stateTimes.get('CreateTrainingJob');
    const finalizeStart = stateTimes.get('FinalizeRun');
    if (prepStart && trainStart) phases.push(['  of which data prep (OCR + dataset)', trainStart - prepStart]);
    if (trainStart && finalizeStart) phases.push(['  of which training (create -> done)', finalizeStart - trainStart]);

    const { record, events } = await pipeline.runRecord(runId);
    const metrics = record?.metrics ?? {};
    const counts = record?.datasetCounts ?? {};
    console.log(`\n=== ${options.title} summary ===`);
    console.log(`run:              ${runId} (execution ${outcome.status})`);
    console.log(`status:           ${record?.status ?? 'no run record'}`);
    console.log(
      `status history:   ${events.map((event) => (event.progressKey ? `${event.status}(${event.progressKey})` : event.status)).join(' -> ')}`,
    );
    if (record?.retrain !== undefined) {
      console.log(
        `retrain:          ${record.retrain.decision === 'skip' ? 'SKIPPED, no OCR and no training job' : 'trained'}: ${record.retrain.reason}`,
      );
    }
    const promotion = record?.promotion;
    if (promotion !== undefined) {
      console.log(`promotion:        ${promotion.decision} (${promotion.rule}): ${promotion.reason}`);
      console.log(
        `champion:         ${promotion.championBefore ?? 'none'} -> ${promotion.championAfter ?? 'none'}${promotion.modelPackageArn === undefined ? '' : ` (model package ${promotion.modelPackageArn})`}`,
      );
    }
    console.log(
      `dataset:          ${show(record?.datasetUri)} (train ${counts['train'] ?? '-'}, validation ${counts['validation'] ?? '-'}, quarantined ${counts['quarantined'] ?? '-'})`,
    );
    // The user's folder named where a key or message names the prefix it was uploaded to.
    const displayKey = (text: string): string =>
      folder !== undefined && documentsPrefix !== undefined
        ? text.replaceAll(documentsPrefix, `${path.join(folder, '.')}${path.sep}`)
        : text;
    for (const line of await datasetReport(pipeline.services.clients.s3, pipeline.services.bucket, runId, displayKey)) console.log(line);
    console.log(
      `validation F1:    ${metrics['val_f1'] === undefined ? '-' : metrics['val_f1'].toFixed(4)} (precision ${metrics['val_precision']?.toFixed(4) ?? '-'}, recall ${metrics['val_recall']?.toFixed(4) ?? '-'})`,
    );
    console.log(`model artifact:   ${show(record?.modelArtifactUri)}`);
    if (record?.modelArtifactUri !== undefined) {
      const file = await copyModelToStage(pipeline.services.clients.s3, record.modelArtifactUri, options.dataDir, runId);
      const shown = file.startsWith(`${process.cwd()}${path.sep}`) ? path.relative(process.cwd(), file) : file;
      console.log(`model file:       ${shown} (a copy of the artifact: doctrain predict --model ${shown} --document <image>)`);
    }
    const cost = record?.cost;
    console.log(
      `cost:             ${cost ? `$${cost.totalUsd.toFixed(4)} (${cost.stage === 'final' ? 'final' : 'so far'}, itemised below)` : '- (no ledger on the run record)'}`,
    );
    if (cost) for (const line of ledgerLines(cost)) console.log(`                ${line}`);
    if (outcome.status === 'FAILED') {
      // Shown once: as it happened, above; here only when no state's failure said it.
      const shown = view.failureShown(outcome.error, outcome.cause);
      console.log(
        `failure:          ${shown ? `${outcome.error ?? 'error'} (the message above)` : view.failure(outcome.error, outcome.cause)}`,
      );
    }
    phases.push(['total', Date.now() - started]);
    console.log('timing:');
    for (const [name, ms] of phases) console.log(`  ${name.padEnd(38)} ${seconds(ms).padStart(9)}`);
    // A skipped retrain did what it should: nothing, at no cost.
    return record?.status === 'COMPLETED' || record?.status === 'SKIPPED' ? 0 : 1;
  } finally {
    await pipeline.close();
  }
};
