import { describe, expect, it } from 'vitest';
import {
  readDeploymentSettings,
  resolveRunConfig,
  runIdFromExecutionName,
  trainingJobName,
} from '../../../../src/steps/validate-input/step';
import { G5_INSTANCE_TYPES, deploymentSettingsSchema, type DeploymentSettings } from '../../../../src/contracts/settings';
import { InvalidInputError } from '../../../../src/contracts/errors';
import { DEFAULT_PRICE_TABLE } from '../../../../src/contracts/prices';
import { runConfigSchema } from '../../../../src/contracts/run-config';

/** SageMaker's CreateTrainingJob name pattern (API reference, TrainingJobName). */
const SAGEMAKER_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

const ENV = {
  DOCTRAIN_BUCKET: 'doctrain-dev-documents',
  DOCTRAIN_TABLE: 'doctrain-dev-runs',
  DOCTRAIN_TRAINING_IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer:latest',
  DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/doctrain-dev-sagemaker',
  DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
};
const settings = (overrides: Record<string, string> = {}): DeploymentSettings => readDeploymentSettings({ ...ENV, ...overrides });

/** Runs `fn`, expecting an InvalidInputError, and returns it. */
const invalid = (fn: () => unknown): InvalidInputError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).name).toBe('InvalidInputError');
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
};

describe('readDeploymentSettings', () => {
  it('applies the built-in defaults when only the required settings are present', () => {
    // Act
    const s = settings();
    // Assess
    expect(s).toMatchObject({
      DOCTRAIN_MODEL_NAME: 'receipts',
      DOCTRAIN_INSTANCE_TYPE: 'ml.g5.xlarge',
      DOCTRAIN_SPOT: true,
      DOCTRAIN_MAX_RUNTIME_SECONDS: 4 * 3600,
      DOCTRAIN_MAX_WAIT_SECONDS: 8 * 3600,
      DOCTRAIN_POLL_SECONDS: 60,
      DOCTRAIN_BATCH_SIZE: 10,
      DOCTRAIN_OCR_MAX_CONCURRENCY: 10,
      AWS_REGION: 'us-east-1',
      DOCTRAIN_VALIDATION_FRACTION: 0.2,
      DOCTRAIN_DOCUMENTS_PREFIX: 'documents/',
    });
  });

  it('derives a scheduled run id from the lineage and the schedule time (a retried delivery is the same run)', () => {
    // Act
    const first = resolveRunConfig(settings(), { trigger: 'schedule', scheduledAt: '2026-12-06T12:00:00Z' }, 'a1b2c3-random');
    const retried = resolveRunConfig(settings(), { trigger: 'schedule', scheduledAt: '2026-12-06T12:00:00Z' }, 'ffff-other');
    const offset = resolveRunConfig(settings(), { scheduledAt: '2026-12-06T13:00:00+01:00', modelName: 'invoices' }, 'x');
    // Assess
    expect(first.runId).toBe('receipts-20261206t1200z');
    expect(retried.runId).toBe(first.runId);
    expect(first.trigger).toBe('schedule');
    expect(offset).toMatchObject({ runId: 'invoices-20261206t1200z', trigger: 'schedule' });
    expect(SAGEMAKER_JOB_NAME.test(first.training.jobName)).toBe(true);
    // A 32-character model name still makes a run id within 48 characters.
    const long = resolveRunConfig(settings(), { scheduledAt: '2026-12-06T12:00:00Z', modelName: 'a'.repeat(32) }, 'x');
    expect(long.runId.length).toBeLessThanOrEqual(48);
    expect(invalid(() => resolveRunConfig(settings(), { scheduledAt: 'yesterday' }, 'x')).message).toContain('scheduledAt');
  });

  it('resolves force, the promotion rule and warm start from the input over the settings', () => {
    const config = resolveRunConfig(
      settings({ DOCTRAIN_PROMOTION_MARGIN: '0.02', DOCTRAIN_WARM_START: 'champion', DOCTRAIN_WARM_START_EPOCHS: '4' }),
      { force: true, promotion: { fieldTolerance: 0 } },
      'exec',
    );
    expect(config).toMatchObject({ force: true, promotion: { margin: 0.02, fieldTolerance: 0 } });
    expect(config.training).toMatchObject({ warmStart: 'champion', warmStartEpochs: 4 });
    expect(
      resolveRunConfig(settings({ DOCTRAIN_WARM_START: 'champion' }), { training: { warmStart: 'none' } }, 'e').training.warmStart,
    ).toBe('none');
    expect(invalid(() => resolveRunConfig(settings(), { training: { warmStart: 'best' } }, 'e')).message).toContain('warmStart');
    // Warm start adds warm_start and epochs to the job's hyperparameters: 100 given leave no room (SageMaker's limit).
    const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`sagemaker_${i}`, 'x']));
    expect(resolveRunConfig(settings(), { training: { hyperparameters: hundred } }, 'e').training.hyperparameters).toEqual(hundred);
    expect(
      invalid(() => resolveRunConfig(settings(), { training: { hyperparameters: hundred, warmStart: 'champion' } }, 'e')).message,
    ).toContain('warm start from the champion adds 2 (warm_start, epochs) and SageMaker takes at most 100: remove 2');
  });

  it('coerces the string environment into typed settings', () => {
    // Act
    const s = settings({ DOCTRAIN_SPOT: 'false', DOCTRAIN_MAX_RUNTIME_SECONDS: '600', DOCTRAIN_VALIDATION_FRACTION: '0.25' });
    // Assess
    expect(s.DOCTRAIN_SPOT).toBe(false);
    expect(s.DOCTRAIN_MAX_RUNTIME_SECONDS).toBe(600);
    expect(s.DOCTRAIN_VALIDATION_FRACTION).toBe(0.25);
  });

  it('names the missing or malformed setting', () => {
    // Act
    const missing = invalid(() => readDeploymentSettings({ ...ENV, DOCTRAIN_BUCKET: undefined }));
    const badRole = invalid(() => readDeploymentSettings({ ...ENV, DOCTRAIN_SAGEMAKER_ROLE_ARN: 'doctrain-role' }));
    const badSpot = invalid(() => readDeploymentSettings({ ...ENV, DOCTRAIN_SPOT: 'yes' }));
    // Assess
    expect(missing.message).toContain('DOCTRAIN_BUCKET');
    expect(badRole.message).toContain('DOCTRAIN_SAGEMAKER_ROLE_ARN');
    expect(badSpot.message).toContain('DOCTRAIN_SPOT');
  });

  it('rejects an instance type outside the g5 family in the stage settings', () => {
    // Act
    const result = deploymentSettingsSchema.safeParse({ ...ENV, DOCTRAIN_INSTANCE_TYPE: 'ml.p3.2xlarge' });
    // Assess
    expect(result.success).toBe(false);
  });
});

describe('resolveRunConfig', () => {
  it('resolves an empty input from the deployment settings and the execution name', () => {
    // Act
    const config = resolveRunConfig(settings(), {}, 'weekly-2026-03-14');
    // Assess
    expect(config).toEqual({
      runId: 'weekly-2026-03-14',
      trigger: 'manual',
      modelName: 'receipts',
      force: false,
      promotion: { margin: 0.01, fieldTolerance: 0.02 },
      bucket: ENV.DOCTRAIN_BUCKET,
      documentsPrefix: 'documents/',
      runPrefix: 'runs/weekly-2026-03-14/',
      dataset: {
        validationFraction: 0.2,
        batchSize: 10,
        ocrConcurrency: 10,
        // us-east-1's default quotas, split over the 10 iterations of the OCR Map.
        textractTps: { DetectDocumentText: 25, AnalyzeDocument: 10, StartDocumentTextDetection: 15, GetDocumentTextDetection: 15 },
        textractTpsPerBatch: {
          DetectDocumentText: 2.5,
          AnalyzeDocument: 1,
          StartDocumentTextDetection: 1.5,
          GetDocumentTextDetection: 1.5,
        },
        maxQuarantineShare: 0.25,
        pageImages: false,
        locale: null,
        fieldNames: {},
        task: null,
        classes: null,
      },
      training: {
        jobName: 'doctrain-weekly-2026-03-14-a1',
        image: ENV.DOCTRAIN_TRAINING_IMAGE,
        imageDigest: null,
        roleArn: ENV.DOCTRAIN_SAGEMAKER_ROLE_ARN,
        instanceType: 'ml.g5.xlarge',
        spot: true,
        // One instance, one GPU: one trainer process (the entrypoint launches no torchrun).
        instanceCount: 1,
        environment: { DOCTRAIN_NPROC_PER_NODE: '1' },
        stoppingCondition: { MaxRuntimeInSeconds: 14400, MaxWaitTimeInSeconds: 28800 },
        maxRuntimeSeconds: 14400,
        maxWaitSeconds: 28800,
        volumeSizeGb: 30,
        hyperparameters: {},
        warmStart: 'none',
        warmStartEpochs: 10,
        modelChannelUri: null,
        checkpointS3Uri: `s3://${ENV.DOCTRAIN_BUCKET}/checkpoints/receipts/weekly-2026-03-14/`,
        outputS3Uri: `s3://${ENV.DOCTRAIN_BUCKET}/models/receipts/`,
        // The default instance plan: instanceType/spot, then the instanceFallbacks setting.
        plan: [
          { instanceType: 'ml.g5.xlarge', spot: true },
          { instanceType: 'ml.g5.2xlarge', spot: true },
          { instanceType: 'ml.g5.xlarge', spot: false },
        ],
        attempt: 1,
        planIndex: 0,
        attempts: [],
        next: 'create',
        waitSeconds: 0,
        createRetries: 0,
      },
      tuning: null,
      pollSeconds: 60,
      budgetUsd: null,
      prices: DEFAULT_PRICE_TABLE,
    });
  });

  it('takes the budget from the input, else the stage; an input null removes the stage budget', () => {
    // Prepare
    const stage = settings({ DOCTRAIN_BUDGET_USD: '25' });
    // Act
    const fromStage = resolveRunConfig(stage, {}, 'run-a').budgetUsd;
    const fromInput = resolveRunConfig(stage, { budgetUsd: 4.5 }, 'run-b').budgetUsd;
    const removed = resolveRunConfig(stage, { budgetUsd: null }, 'run-c').budgetUsd;
    const none = resolveRunConfig(settings({ DOCTRAIN_BUDGET_USD: '' }), {}, 'run-d').budgetUsd;
    // Assess
    expect([fromStage, fromInput, removed, none]).toEqual([25, 4.5, null, null]);
    expect(() => resolveRunConfig(stage, { budgetUsd: 0 }, 'run-e')).toThrow(/budgetUsd/);
  });

  it("fixes the run's price table from the prices setting over the defaults", () => {
    // Act
    const config = resolveRunConfig(
      settings({ DOCTRAIN_PRICES: '{"region":"eu-west-1","trainingUsdPerHour":{"ml.g5.xlarge":1.58}}' }),
      {},
      'run-f',
    );
    // Assess
    expect(config.prices).toMatchObject({ region: 'eu-west-1', trainingUsdPerHour: { 'ml.g5.xlarge': 1.58, 'ml.g5.2xlarge': 1.515 } });
  });

  it('treats a null input (a schedule with no input) like an empty one', () => {
    // Act
    const config = resolveRunConfig(settings(), null, 'scheduled-run');
    // Assess
    expect(config.runId).toBe('scheduled-run');
    expect(config.trigger).toBe('manual');
  });

  it('reads a config written before tuning existed (an execution continuing as new across a deploy) as one without tuning', () => {
    // Prepare: a resolved config less its tuning key.
    const { tuning, ...older } = resolveRunConfig(settings(), {}, 'older-run');
    expect(tuning).toBeNull();
    // Act
    const parsed = runConfigSchema.parse(older);
    // Assess
    expect(parsed.tuning).toBeNull();
    expect(parsed).toEqual({ ...older, tuning: null });
  });

  it('layers defaults < stage settings < execution input, key by key', () => {
    // Prepare: the stage overrides some defaults, the input overrides some of the stage's.
    const stage = settings({
      DOCTRAIN_MODEL_NAME: 'invoices',
      DOCTRAIN_INSTANCE_TYPE: 'ml.g5.2xlarge',
      DOCTRAIN_BATCH_SIZE: '25',
      DOCTRAIN_POLL_SECONDS: '30',
      DOCTRAIN_TEXTRACT_TPS_DETECT_DOCUMENT_TEXT: '4',
    });
    // Act
    const config = resolveRunConfig(
      stage,
      {
        runId: 'r-1',
        trigger: 'schedule',
        documentsPrefix: 'scans/2026/',
        dataset: { batchSize: 5, maxQuarantineShare: 0.5 },
        training: { instanceType: 'ml.g5.4xlarge', volumeSizeGb: 100 },
      },
      'ignored-when-runId-is-given',
    );
    // Assess: input wins where given...
    expect(config.runId).toBe('r-1');
    expect(config.trigger).toBe('schedule');
    expect(config.documentsPrefix).toBe('scans/2026/');
    expect(config.dataset.batchSize).toBe(5);
    expect(config.dataset.maxQuarantineShare).toBe(0.5);
    expect(config.training.instanceType).toBe('ml.g5.4xlarge');
    expect(config.training.volumeSizeGb).toBe(100);
    // ...the stage where the input is silent...
    expect(config.modelName).toBe('invoices');
    expect(config.pollSeconds).toBe(30);
    expect(config.dataset.ocrConcurrency).toBe(4);
    expect(config.dataset.textractTpsPerBatch.DetectDocumentText).toBe(1);
    expect(config.training.outputS3Uri).toBe(`s3://${ENV.DOCTRAIN_BUCKET}/models/invoices/`);
    // ...and the built-in default where both are.
    expect(config.dataset.validationFraction).toBe(0.2);
    expect(resolveRunConfig(stage, {}, 'exec').dataset.maxQuarantineShare).toBe(0.25);
    expect(resolveRunConfig(settings({ DOCTRAIN_MAX_QUARANTINE_SHARE: '0.1' }), {}, 'exec').dataset.maxQuarantineShare).toBe(0.1);
    expect(config.training.spot).toBe(true);
  });

  it.each([
    [{ training: { instanceTyp: 'ml.g5.2xlarge' } }, 'training.instanceTyp'],
    [{ dataset: { batchsize: 5 } }, 'dataset.batchsize'],
    [{ runID: 'x' }, 'runID'],
    // `force` was removed from the execution input: an old caller still sending it is told so.
    [{ forced: true }, 'forced'],
  ])('rejects the unknown key in %j and names it', (input, field) => {
    // Act
    const error = invalid(() => resolveRunConfig(settings(), input, 'exec'));
    // Assess
    expect(error.message).toContain(field);
  });

  it('rejects an instance type that is not a g5 and names the field', () => {
    // Act
    const error = invalid(() => resolveRunConfig(settings(), { training: { instanceType: 'ml.p4d.24xlarge' } }, 'exec'));
    // Assess
    expect(error.message).toContain('training.instanceType');
  });

  it.each([
    [{ runId: '-leading-dash' }, 'runId'],
    [{ runId: 'x'.repeat(49) }, 'runId'],
    // SageMaker job names ignore case, so run ids are lowercase: 'Weekly' and 'weekly' would share a job.
    [{ runId: 'Weekly-Run' }, 'runId'],
    [{ runId: 'A1' }, 'runId'],
    [{ documentsPrefix: '/documents/' }, 'documentsPrefix'],
    [{ documentsPrefix: 'documents' }, 'documentsPrefix'],
    [{ dataset: { validationFraction: 1 } }, 'dataset.validationFraction'],
    [{ dataset: { maxQuarantineShare: 1.5 } }, 'dataset.maxQuarantineShare'],
    [{ dataset: { maxQuarantineShare: -0.1 } }, 'dataset.maxQuarantineShare'],
    [{ training: { maxRuntimeSeconds: 30 } }, 'training.maxRuntimeSeconds'],
    [{ training: { hyperparameters: { MaxSteps: 3 } } }, 'training.hyperparameters'],
    [{ trigger: 'cron' }, 'trigger'],
  ])('rejects %j and names %s', (input, field) => {
    // Act
    const error = invalid(() => resolveRunConfig(settings(), input, 'exec'));
    // Assess
    expect(error.message).toContain(field);
  });

  it('rejects an uppercase runId, names runId and says why', () => {
    // Act
    const error = invalid(() => resolveRunConfig(settings(), { runId: 'Weekly-2026-03-14' }, 'exec'));
    // Assess
    expect(error.message).toContain('runId');
    expect(error.message).toContain('lowercase');
  });

  it('refuses spot training whose maxWait is shorter than maxRuntime, saying which to change', () => {
    // Act
    const error = invalid(() =>
      resolveRunConfig(settings(), { training: { spot: true, maxRuntimeSeconds: 7200, maxWaitSeconds: 3600 } }, 'exec'),
    );
    // Assess
    expect(error.message).toContain('training.maxWaitSeconds (3600)');
    expect(error.message).toContain('training.maxRuntimeSeconds (7200)');
  });

  it('refuses a global batch_size smaller than the processes of the widest plan entry, before any cost', () => {
    // Prepare: 2 instances of ml.g5.12xlarge (4 GPUs each) is 8 processes; a fallback of 1 GPU is narrower.
    const training = {
      instanceType: 'ml.g5.12xlarge',
      instanceCount: 2,
      instanceFallbacks: [{ instanceType: 'ml.g5.xlarge', spot: false }],
    };
    // Act
    const error = invalid(() => resolveRunConfig(settings(), { training: { ...training, hyperparameters: { batch_size: 4 } } }, 'exec'));
    const config = resolveRunConfig(settings(), { training: { ...training, hyperparameters: { batch_size: 8 } } }, 'exec');
    // Assess
    expect(error.message).toContain('batch_size (4) is the global batch');
    expect(error.message).toContain('ml.g5.12xlarge:spot x 2 instance(s) runs 8 trainer processes: set batch_size to at least 8');
    expect(config.training).toMatchObject({ instanceCount: 2, environment: { DOCTRAIN_NPROC_PER_NODE: '4' } });
    // The trainer's default batch (8) fits every single-instance plan, ml.g5.48xlarge's 8 GPUs included.
    expect(() => resolveRunConfig(settings(), { training: { instanceType: 'ml.g5.48xlarge' } }, 'exec')).not.toThrow();
  });

  it('applies the maxWait >= maxRuntime rule to the layered values, not only to the input', () => {
    // Prepare: the stage's maxWait is shorter than the runtime the input asks for.
    const stage = settings({ DOCTRAIN_MAX_WAIT_SECONDS: '3600' });
    // Act / Assess
    invalid(() => resolveRunConfig(stage, { training: { maxRuntimeSeconds: 7200 } }, 'exec'));
    expect(resolveRunConfig(stage, { training: { maxRuntimeSeconds: 3600 } }, 'exec').training.stoppingCondition).toEqual({
      MaxRuntimeInSeconds: 3600,
      MaxWaitTimeInSeconds: 3600,
    });
  });

  it('gives on-demand training a StoppingCondition without MaxWaitTimeInSeconds, whatever maxWait says', () => {
    // Act
    const config = resolveRunConfig(settings(), { training: { spot: false, maxRuntimeSeconds: 7200, maxWaitSeconds: 60 } }, 'exec');
    // Assess
    expect(config.training.spot).toBe(false);
    expect(config.training.stoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200 });
    expect('MaxWaitTimeInSeconds' in config.training.stoppingCondition).toBe(false);
  });

  it('builds the instance plan: instanceType/spot first, then the fallbacks, each entry once', () => {
    // Act
    const fromSetting = resolveRunConfig(
      settings({ DOCTRAIN_INSTANCE_FALLBACKS: 'ml.g5.xlarge:spot,ml.g5.4xlarge:on-demand' }),
      {},
      'exec',
    );
    const fromInput = resolveRunConfig(
      settings(),
      { training: { instanceType: 'ml.g5.2xlarge', instanceFallbacks: [{ instanceType: 'ml.g5.4xlarge', spot: false }] } },
      'exec',
    );
    const none = resolveRunConfig(settings({ DOCTRAIN_INSTANCE_FALLBACKS: '' }), {}, 'exec');
    // Assess
    expect(fromSetting.training.plan).toEqual([
      { instanceType: 'ml.g5.xlarge', spot: true },
      { instanceType: 'ml.g5.4xlarge', spot: false },
    ]);
    expect(fromInput.training.plan).toEqual([
      { instanceType: 'ml.g5.2xlarge', spot: true },
      { instanceType: 'ml.g5.4xlarge', spot: false },
    ]);
    expect(none.training.plan).toEqual([{ instanceType: 'ml.g5.xlarge', spot: true }]);
  });

  it('rejects a malformed instanceFallbacks setting and a pinned digest that is no sha256 digest', () => {
    // Act
    const badPlan = invalid(() => readDeploymentSettings({ ...ENV, DOCTRAIN_INSTANCE_FALLBACKS: 'ml.g5.xlarge:cheap' }));
    const badDigest = invalid(() => resolveRunConfig(settings(), { training: { imageDigest: 'latest' } }, 'exec'));
    // Assess
    expect(badPlan.message).toContain('DOCTRAIN_INSTANCE_FALLBACKS');
    expect(badDigest.message).toContain('training.imageDigest');
    expect(
      resolveRunConfig(settings({ DOCTRAIN_TRAINING_IMAGE_DIGEST: `sha256:${'a'.repeat(64)}` }), {}, 'exec').training.imageDigest,
    ).toBe(`sha256:${'a'.repeat(64)}`);
  });

  it('stringifies hyperparameters (SageMaker takes only strings)', () => {
    // Act
    const config = resolveRunConfig(
      settings(),
      { training: { hyperparameters: { epochs: 3, learning_rate: 0.0005, backend: 'compact', max_steps: 0 } } },
      'exec',
    );
    // Assess
    expect(config.training.hyperparameters).toEqual({
      epochs: '3',
      learning_rate: '0.0005',
      backend: 'compact',
      max_steps: '0',
    });
    for (const value of Object.values(config.training.hyperparameters)) expect(typeof value).toBe('string');
  });

  describe('hyperparameters, checked against the trainer schema before anything costs money', () => {
    const withHyperparameters = (hyperparameters: Record<string, string | number | boolean>) =>
      resolveRunConfig(settings(), { training: { hyperparameters } }, 'exec');

    it('rejects an unknown key, suggests the near one and lists the known ones', () => {
      // Act
      const error = invalid(() => withHyperparameters({ epoch: 3 }));
      // Assess
      expect(error.message).toContain('training.hyperparameters.epoch: unknown hyperparameter "epoch" (did you mean "epochs"?)');
      expect(error.message).toContain('known: backend, batch_size,');
      expect(error.message).toContain('model_id');
    });

    it('gives no suggestion for a key that is near nothing', () => {
      const error = invalid(() => withHyperparameters({ optimizer_name: 'adamw' }));
      expect(error.message).toContain('unknown hyperparameter "optimizer_name"; known:');
    });

    it.each([
      [{ epochs: -1 }, 'epochs', 'must be in [1, 100000]'],
      [{ epochs: 1.5 }, 'epochs', 'must be an integer'],
      [{ epochs: 'three' }, 'epochs', 'must be an integer'],
      [{ epochs: true }, 'epochs', 'must be an integer'],
      [{ dropout: 1 }, 'dropout', 'must be in [0, 1)'],
      [{ learning_rate: 'nan' }, 'learning_rate', 'must be a number'],
      [{ learning_rate: 2 }, 'learning_rate', 'must be in [1e-8, 1]'],
      [{ device: 'tpu' }, 'device', 'must be one of: auto, cpu, cuda'],
      [{ keep_checkpoints: 1 }, 'keep_checkpoints', 'must be in [2, 100]'],
      [{ model_id: 'a/b/c' }, 'model_id', '"a/b/c" is not valid: Backend hf: a model hub id'],
    ])('rejects %j, naming %s: %s', (hyperparameters, key, why) => {
      // Act
      const error = invalid(() => withHyperparameters(hyperparameters));
      // Assess
      expect(error.message).toContain(`training.hyperparameters.${key}: ${why}`);
    });

    it('names every bad field in one message', () => {
      const error = invalid(() => withHyperparameters({ epoch: 3, epochs: 0, device: 'gpu' }));
      expect(error.message).toContain('training.hyperparameters.epoch:');
      expect(error.message).toContain('training.hyperparameters.epochs:');
      expect(error.message).toContain('training.hyperparameters.device:');
    });

    it("holds SageMaker's limits: values of at most 2,500 characters, names of at most 256, at most 100 entries", () => {
      // A value the trainer would accept in form but SageMaker would refuse for its length.
      const longPath = `/${'p'.repeat(2500)}`;
      expect(invalid(() => withHyperparameters({ model_id: longPath })).message).toContain(
        "training.hyperparameters.model_id: values are at most 2500 characters (SageMaker's limit), got 2501",
      );
      const longName = `sagemaker_${'x'.repeat(250)}`;
      expect(invalid(() => withHyperparameters({ [longName]: '1' })).message).toContain('names are at most 256 characters');
      const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`sagemaker_k${i}`, '1']));
      expect(invalid(() => withHyperparameters(many)).message).toContain(
        "training.hyperparameters: at most 100 hyperparameters (SageMaker's limit), got 101",
      );
      expect(withHyperparameters(Object.fromEntries(Object.entries(many).slice(0, 100))).training.hyperparameters).toHaveProperty(
        'sagemaker_k99',
        '1',
      );
    });

    it('accepts a valid set, numbers and the string forms the trainer parses', () => {
      // Act
      const config = withHyperparameters({
        backend: 'HF',
        epochs: ' 12 ',
        batch_size: '+4',
        learning_rate: '5e-5',
        dropout: '.25',
        seed: '1_000',
        max_steps: 0,
        max_seq_len: 256,
        device: 'CPU',
        precision: 'bf16',
        model_id: 'microsoft/layoutlmv3-base',
        early_stopping_patience: '0',
        sagemaker_program: 'train.py',
      });
      // Assess: passed on unchanged, as strings
      expect(config.training.hyperparameters).toMatchObject({
        backend: 'HF',
        epochs: ' 12 ',
        learning_rate: '5e-5',
        max_steps: '0',
        max_seq_len: '256',
      });
    });

    it('accepts an absolute local model path and the largest values', () => {
      const config = withHyperparameters({ model_id: '/opt/ml/input/data/model', epochs: 100000, seed: 2147483647, dropout: 0.999 });
      expect(config.training.hyperparameters['model_id']).toBe('/opt/ml/input/data/model');
    });
  });

  it('layers dataset.pageImages and training.modelChannelUri: stage setting < execution input; rejects a URI that is not s3://', () => {
    const stage = settings({ DOCTRAIN_PAGE_IMAGES: 'true', DOCTRAIN_MODEL_CHANNEL_URI: 's3://models/layoutlmv3-base/' });
    expect(resolveRunConfig(stage, {}, 'exec')).toMatchObject({
      dataset: { pageImages: true },
      training: { modelChannelUri: 's3://models/layoutlmv3-base/' },
    });
    const input = { dataset: { pageImages: false }, training: { modelChannelUri: 's3://other-bucket/v3.tar.gz' } };
    expect(resolveRunConfig(stage, input, 'exec')).toMatchObject({
      dataset: { pageImages: false },
      training: { modelChannelUri: 's3://other-bucket/v3.tar.gz' },
    });
    // An empty stage setting is "no model channel".
    expect(resolveRunConfig(settings({ DOCTRAIN_MODEL_CHANNEL_URI: '' }), {}, 'exec').training.modelChannelUri).toBeNull();
    expect(
      invalid(() => resolveRunConfig(settings(), { training: { modelChannelUri: 'https://example.com/model' } }, 'exec')).message,
    ).toContain('modelChannelUri');
  });

  it('layers dataset.locale and dataset.fieldNames: stage setting < execution input; rejects what is no locale or no field names', () => {
    const stage = settings({ DOCTRAIN_LOCALE: 'en-US', DOCTRAIN_FIELD_NAMES: '{"total":["Endsumme"]}' });
    expect(resolveRunConfig(stage, {}, 'exec').dataset).toMatchObject({ locale: 'en-US', fieldNames: { total: ['Endsumme'] } });
    const input = { dataset: { locale: 'de-DE', fieldNames: { date: ['Belegdatum'] } } };
    expect(resolveRunConfig(stage, input, 'exec').dataset).toMatchObject({ locale: 'de-DE', fieldNames: { date: ['Belegdatum'] } });
    expect(resolveRunConfig(settings({ DOCTRAIN_LOCALE: '', DOCTRAIN_FIELD_NAMES: '' }), {}, 'exec').dataset).toMatchObject({
      locale: null,
      fieldNames: {},
    });
    expect(invalid(() => resolveRunConfig(settings(), { dataset: { locale: 'not a locale!' } }, 'exec')).message).toContain('locale');
    expect(invalid(() => resolveRunConfig(settings(), { dataset: { fieldNames: { Total: ['x'] } } }, 'exec')).message).toContain(
      'fieldNames',
    );
    expect(() => settings({ DOCTRAIN_FIELD_NAMES: '{total' })).toThrow();
  });

  it('accepts every g5 instance type', () => {
    for (const instanceType of G5_INSTANCE_TYPES) {
      expect(resolveRunConfig(settings(), { training: { instanceType } }, 'exec').training.instanceType).toBe(instanceType);
    }
  });
});

describe('training job names', () => {
  /** Deterministic PRNG so a failure is reproducible. */
  const mulberry32 = (seed: number) => () => {
    let t = (seed += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789-';
  const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const ANY = `${ALPHABET}${UPPER}_.:/ #@é$`;
  const randomString = (rand: () => number, alphabet: string, min: number, max: number): string => {
    const length = min + Math.floor(rand() * (max - min + 1));
    return Array.from({ length }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  };

  it('always matches the SageMaker pattern for any valid run id (property-style)', () => {
    // Prepare
    const rand = mulberry32(20260314);
    const runIds: string[] = ['a', 'a1', 'x'.repeat(48), `a${'-'.repeat(47)}`, `a${'-'.repeat(46)}b`, `${'a'.repeat(47)}-`];
    for (let i = 0; i < 2000; i++) {
      // Valid run ids: first char alphanumeric, then letters/digits/dashes, at most 48 in all, dashes over-weighted.
      const first = randomString(rand, ALPHABET.slice(0, -1), 1, 1);
      const rest = randomString(rand, rand() < 0.3 ? '-a' : ALPHABET, 0, 47);
      runIds.push(first + rest);
    }
    for (const runId of runIds) {
      // Act: through the same path an execution takes (schema-validated input).
      const config = resolveRunConfig(settings(), { runId }, 'exec');
      // Assess
      expect(config.training.jobName, `runId ${JSON.stringify(runId)}`).toMatch(SAGEMAKER_JOB_NAME);
      expect(config.training.jobName.length).toBeLessThanOrEqual(63);
    }
  });

  it('always matches the SageMaker pattern for any execution name (property-style)', () => {
    // Prepare
    const rand = mulberry32(7);
    const names: string[] = ['', '-', '---', '___', 'é', `${'-'.repeat(80)}x`, 'x'.repeat(80), 'a/b:c d'];
    for (let i = 0; i < 2000; i++) names.push(randomString(rand, rand() < 0.5 ? ANY : '-_a', 1, 80));
    for (const executionName of names) {
      // Act
      const config = resolveRunConfig(settings(), {}, executionName || 'x');
      const runId = runIdFromExecutionName(executionName);
      // Assess
      expect(config.training.jobName, `execution ${JSON.stringify(executionName)}`).toMatch(SAGEMAKER_JOB_NAME);
      expect(trainingJobName(runId, 1), `execution ${JSON.stringify(executionName)}`).toMatch(SAGEMAKER_JOB_NAME);
      expect(runId).toMatch(/^[a-z0-9][a-z0-9-]{0,47}$/);
    }
  });

  it('keeps the attempt suffix and distinguishes attempts', () => {
    // Act
    const first = trainingJobName('weekly', 1);
    const second = trainingJobName('weekly', 2);
    const long = trainingJobName('x'.repeat(48), 12);
    // Assess
    expect(first).toBe('doctrain-weekly-a1');
    expect(second).toBe('doctrain-weekly-a2');
    expect(long.endsWith('-a12')).toBe(true);
    expect(long).toMatch(SAGEMAKER_JOB_NAME);
  });

  it('is exactly doctrain-<runId>-a<attempt>, never truncated, even for a 48-character run id', () => {
    // Prepare: two longest run ids that differ only in their last character.
    const a = `${'x'.repeat(47)}a`;
    const b = `${'x'.repeat(47)}b`;
    // Act / Assess
    expect(trainingJobName(a, 1)).toBe(`doctrain-${a}-a1`);
    expect(trainingJobName(b, 1)).toBe(`doctrain-${b}-a1`);
    expect(trainingJobName(a, 1)).not.toBe(trainingJobName(b, 1));
    expect(trainingJobName(a, 99)).toBe(`doctrain-${a}-a99`);
    expect(trainingJobName(a, 99)).toHaveLength(9 + 48 + 4);
    expect(trainingJobName(a, 99)).toMatch(SAGEMAKER_JOB_NAME);
  });
});

describe('runIdFromExecutionName', () => {
  it.each([
    ['weekly-2026-03-14', 'weekly-2026-03-14'],
    ['a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890'],
    ['run_2026.03.14', 'run-2026-03-14'],
    ['__manual run__', 'manual-run'],
    ['---', 'run'],
    ['', 'run'],
    ['ééé', 'run'],
    // Lowercased: execution names may be mixed case, run ids may not.
    ['Weekly_RUN', 'weekly-run'],
    ['ABC-123', 'abc-123'],
  ])('%j -> %j', (executionName, runId) => {
    expect(runIdFromExecutionName(executionName)).toBe(runId);
  });

  it('bounds the length to 48 without a trailing dash', () => {
    // Act
    const runId = runIdFromExecutionName(`${'a'.repeat(47)}-${'b'.repeat(20)}`);
    // Assess
    expect(runId).toBe('a'.repeat(47));
    expect(runIdFromExecutionName('c'.repeat(80))).toHaveLength(48);
  });

  it('gives a run id the execution input schema accepts', () => {
    // Prepare
    const runId = runIdFromExecutionName('Weekly retrain: receipts / 2026-03-14T00:00:00Z');
    // Act
    const config = resolveRunConfig(settings(), { runId }, 'other');
    // Assess
    expect(config.runId).toBe(runId);
  });
});

describe('ValidateInput: task and class list', () => {
  it('resolves task classification and its class list; a class list alone means classification', () => {
    // Act
    const named = resolveRunConfig(settings(), { task: 'classification', dataset: { classes: ['invoice', 'receipt'] } }, 'exec');
    const implied = resolveRunConfig(settings(), { dataset: { classes: ['invoice', 'receipt'] } }, 'exec');
    // Assess
    expect(named.dataset).toMatchObject({ task: 'classification', classes: ['invoice', 'receipt'] });
    expect(implied.dataset).toMatchObject({ task: 'classification', classes: ['invoice', 'receipt'] });
    expect(resolveRunConfig(settings(), {}, 'exec').dataset).toMatchObject({ task: null, classes: null });
  });

  it.each([
    [{ task: 'sorting' }, 'task'],
    [{ dataset: { classes: ['invoice'] } }, 'a classifier needs at least two classes'],
    [{ dataset: { classes: ['invoice', 'invoice'] } }, 'a class is listed twice'],
    [{ dataset: { classes: ['Invoice', 'receipt'] } }, 'class names must match'],
    [{ task: 'token-classification', dataset: { classes: ['a', 'b'] } }, 'dataset.classes is the class list of task classification'],
  ])('refuses %o before anything runs', (input, message) => {
    expect(invalid(() => resolveRunConfig(settings(), input, 'exec')).message).toContain(message);
  });
});
