/**
 * The main job on the embedded local default: synthetic receipts -> the real state machine -> a trained
 * model. Prints progress as it goes and a summary at the end; exit code 0 only when the run COMPLETED.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startLocalPipeline, uploadSyntheticReceipts } from '../local/pipeline';
import { trainingJobName } from '../src/config/run-config';
import type { ExecutionEvent } from '../local/stepfunctions';

export interface DemoOptions {
  root: string;
  documents: number;
  seed: number;
  dataDir: string;
  hyperparameters: Record<string, string | number>;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A run record attribute for the summary: scalars as they are, anything else as JSON, absent as '-'. */
const show = (value: unknown): string => {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

/** States of the poll loop are reported as training progress, not one line per poll. */
const QUIET_STATES = new Set(['WaitForTraining', 'DescribeTrainingJob', 'RecordProgress', 'TrainingStatus']);

export const runDemo = async (options: DemoOptions): Promise<number> => {
  const started = Date.now();
  const phases: [string, number][] = [];
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const begin = Date.now();
    const result = await work();
    phases.push([name, Date.now() - begin]);
    return result;
  };
  const log = (message: string): void => console.log(`[${seconds(Date.now() - started).padStart(7)}] ${message}`);

  // A fresh run record store each time; S3 (and so the OCR cache) is kept between demo runs.
  await rm(path.join(options.dataDir, 'sagemaker'), { recursive: true, force: true });
  const pipeline = await phase('start local AWS', () =>
    startLocalPipeline({ root: options.root, dataDir: options.dataDir, stage: 'local', waitMs: 1000 }),
  );
  try {
    log(`local AWS up: S3 ${pipeline.services.endpoints.s3}, DynamoDB ${pipeline.services.endpoints.dynamodb}, Textract ${pipeline.services.endpoints.textract}, SageMaker ${pipeline.services.endpoints.sagemaker}`);
    const keys = await phase('render + upload receipts', () =>
      uploadSyntheticReceipts(pipeline.services.bucket, { count: options.documents, seed: options.seed }),
    );
    log(`uploaded ${keys.length} synthetic receipts (+ annotations) to s3://${pipeline.services.bucket}/documents/`);

    const runId = `demo-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    const stateTimes = new Map<string, number>();
    let lastTraining = '';
    let metricLinesShown = 0;
    const jobLog = path.join(options.dataDir, 'sagemaker', trainingJobName(runId, 1), 'logs.txt');
    const showNewMetricLines = (): void => {
      if (!existsSync(jobLog)) return;
      const lines = readFileSync(jobLog, 'utf8').split('\n').filter((line) => line.includes('[metric]'));
      for (const line of lines.slice(metricLinesShown)) log(`  ${line.slice(line.indexOf('[metric]'))}`);
      metricLinesShown = lines.length;
    };
    const onEvent = (event: ExecutionEvent): void => {
      if (event.type === 'StateEntered' && event.stateName) {
        stateTimes.set(event.stateName, stateTimes.get(event.stateName) ?? event.timestamp);
        if (!QUIET_STATES.has(event.stateName)) log(`-> ${event.stateName}`);
      }
      if (event.type === 'StateExited' && event.stateName === 'DescribeTrainingJob') {
        const poll = (event.output as { training?: { poll?: { TrainingJobStatus?: string; SecondaryStatus?: string } } } | undefined)?.training?.poll;
        const now = `${poll?.TrainingJobStatus}/${poll?.SecondaryStatus}`;
        if (now !== lastTraining) log(`   training job: ${now}`);
        lastTraining = now;
        showNewMetricLines();
      }
      if (event.type === 'StateFailed' || event.type === 'ExecutionFailed') log(`!! ${event.stateName ?? 'execution'}: ${event.error} ${event.cause ?? ''}`);
    };
    const outcome = await phase('state machine execution', () =>
      pipeline.execute(
        { runId, trigger: 'local', training: { hyperparameters: options.hyperparameters } },
        { executionName: runId, onEvent },
      ),
    );
    showNewMetricLines();
    const prepStart = stateTimes.get('PlanBatches');
    const trainStart = stateTimes.get('CreateTrainingJob');
    const finalizeStart = stateTimes.get('FinalizeRun');
    if (prepStart && trainStart) phases.push(['  of which data prep (OCR + dataset)', trainStart - prepStart]);
    if (trainStart && finalizeStart) phases.push(['  of which training (create -> done)', finalizeStart - trainStart]);

    const { record, events } = await pipeline.runRecord(runId);
    const metrics = (record?.['metrics'] ?? {}) as Record<string, number>;
    const counts = (record?.['datasetCounts'] ?? {}) as Record<string, number>;
    console.log('\n=== doctrain demo summary ===');
    console.log(`run:              ${runId} (execution ${outcome.status})`);
    console.log(`status:           ${record?.status ?? 'no run record'}`);
    console.log(`status history:   ${events.map((event) => (event.progressKey ? `${event.status}(${event.progressKey})` : event.status)).join(' -> ')}`);
    console.log(`dataset:          ${show(record?.['datasetUri'])} (train ${counts['train'] ?? '-'}, validation ${counts['validation'] ?? '-'}, quarantined ${counts['quarantined'] ?? '-'})`);
    console.log(`validation F1:    ${metrics['val_f1'] === undefined ? '-' : metrics['val_f1'].toFixed(4)} (precision ${metrics['val_precision']?.toFixed(4) ?? '-'}, recall ${metrics['val_recall']?.toFixed(4) ?? '-'})`);
    console.log(`model artifact:   ${show(record?.['modelArtifactUri'])}`);
    console.log(`                  (on disk: ${path.join(options.dataDir, 's3', pipeline.services.bucket)}/...)`);
    console.log(`billable seconds: ${show(record?.['billableSeconds'])}  cost estimate on ${show(record?.['instanceType'])}: $${show(record?.['costEstimateUsd'])}`);
    if (outcome.status === 'FAILED') console.log(`failure:          ${outcome.error}: ${outcome.cause}`);
    phases.push(['total', Date.now() - started]);
    console.log('timing:');
    for (const [name, ms] of phases) console.log(`  ${name.padEnd(38)} ${seconds(ms).padStart(9)}`);
    return record?.status === 'COMPLETED' ? 0 : 1;
  } finally {
    await pipeline.close();
  }
};
