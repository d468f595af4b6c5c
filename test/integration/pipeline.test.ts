/**
 * End to end on the embedded local runtime: the real ASL (aws-local-stepfunctions), the real handlers,
 * dynalite, s3rver, the tesseract.js-backed Textract and the real trainer run by the local SageMaker.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTrainingJobCommand, ListTrainingJobsCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPipeline, uploadSyntheticReceipts, type LocalPipeline } from '../../local/pipeline';
import { getBytes, getJson, listKeys, parseS3Uri, putBody } from '../../src/aws/s3-objects';
import { datasetManifestSchema, datasetRecordSchema, quarantineReasonSchema } from '../../src/contracts/objects';
import { strictRunRecordSchema } from '../../src/contracts/run-record';

const root = path.resolve(import.meta.dirname, '../..');
const SMALL_TRAINING = { epochs: 2, hidden_size: 32, num_layers: 1, num_heads: 2 };

let pipeline: LocalPipeline;
let dataDir: string;

const trainingJobNames = async (): Promise<string[]> =>
  ((await pipeline.services.clients.sagemaker.send(new ListTrainingJobsCommand({}))).TrainingJobSummaries ?? []).map(
    (job) => job.TrainingJobName ?? '',
  );

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'doctrain-e2e-'));
  pipeline = await startLocalPipeline({ root, dataDir, stage: 'local', waitMs: 250, retryTimeScale: 0.01 });
  const bucket = pipeline.services.bucket;
  await uploadSyntheticReceipts(pipeline.services.clients.s3, bucket, { count: 10, seed: 11 });
  // Two bad inputs that must be quarantined, not fatal: bytes that are no image, and a stray file type.
  await putBody(pipeline.services.clients.s3, { bucket, key: 'documents/broken-scan.png' }, 'this is not a png', 'image/png');
  await putBody(
    pipeline.services.clients.s3,
    { bucket, key: 'documents/broken-scan.json' },
    JSON.stringify({ schemaVersion: 1, fields: { total: '1.00' } }),
    'application/json',
  );
  await putBody(pipeline.services.clients.s3, { bucket, key: 'documents/notes.txt' }, 'scanner notes', 'text/plain');
});

afterAll(async () => {
  await pipeline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('train pipeline on the local runtime', () => {
  it('runs documents -> OCR -> dataset -> spot training -> COMPLETED, recording every step', async () => {
    // Prepare
    const runId = 'e2e-complete';
    const bucket = pipeline.services.bucket;

    // Act
    const outcome = await pipeline.execute({ runId, training: { hyperparameters: SMALL_TRAINING } }, { executionName: runId });

    // Assess: the execution and the run record
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { record, events } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
    // Every attribute the steps wrote is one run-record.ts declares.
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.spot).toBe(true);
    expect(record?.trainingJobName).toBe(`doctrain-${runId}-a1`);
    expect(Object.keys(record?.metrics as object)).toEqual(expect.arrayContaining(['val_f1', 'val_loss', 'train_loss']));
    const history = events.map((event) => event.status);
    expect(history[0]).toBe('PENDING');
    expect(history.slice(0, 3)).toEqual(['PENDING', 'PREPARING', 'TRAINING']);
    expect(history.at(-1)).toBe('COMPLETED');
    expect(history.filter((status) => status === 'COMPLETED')).toHaveLength(1);

    // Assess: the dataset objects in S3, per the data contract
    const fingerprint = String(record?.datasetFingerprint);
    const datasetKeys = await listKeys(pipeline.services.clients.s3, bucket, `datasets/${fingerprint}/`);
    expect(datasetKeys).toEqual(
      expect.arrayContaining([
        `datasets/${fingerprint}/train-00000.jsonl`,
        `datasets/${fingerprint}/validation-00000.jsonl`,
        `datasets/${fingerprint}/labels.json`,
        `datasets/${fingerprint}/manifest.json`,
      ]),
    );
    const manifest = datasetManifestSchema.parse(
      await getJson(pipeline.services.clients.s3, { bucket, key: `datasets/${fingerprint}/manifest.json` }),
    );
    expect(manifest.fingerprint).toBe(fingerprint);
    expect(manifest.counts.documents).toBe(10);
    expect(manifest.quarantined.map((entry) => entry.documentKey).sort()).toEqual(['documents/broken-scan.png', 'documents/notes.txt']);
    const firstLine = Buffer.from(
      await getBytes(pipeline.services.clients.s3, { bucket, key: `datasets/${fingerprint}/train-00000.jsonl` }),
    )
      .toString('utf8')
      .split('\n')[0];
    const doc = datasetRecordSchema.parse(JSON.parse(firstLine ?? '{}'));
    expect(doc.words.length).toBeGreaterThan(10);
    expect(doc.bboxes).toHaveLength(doc.words.length);
    expect(doc.labels).toHaveLength(doc.words.length);
    expect(doc.labels).toContain('B-TOTAL');
    const coordinates = doc.bboxes.flat();
    expect(Math.min(...coordinates)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...coordinates)).toBeLessThanOrEqual(1000);

    // Assess: quarantined documents are kept with their reasons, originals untouched
    const quarantineKeys = await listKeys(pipeline.services.clients.s3, bucket, `quarantine/${runId}/`);
    expect(quarantineKeys).toEqual(
      expect.arrayContaining([
        'quarantine/e2e-complete/documents/broken-scan.png.reason.json',
        'quarantine/e2e-complete/documents/notes.txt.reason.json',
      ]),
    );
    const reason = quarantineReasonSchema.parse(
      await getJson(pipeline.services.clients.s3, { bucket, key: 'quarantine/e2e-complete/documents/broken-scan.png.reason.json' }),
    );
    expect(reason.reason).toMatch(/content is plain text, not a PNG, JPEG, TIFF or PDF document \(its name ends in .png/);

    // Assess: the model artifact is a real model.tar.gz with the trainer's outputs
    const artifact = parseS3Uri(String(record?.modelArtifactUri));
    const tarball = path.join(dataDir, 'model.tar.gz');
    await writeFile(tarball, await getBytes(pipeline.services.clients.s3, artifact));
    const members = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    for (const file of ['model.pt', 'labels.json', 'vocab.json', 'metrics.json']) expect(members).toContain(file);
  });

  it('trains backend hf end to end: a tiny LayoutLMv3 from the model channel, page images from the images channel', async () => {
    // Prepare: no model hub here; the trainer's test helper saves a tiny pretrained LayoutLMv3 + tokenizer
    // the way a hub checkpoint is saved, uploaded under pretrained/ and named by training.modelChannelUri
    // (no model_id: without the model channel the job would look for the default hub model, offline).
    const runId = 'e2e-hf';
    const bucket = pipeline.services.bucket;
    const modelDir = path.join(dataDir, 'tiny-layoutlmv3');
    execFileSync(path.join(root, '.venv', 'bin', 'python'), ['tests/tiny_hf.py', modelDir, 'layoutlmv3'], {
      cwd: path.join(root, 'training-image'),
      env: { ...process.env, PYTHONPATH: path.join(root, 'training-image'), OMP_NUM_THREADS: '1' },
      stdio: 'ignore',
    });
    for (const name of await readdir(modelDir, { recursive: true })) {
      const file = path.join(modelDir, name);
      if ((await stat(file)).isFile())
        await putBody(
          pipeline.services.clients.s3,
          { bucket, key: `pretrained/tiny-layoutlmv3/${name}` },
          await readFile(file),
          'application/octet-stream',
        );
    }
    const hyperparameters = { backend: 'hf', epochs: 2, max_seq_len: 128, learning_rate: 0.003 };

    // Act
    const outcome = await pipeline.execute(
      {
        runId,
        dataset: { pageImages: true },
        training: { hyperparameters, modelChannelUri: `s3://${bucket}/pretrained/tiny-layoutlmv3/` },
      },
      { executionName: runId },
    );

    // Assess: the run completes with metrics, and the artifact holds a from_pretrained-loadable model
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { record } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
    expect(Object.keys(record?.metrics as object)).toEqual(expect.arrayContaining(['val_f1', 'val_loss']));
    const tarball = path.join(dataDir, 'model-hf.tar.gz');
    await writeFile(tarball, await getBytes(pipeline.services.clients.s3, parseS3Uri(String(record?.modelArtifactUri))));
    const members = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    for (const file of ['hf/model.safetensors', 'hf/tokenizer.json', 'hf/preprocessor_config.json', 'labels.json', 'metrics.json']) {
      expect(members).toContain(file);
    }
    expect(members).not.toContain('model.pt');
    // The job got the images and model channels, and the model was trained with page images.
    const jobDir = path.join(dataDir, 'sagemaker', `doctrain-${runId}-a1`);
    const channels = JSON.parse(
      await readFile(path.join(jobDir, 'opt', 'ml', 'input', 'config', 'inputdataconfig.json'), 'utf8'),
    ) as object;
    // The lineage's champion (e2e-complete's compact model) is a channel too: the trainer scores it beside the challenger.
    expect(Object.keys(channels).sort()).toEqual(['champion', 'images', 'labels', 'model', 'train', 'validation']);
    const images = await readdir(path.join(jobDir, 'opt', 'ml', 'input', 'data', 'images'));
    expect(images.length).toBeGreaterThanOrEqual(2);
    expect(images.every((name) => name.endsWith('.png'))).toBe(true);
    const modelConfig = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'config.json'], { encoding: 'utf8' })) as { hf: unknown };
    expect(modelConfig.hf).toEqual({ dir: 'hf', architecture: 'layoutlmv3', images: true });
    const jobLog = await readFile(path.join(jobDir, 'logs.txt'), 'utf8');
    expect(jobLog).toMatch(/backend=hf device=cpu/);
    expect(jobLog).not.toMatch(/no page image for record/);
    expect(jobLog).toMatch(/\[metric\] epoch=2 step=\d+ .* val_f1=/);
  });

  it('fails a malformed execution input in the first state, naming the fields, before any training job', async () => {
    // Prepare
    const jobsBefore = await trainingJobNames();

    // Act
    const outcome = await pipeline.execute(
      {
        runId: 'e2e-bad-input',
        training: { instanceType: 'ml.p9.huge', epochz: 3, hyperparameters: { learning_rat: 0.1, epochs: -1 } },
        pollSeconds: 'soon',
      },
      { executionName: 'e2e-bad-input' },
    );

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('InvalidInputError');
    expect(outcome.cause).toContain('training.instanceType');
    expect(outcome.cause).toContain('epochz');
    expect(outcome.cause).toContain('pollSeconds');
    // Hyperparameters the trainer would reject fail here, before OCR, with the trainer's own schema.
    // (the cause is the error as JSON, so its quotes are escaped)
    expect(outcome.cause).toContain(
      String.raw`training.hyperparameters.learning_rat: unknown hyperparameter \"learning_rat\" (did you mean \"learning_rate\"?)`,
    );
    expect(outcome.cause).toContain('training.hyperparameters.epochs: must be in [1, 100000]');
    const entered = outcome.events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName);
    expect(entered).toEqual(['EnterPipeline', 'ValidateInput', 'InputRejected']);
    expect(await trainingJobNames()).toEqual(jobsBefore);
    expect((await pipeline.runRecord('e2e-bad-input')).record).toBeUndefined();
  });

  it('fails a run whose quarantine takes more than dataset.maxQuarantineShare, before any training job', async () => {
    // Prepare: 2 of the 12 inputs are quarantined (16.7%), above a 10% limit.
    const jobsBefore = await trainingJobNames();

    // Act
    const outcome = await pipeline.execute(
      { runId: 'e2e-quarantine', dataset: { maxQuarantineShare: 0.1 } },
      { executionName: 'e2e-quarantine' },
    );

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('QuarantineShareExceededError');
    // The cause is the Lambda error payload, as on AWS: its errorMessage says what happened and what to do.
    expect(outcome.cause).toContain('2 of 12 documents were quarantined (16.7%), more than dataset.maxQuarantineShare 0.1 allows');
    const entered = outcome.events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName);
    expect(entered).not.toContain('CreateTrainingJob');
    expect(entered.slice(-3)).toEqual(['RecordFailure', 'NotifyFailed', 'PipelineFailed']);
    expect(await trainingJobNames()).toEqual(jobsBefore);
    const { record } = await pipeline.runRecord('e2e-quarantine');
    expect(record?.status).toBe('FAILED');
    expect(JSON.stringify(record)).toContain('QuarantineShareExceededError');
  });

  it('survives a spot interruption: the job resumes from its S3 checkpoints and the run completes', async () => {
    // Prepare: reclaim the spot instance as soon as the trainer has a complete checkpoint (step 2)
    const runId = 'e2e-spot-resume';
    pipeline.services.setSageMakerFaults({ spotInterruptAfterFirstCheckpoint: true });

    // Act
    const outcome = await pipeline
      .execute(
        { runId, training: { hyperparameters: { ...SMALL_TRAINING, epochs: 100, checkpoint_every_steps: 2 } } },
        { executionName: runId },
      )
      .finally(() => pipeline.services.setSageMakerFaults({}));

    // Assess
    expect(outcome, `${outcome.error}: ${outcome.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const job = await pipeline.services.clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: `doctrain-${runId}-a1` }));
    const transitions = (job.SecondaryStatusTransitions ?? []).map((transition) => transition.Status);
    expect(transitions).toContain('Interrupted');
    expect(transitions.lastIndexOf('Training')).toBeGreaterThan(transitions.indexOf('Interrupted'));
    const checkpoint = parseS3Uri(String(job.CheckpointConfig?.S3Uri));
    expect(checkpoint.key).toBe(`checkpoints/receipts/${runId}/`);
    const checkpointKeys = await listKeys(pipeline.services.clients.s3, checkpoint.bucket, checkpoint.key);
    expect(checkpointKeys.some((key) => key.endsWith('/manifest.json'))).toBe(true);
    // Fixed slot names: however many checkpoints were written, S3 holds at most the 2 slots (+ the write in progress).
    const folders = new Set(checkpointKeys.map((key) => key.slice(checkpoint.key.length).split('/')[0]));
    expect([...folders].filter((folder) => folder !== '.incoming').sort()).toEqual(['slot-0', 'slot-1']);
    const jobLog = await readFile(path.join(dataDir, 'sagemaker', `doctrain-${runId}-a1`, 'logs.txt'), 'utf8');
    expect(jobLog).toMatch(/resuming from checkpoint slot-\d at step [1-9]/);
    const { record } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('COMPLETED');
  });

  it('answers a second start of a run (another execution, the same run id) with the existing run: trains nothing, touches nothing', async () => {
    // Prepare: e2e-complete finished in the first test
    const before = await pipeline.runRecord('e2e-complete');
    const jobsBefore = await trainingJobNames();

    // Act
    const outcome = await pipeline.execute({ runId: 'e2e-complete' }, { executionName: 'another-execution' });

    // Assess: a duplicate start is not a failure; its output names the execution that owns the run
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({ Error: 'RunConflictError' });
    expect(JSON.stringify(outcome.output)).toContain('belongs to execution e2e-complete');
    const entered = outcome.events.filter((event) => event.type === 'StateEntered').map((event) => event.stateName);
    expect(entered).toEqual(['EnterPipeline', 'ValidateInput', 'RecordPending', 'DuplicateStart']);
    expect(await pipeline.runRecord('e2e-complete')).toEqual(before);
    expect(await trainingJobNames()).toEqual(jobsBefore);
  });

  it("records FAILED with the trainer's reason when the training job fails", async () => {
    // Prepare: a rule between keys only the trainer checks (hidden_size divisible by num_heads) is a
    // user error there (exit 2 + failure file); ValidateInput lets each value through.
    const runId = 'e2e-train-fails';

    // Act
    const outcome = await pipeline.execute(
      { runId, training: { hyperparameters: { ...SMALL_TRAINING, hidden_size: 33 } } },
      { executionName: runId },
    );

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('TrainingJobFailed');
    expect(outcome.cause).toContain('hidden_size=33 must be divisible by num_heads=2');
    const { record, events } = await pipeline.runRecord(runId);
    expect(record?.status).toBe('FAILED');
    expect(strictRunRecordSchema.safeParse(record).error).toBeUndefined();
    expect(record?.failure?.message).toContain('hidden_size=33');
    expect(events.map((event) => event.status).at(-1)).toBe('FAILED');
    // The unchanged documents were OCR'd by the first run: this run paid for no Textract page.
    const manifest = datasetManifestSchema.parse(
      await getJson(pipeline.services.clients.s3, { bucket: pipeline.services.bucket, key: `runs/${runId}/dataset-manifest.json` }),
    );
    expect(manifest.ocrCacheHits).toBe(10);
    expect(manifest.textractPagesBilled).toBe(0);
  });
});
