/**
 * One pipeline run on the embedded local runtime, narrated: progress lines as the state machine moves,
 * the trainer's metric lines as they come, then a summary (status, history, dataset, validation F1,
 * model artifact, cost, timing). Shared by `doctrain demo` and `doctrain run`; exit code 0 only when the
 * run COMPLETED.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalPipeline, type LocalPipeline } from '../local/pipeline';
import type { ExecutionEvent } from '../local/stepfunctions';
import type { S3Client } from '@aws-sdk/client-s3';
import { getBytesIfExists, s3Uri } from '../src/aws/s3-objects';
import { trainingJobName } from '../src/steps/validate-input/step';
import { datasetManifestSchema } from '../src/contracts/objects';
import { ledgerLines } from '../src/cost/ledger';
import { runManifestKey, runPrefix } from '../src/contracts/s3-layout';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';

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
  /** Run ids are `<runIdPrefix>-<UTC timestamp>`. */
  runIdPrefix: string;
  hyperparameters: Record<string, string | number>;
  /** The run's cost budget in USD (execution input budgetUsd); undefined: the stage's. */
  budgetUsd?: number | undefined;
  /** Puts the documents in place (inside the timed phases) and says which prefix the run reads. */
  prepare(pipeline: LocalPipeline, tools: { log: Log; phase: Phase }): Promise<{ documentsPrefix?: string }>;
}

/** Lines on what happened to the documents: quarantine reasons (a few) and unaligned annotations by reason. */
const datasetReport = async (s3: S3Client, bucket: string, runId: string): Promise<string[]> => {
  const key = runManifestKey(runPrefix(runId));
  const bytes = await getBytesIfExists(s3, { bucket, key });
  if (bytes === undefined) return [];
  const report = datasetManifestSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  const byReason = new Map<string, number>();
  for (const entry of report.unaligned.flatMap((doc) => doc.fields)) byReason.set(entry.reason, (byReason.get(entry.reason) ?? 0) + 1);
  const unaligned = [...byReason.values()].reduce((a, b) => a + b, 0);
  const lines = [
    `report:           ${s3Uri({ bucket, key })} (every quarantined document and unaligned annotation, with its reason)`,
    `unaligned:        ${unaligned === 0 ? 'none' : `${unaligned} in ${report.unaligned.length} document(s): ${[...byReason].map(([reason, n]) => `${reason} ${n}`).join(', ')}`}`,
    `OCR engine:       ${
      Object.entries(report.ocrEngines)
        .map(([engine, n]) => `${engine} (${n} document${n === 1 ? '' : 's'})`)
        .join(', ') || '-'
    }`,
  ];
  for (const entry of report.quarantined.slice(0, 5)) lines.push(`quarantined:      ${entry.documentKey}: ${entry.reason}`);
  if (report.quarantined.length > 5) lines.push(`                  ... and ${report.quarantined.length - 5} more in the report`);
  return lines;
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

/** States of the poll loop are reported as training progress, not one line per poll. */
const QUIET_STATES = new Set(['WaitForTraining', 'DescribeTrainingJob', 'RecordProgress', 'TrainingStatus']);

export const runNarrated = async (options: NarratedRunOptions): Promise<number> => {
  const started = Date.now();
  const phases: [string, number][] = [];
  const phase: Phase = async (name, work) => {
    const begin = Date.now();
    const result = await work();
    phases.push([name, Date.now() - begin]);
    return result;
  };
  const log: Log = (message) => console.log(`[${seconds(Date.now() - started).padStart(7)}] ${message}`);

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
    const { documentsPrefix } = await options.prepare(pipeline, { log, phase });

    const runId = `${options.runIdPrefix}-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    const stateTimes = new Map<string, number>();
    let lastTraining = '';
    let metricLinesShown = 0;
    const jobLog = path.join(options.dataDir, 'sagemaker', trainingJobName(runId, 1), 'logs.txt');
    const showNewMetricLines = (): void => {
      if (!existsSync(jobLog)) return;
      const lines = readFileSync(jobLog, 'utf8')
        .split('\n')
        .filter((line) => line.includes('[metric]'));
      for (const line of lines.slice(metricLinesShown)) log(`  ${line.slice(line.indexOf('[metric]'))}`);
      metricLinesShown = lines.length;
    };
    const onEvent = (event: ExecutionEvent): void => {
      if (event.type === 'StateEntered' && event.stateName) {
        stateTimes.set(event.stateName, stateTimes.get(event.stateName) ?? event.timestamp);
        if (!QUIET_STATES.has(event.stateName)) log(`-> ${event.stateName}`);
      }
      if (event.type === 'StateExited' && event.stateName === 'DescribeTrainingJob') {
        const poll = (event.output as { training?: { poll?: { TrainingJobStatus?: string; SecondaryStatus?: string } } } | undefined)
          ?.training?.poll;
        const now = `${poll?.TrainingJobStatus}/${poll?.SecondaryStatus}`;
        if (now !== lastTraining) log(`   training job: ${now}`);
        lastTraining = now;
        showNewMetricLines();
      }
      if (event.type === 'StateFailed' || event.type === 'ExecutionFailed')
        log(`!! ${event.stateName ?? 'execution'}: ${event.error} ${event.cause ?? ''}`);
    };
    const input = {
      runId,
      trigger: 'local',
      ...(documentsPrefix === undefined ? {} : { documentsPrefix }),
      training: { hyperparameters: options.hyperparameters },
      ...(options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd }),
    };
    const outcome = await phase('state machine execution', () => pipeline.execute(input, { executionName: runId, onEvent }));
    showNewMetricLines();
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
    console.log(
      `dataset:          ${show(record?.datasetUri)} (train ${counts['train'] ?? '-'}, validation ${counts['validation'] ?? '-'}, quarantined ${counts['quarantined'] ?? '-'})`,
    );
    for (const line of await datasetReport(pipeline.services.clients.s3, pipeline.services.bucket, runId)) console.log(line);
    console.log(
      `validation F1:    ${metrics['val_f1'] === undefined ? '-' : metrics['val_f1'].toFixed(4)} (precision ${metrics['val_precision']?.toFixed(4) ?? '-'}, recall ${metrics['val_recall']?.toFixed(4) ?? '-'})`,
    );
    console.log(`model artifact:   ${show(record?.modelArtifactUri)}`);
    console.log(`                  (on disk: ${path.join(options.dataDir, 's3', pipeline.services.bucket)}/...)`);
    const cost = record?.cost;
    console.log(
      `cost:             ${cost ? `$${cost.totalUsd.toFixed(4)} (${cost.stage === 'final' ? 'final' : 'so far'}, itemised below)` : '- (no ledger on the run record)'}`,
    );
    if (cost) for (const line of ledgerLines(cost)) console.log(`                ${line}`);
    if (outcome.status === 'FAILED') console.log(`failure:          ${outcome.error}: ${outcome.cause}`);
    phases.push(['total', Date.now() - started]);
    console.log('timing:');
    for (const [name, ms] of phases) console.log(`  ${name.padEnd(38)} ${seconds(ms).padStart(9)}`);
    return record?.status === 'COMPLETED' ? 0 : 1;
  } finally {
    await pipeline.close();
  }
};
