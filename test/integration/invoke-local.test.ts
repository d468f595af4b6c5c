/**
 * Every function of serverless.yml run through `sls invoke local` (osls + serverless-esbuild: the real
 * bundle, in a child process) against the embedded local AWS, with the sample events in events/.
 *
 * What a user runs, every function in order, is the README's "Local walkthrough" (run as written by
 * walkthrough.test.ts); in short (two shells, repository root):
 *   npm run local:up              # `doctrain local up`: local AWS on fixed ports; writes .doctrain/local/local.env
 *   set -a; . .doctrain/local/local.env; set +a
 *   npx sls invoke local -f planBatches --path events/plan-batches.json --stage dev --region us-east-1 --param="target=local"
 *
 * `--param="target=local"` (serverless.yml custom.targets) is needed because osls' invoke local cannot
 * resolve the Fn::GetAtt/Fn::Join/Ref values of provider.environment offline (it fails before the handler
 * runs, and its `-e KEY=VALUE` flags only reach `--docker` invocations), nor load a `.mjs` handler: with
 * the param those four variables come from the shell's environment and the bundle is ESM in `.js` files.
 * The stage's literal settings (instance type, batch size, ...) still come from serverless.yml.
 *
 * The events chain as the state machine chains them: validateInput's config names the training job,
 * planBatches writes the batch whose index events/ocr-batch.json names (and the batch count
 * events/build-dataset.json reads), ocrBatch's results feed buildDataset,
 * whose dataset a (tiny, CPU) training job on the local SageMaker trains on, and finalizeRun records it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, type DescribeTrainingJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadSyntheticReceipts } from '../../local/pipeline';
import { loadServerlessProject } from '../../local/serverless-project';
import { startLocalServices, type LocalServices } from '../../local/services';
import type { RunConfig } from '../../src/contracts/run-config';
import { RunStore } from '../../src/status/run-store';
import { batchKey, ocrMapItemsKey, ocrMapResultsPrefix } from '../../src/contracts/s3-layout';
import type { DatasetPointers } from '../../src/steps/build-dataset/schema';
import type { RunOutcome } from '../../src/steps/finalize-run/schema';
import type { OcrBatchSummary } from '../../src/steps/ocr-batch/schema';
import type { PlanResult } from '../../src/steps/plan-batches/schema';
import { batchFileSchema, datasetManifestSchema, ocrMapItemsFileSchema } from '../../src/contracts/objects';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUN_ID = 'local-demo-0001';
/** The execution events/record-status.json and events/finalize-run.json act for (validateInput's executionName). */
const EXECUTION_NAME = 'local-demo-0001';
const DOCUMENTS = 4;
const execFileAsync = promisify(execFile);

let services: LocalServices;
let dataDir: string;
let store: RunStore;

const functions = loadServerlessProject(ROOT).functions;
/** The step a function key runs (its handler's folder): its sample event is events/<step>.json. */
const stepOf = (functionKey: string): string => {
  const fn = functions.find((f) => f.key === functionKey);
  if (fn === undefined) throw new Error(`serverless.yml has no function ${functionKey}`);
  return fn.step;
};

const readEvent = <T = Record<string, unknown>>(functionKey: string): T =>
  JSON.parse(readFileSync(path.join(ROOT, 'events', `${stepOf(functionKey)}.json`), 'utf8')) as T;

/** `sls invoke local` as a user runs it; returns the handler's result (printed as JSON on stdout). */
const invokeLocal = async <T>(functionKey: string): Promise<T> => {
  const eventFile = `events/${stepOf(functionKey)}.json`;
  const args = ['sls', 'invoke', 'local', '-f', functionKey, '--path', eventFile];
  args.push('--stage', 'dev', '--region', 'us-east-1', '--param=target=local');
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('npx', args, {
      cwd: ROOT,
      env: { ...process.env, ...services.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    // A non-zero exit (the handler threw) lands here, with what sls printed.
    const { code, stdout: out, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`sls invoke local -f ${functionKey} exited ${String(code)}:\n${out ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
  // The handler's Powertools log lines (and metrics) come first, one JSON object a line; then sls prints
  // the result, indented over several lines.
  const start = stdout.search(/^[{[]$/m);
  if (start < 0) throw new Error(`sls invoke local -f ${functionKey} printed no JSON result:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as T;
};

const getJson = async (key: string): Promise<unknown> => {
  const object = await services.clients.s3.send(new GetObjectCommand({ Bucket: services.bucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null') as unknown;
};

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-invoke-local-'));
  services = await startLocalServices({ root: ROOT, dataDir, stage: 'dev', sagemaker: { runner: 'process' } });
  store = new RunStore(services.clients.dynamo, services.tableName);
  await uploadSyntheticReceipts(services.clients.s3, services.bucket, { count: DOCUMENTS, seed: 42 });
}, 60_000);

afterAll(async () => {
  await services?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('sls invoke local, function by function', { timeout: 120_000 }, () => {
  let config: RunConfig;
  let dataset: DatasetPointers;

  it('validateInput resolves the run config from serverless.yml (dev) and the local resources', async () => {
    // Act
    ({ config } = await invokeLocal<{ config: RunConfig }>('validateInput'));
    // Assess
    expect(config).toMatchObject({
      runId: RUN_ID,
      trigger: 'manual',
      bucket: services.bucket,
      modelName: 'receipts',
      runPrefix: `runs/${RUN_ID}/`,
      dataset: { validationFraction: 0.25, batchSize: 10, ocrConcurrency: 10, maxQuarantineShare: 0.25 },
      pollSeconds: 10,
    });
    expect(config.training).toMatchObject({
      jobName: `doctrain-${RUN_ID}-a1`,
      image: services.env['DOCTRAIN_TRAINING_IMAGE'],
      roleArn: services.env['DOCTRAIN_SAGEMAKER_ROLE_ARN'],
      spot: true,
      stoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      hyperparameters: { epochs: '1', max_steps: '4' },
    });
  });

  it('recordStatus writes the PENDING run record to the local DynamoDB', async () => {
    // Act
    const result = await invokeLocal<{ runId: string; status: string }>('recordStatus');
    // Assess
    expect(result).toEqual({ runId: RUN_ID, status: 'PENDING' });
    expect(readEvent('recordStatus')['executionName']).toBe(EXECUTION_NAME);
    expect(readEvent('validateInput')['executionName']).toBe(EXECUTION_NAME);
    expect(await store.getRun(RUN_ID)).toMatchObject({
      runId: RUN_ID,
      executionName: EXECUTION_NAME,
      status: 'PENDING',
      trainingJobName: `doctrain-${RUN_ID}-a1`,
      trigger: 'manual',
    });
  });

  it('planBatches lists the uploaded receipts into the batch events/ocr-batch.json names', async () => {
    // Act
    const plan = await invokeLocal<PlanResult>('planBatches');
    // Assess: a pointer to the OCR Map's items and counts; the counts are what buildDataset's event says,
    // and the one item names the batch events/ocr-batch.json OCRs.
    const runPrefix = `runs/${RUN_ID}/`;
    expect(plan).toEqual({
      itemsKey: ocrMapItemsKey(runPrefix),
      resultsPrefix: ocrMapResultsPrefix(runPrefix),
      batchCount: readEvent('buildDataset')['batchCount'],
      documentCount: DOCUMENTS,
      quarantinedCount: 0,
    });
    expect(plan.batchCount).toBe(1);
    const items = ocrMapItemsFileSchema.parse(await getJson(plan.itemsKey));
    expect(items.map((item) => item.batchIndex)).toEqual([readEvent('ocrBatch')['batchIndex']]);
    const batch = batchFileSchema.parse(await getJson(batchKey(`runs/${RUN_ID}/`, 0)));
    expect(batchKey(`runs/${RUN_ID}/`, 0)).toBe(`runs/${RUN_ID}/batches/batch-00000.json`);
    expect(batch.batchIndex).toBe(0);
    expect(batch.documents).toHaveLength(DOCUMENTS);
  });

  it('ocrBatch OCRs the batch through the local Textract and caches the words', async () => {
    // Act
    const summary = await invokeLocal<OcrBatchSummary>('ocrBatch');
    // Assess
    expect(summary).toEqual({
      batchIndex: 0,
      resultKey: `runs/${RUN_ID}/ocr/batch-00000.json`,
      documents: DOCUMENTS,
      quarantined: 0,
      cacheHits: 0,
      pagesBilled: DOCUMENTS,
      // Images only: no async Textract job for the state machine to wait for.
      pendingJobs: 0,
      waitSeconds: 5,
    });
  });

  it('buildDataset writes the dataset the training job will read', async () => {
    // Act
    dataset = await invokeLocal<DatasetPointers>('buildDataset');
    // Assess
    const prefix = `datasets/${dataset.fingerprint}/`;
    expect(dataset).toMatchObject({
      prefix: `s3://${services.bucket}/${prefix}`,
      trainS3Uri: `s3://${services.bucket}/${prefix}train-`,
      labelsS3Uri: `s3://${services.bucket}/${prefix}labels.json`,
      manifestS3Uri: `s3://${services.bucket}/${prefix}manifest.json`,
      runManifestS3Uri: `s3://${services.bucket}/runs/${RUN_ID}/dataset-manifest.json`,
      counts: { documents: DOCUMENTS, quarantined: 0 },
    });
    expect(dataset.counts.train + dataset.counts.validation).toBe(DOCUMENTS);
    const manifest = datasetManifestSchema.parse(await getJson(`${prefix}manifest.json`));
    expect(manifest.fingerprint).toBe(dataset.fingerprint);
    expect(manifest.counts.documents).toBe(DOCUMENTS);
    // The first build of this fingerprint: the run's own manifest is the same document.
    expect(await getJson(`runs/${RUN_ID}/dataset-manifest.json`)).toEqual(manifest);
  });

  it('finalizeRun records the finished training job (EVALUATING, metrics, model), promoteModel makes it the first champion (COMPLETED)', async () => {
    // Prepare: the CreateTrainingJob the state machine would send, to the local SageMaker (a tiny CPU run).
    const { sagemaker } = services.clients;
    const { training } = config;
    await sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: training.jobName,
        AlgorithmSpecification: {
          TrainingImage: training.image,
          TrainingInputMode: 'File',
          // BuildDataset's, for this dataset's labels (MetricDefinitions.$: $.dataset.metricDefinitions).
          MetricDefinitions: dataset.metricDefinitions,
        },
        RoleArn: training.roleArn,
        HyperParameters: training.hyperparameters,
        InputDataConfig: [
          ['train', dataset.trainS3Uri],
          ['validation', dataset.validationS3Uri],
          ['labels', dataset.labelsS3Uri],
        ].map(([ChannelName, S3Uri]) => ({
          ChannelName,
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated', S3Uri } },
        })),
        OutputDataConfig: { S3OutputPath: training.outputS3Uri },
        ResourceConfig: { InstanceCount: 1, InstanceType: training.instanceType as never, VolumeSizeInGB: training.volumeSizeGb },
        StoppingCondition: training.stoppingCondition,
        EnableManagedSpotTraining: training.spot,
        CheckpointConfig: { S3Uri: training.checkpointS3Uri, LocalPath: '/opt/ml/checkpoints' },
      }),
    );
    let job: DescribeTrainingJobCommandOutput;
    for (;;) {
      job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: training.jobName }));
      if (['Completed', 'Failed', 'Stopped'].includes(job.TrainingJobStatus ?? '')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    sagemaker.destroy();
    expect(job.TrainingJobStatus, job.FailureReason).toBe('Completed');
    await store.writeStatusChange({ runId: RUN_ID, executionName: EXECUTION_NAME, status: 'TRAINING', at: new Date().toISOString() });
    expect(readEvent('finalizeRun')['trainingJobName']).toBe(training.jobName);
    expect(readEvent('finalizeRun')['executionName']).toBe(EXECUTION_NAME);
    // Act
    const outcome = await invokeLocal<RunOutcome>('finalizeRun');
    // Assess
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.trainingJobStatus).toBe('Completed');
    expect(outcome.metrics['val_f1']).toBeGreaterThanOrEqual(0);
    expect(outcome.modelArtifactUri).toMatch(new RegExp(`^${training.outputS3Uri}${training.jobName}/output/model\\.tar\\.gz$`));
    const run = await store.getRun(RUN_ID);
    expect(run).toMatchObject({
      status: 'EVALUATING',
      executionName: EXECUTION_NAME,
      trainingJobName: training.jobName,
      modelArtifactUri: outcome.modelArtifactUri,
    });
    // Act: the champion/challenger step on events/promote-model.json (the same run and artifact)
    expect(readEvent('promoteModel')['modelArtifactUri']).toBe(outcome.modelArtifactUri);
    const promotion = await invokeLocal<{ decision: string; rule: string; championAfter: string | null }>('promoteModel');
    // Assess: the lineage had no champion: the first model is promoted, and the run is COMPLETED
    expect(promotion).toMatchObject({ decision: 'promoted', rule: 'first', championAfter: RUN_ID });
    expect((await store.getRun(RUN_ID))?.status).toBe('COMPLETED');
    expect((await store.listEvents(RUN_ID)).map((e) => e.status)).toEqual(['PENDING', 'TRAINING', 'EVALUATING', 'COMPLETED']);
  });
});
