/**
 * The CloudFormation that `sls package` produces (offline, no credentials): what the pipeline's safety and
 * cost rules depend on is asserted on the real template, for the dev and the prod stage.
 *
 * Each stage is packaged in its own copy of the service (symlinked node_modules): serverless-esbuild
 * builds in, and afterwards deletes, `<service>/.esbuild`, which would pull the rug from under any other
 * `sls` command (an `sls invoke local` test, a developer's shell) running in the checkout at the same time.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPrefix, datasetPrefix, modelOutputPrefix, ocrCacheKey, ocrMapItemsKey, ocrMapResultsPrefix, runPrefix } from '../../../src/contracts/s3-layout';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// The functions bundle the trainer's hyperparameter schema (src/contracts/hyperparameters.ts) from training-image/.
const SERVICE_FILES = ['serverless.yml', 'package.json', 'tsconfig.json', 'statemachines', 'functions', 'src', 'scripts/esbuild-plugins.cjs', 'scripts/tidy-function-roles.cjs', 'training-image/doctrain_trainer/hyperparameters.schema.json'];

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
}
interface Template {
  Resources: Record<string, Resource>;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}
interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Retry?: { ErrorEquals: string[] }[];
  Parameters?: Json;
  ItemSelector?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  OutputPath?: string | null;
  ErrorPath?: string;
  CausePath?: string;
  ItemProcessor?: { States: Record<string, State>; ProcessorConfig?: Json };
  [field: string]: unknown;
}
interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

const execFileAsync = promisify(execFile);
let workDir: string;
const packaged: Record<'dev' | 'prod', { template: Template; dir: string }> = {} as never;

const packageStage = async (stage: 'dev' | 'prod'): Promise<void> => {
  const service = path.join(workDir, `service-${stage}`);
  for (const entry of SERVICE_FILES) cpSync(path.join(ROOT, entry), path.join(service, entry), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(service, 'node_modules'), 'dir');
  const out = path.join(workDir, `package-${stage}`);
  try {
    await execFileAsync('npx', ['sls', 'package', '--stage', stage, '--region', 'us-east-1', '--package', out], {
      cwd: service,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`sls package --stage ${stage} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
  const template = JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  packaged[stage] = { template, dir: out };
};

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-package-'));
  await Promise.all([packageStage('dev'), packageStage('prod')]);
}, 120_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------- template helpers ----------

const resourcesOfType = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

const onlyResourceOfType = (template: Template, type: string): [string, Resource] => {
  const found = resourcesOfType(template, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0] as [string, Resource];
};

const resource = (template: Template, logicalId: string): Resource => {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`template has no resource ${logicalId}`);
  return found;
};

/** `{Fn::GetAtt: [X, Arn]}` or `{Ref: X}` -> X. */
const referencedId = (value: unknown): string | undefined => {
  const v = value as { 'Fn::GetAtt'?: unknown; Ref?: unknown } | undefined;
  if (Array.isArray(v?.['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  if (typeof v?.['Fn::GetAtt'] === 'string') return v['Fn::GetAtt'].split('.')[0];
  if (typeof v?.Ref === 'string') return v.Ref;
  return undefined;
};

/** The state machine definition, whether DefinitionString is a string, a Fn::Sub string or a Fn::Sub [string, vars]. */
const stateMachine = (template: Template): { logicalId: string; definition: Definition; vars: Json; properties: Json } => {
  const [logicalId, machine] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
  const raw = machine.Properties['DefinitionString'] ?? machine.Properties['Definition'];
  let text: string;
  let vars: Json = {};
  if (typeof raw === 'string') text = raw;
  else if (raw && typeof raw === 'object' && 'Fn::Sub' in raw) {
    const sub = raw['Fn::Sub'];
    if (typeof sub === 'string') text = sub;
    else {
      [text, vars] = sub as [string, Json];
    }
  } else if (raw && typeof raw === 'object') {
    return { logicalId, definition: raw as Definition, vars, properties: machine.Properties };
  } else throw new Error('state machine has no definition');
  // ${...} placeholders sit inside JSON strings, so the text parses as it is.
  return { logicalId, definition: JSON.parse(text) as Definition, vars, properties: machine.Properties };
};

/** A Task's Resource as the logical id of the Lambda it invokes, when it is one of our functions. */
const lambdaOf = (state: State, vars: Json): string | undefined => {
  const placeholder = /^\$\{([^}]+)\}$/.exec(state.Resource ?? '')?.[1];
  return placeholder === undefined ? undefined : referencedId(vars[placeholder]);
};

const statementsOf = (role: Resource): Statement[] =>
  ((role.Properties['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );

const actionsOf = (statement: Statement): string[] =>
  statement.Action === undefined ? [] : Array.isArray(statement.Action) ? statement.Action : [statement.Action];

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** The role a function runs with (its `Role: Fn::GetAtt`). */
const functionRole = (template: Template, functionId: string): Resource =>
  resource(template, referencedId(resource(template, functionId).Properties['Role']) ?? '');

// ---------- tests ----------

describe.each(['dev', 'prod'] as const)('sls package --stage %s', (stage) => {
  const template = (): Template => packaged[stage].template;

  it('has one state machine starting at ValidateInput (a continued execution: the poll loop), run by the pipeline role', () => {
    // Act
    const { definition, properties } = stateMachine(template());
    // Assess
    const entry = definition.States[definition.StartAt];
    expect(entry?.Type).toBe('Choice');
    expect(entry?.Default).toBe('ValidateInput');
    expect(entry?.Choices?.map((c) => c.Next)).toEqual(['ResumePolling']);
    expect(definition.States['ResumePolling']?.Next).toBe('WaitForTraining');
    expect(definition.States['ValidateInput']?.Type).toBe('Task');
    expect(referencedId(properties['RoleArn'])).toBe('PipelineStateMachineRole');
    expect(properties['StateMachineName']).toBe(`doctrain-${stage}-train-pipeline`);
  });

  it('creates the training job through the SageMaker integration, with managed spot and checkpoints', () => {
    // Prepare
    const { definition } = stateMachine(template());
    // Act
    const create = Object.values(definition.States).filter((s) => s.Resource === 'arn:aws:states:::sagemaker:createTrainingJob');
    // Assess
    expect(create).toHaveLength(1);
    const parameters = create[0]?.Parameters ?? {};
    expect(parameters['EnableManagedSpotTraining.$'] ?? parameters['EnableManagedSpotTraining']).toBeDefined();
    const checkpoint = parameters['CheckpointConfig'] as Json | undefined;
    expect(checkpoint?.['S3Uri.$'] ?? checkpoint?.['S3Uri']).toBeDefined();
    expect(parameters['StoppingCondition.$'] ?? parameters['StoppingCondition']).toBeDefined();
    expect(create[0]?.Catch?.length).toBeGreaterThan(0);
  });

  it('passes the channel list BuildDataset computed (optional images/model) to CreateTrainingJob, and lets the job read them', () => {
    // Prepare
    const { definition } = stateMachine(template());
    const create = Object.values(definition.States).find((s) => s.Resource === 'arn:aws:states:::sagemaker:createTrainingJob');
    const build = definition.States['BuildDataset'];
    const roles = resourcesOfType(template(), 'AWS::IAM::Role');
    const sagemakerRole = roles.find(([roleId]) => roleId === 'SageMakerExecutionRole')?.[1];
    // Act
    const reads = statementsOf(sagemakerRole as Resource)
      .filter((s) => actionsOf(s).includes('s3:GetObject'))
      .flatMap((s) => asList(s.Resource).map((r) => JSON.stringify(r)));
    // Assess
    expect(create?.Parameters?.['InputDataConfig.$']).toBe('$.dataset.inputDataConfig');
    expect(create?.Parameters?.['InputDataConfig']).toBeUndefined();
    expect(build?.Parameters?.['pageImages.$']).toBe('$.config.dataset.pageImages');
    expect(build?.Parameters?.['modelChannelUri.$']).toBe('$.config.training.modelChannelUri');
    // datasets/* covers datasets/<fp>/images/; pretrained/* is where a model channel may lie in this bucket.
    expect(reads.some((r) => r.includes('/datasets/*'))).toBe(true);
    expect(reads.some((r) => r.includes('/pretrained/*'))).toBe(true);
  });

  it('retries only throttling at CreateTrainingJob, reads SageMaker\'s errors in AfterCreateFailure, and stops a possibly created job on any other', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    // Act
    const create = definition.States['CreateTrainingJob'];
    const after = definition.States['AfterCreateFailure'];
    // Assess: validation and quota errors are not retried; "already exists" is adopted, never stopped.
    expect(create?.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob');
    expect(create?.Catch).toEqual([
      {
        ErrorEquals: ['SageMaker.ResourceInUseException', 'SageMaker.ResourceLimitExceededException', 'SageMaker.AmazonSageMakerException'],
        ResultPath: '$.error',
        Next: 'AfterCreateFailure',
      },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StopTrainingAfterError' },
    ]);
    const retried = (create?.Retry ?? []).flatMap((r) => r.ErrorEquals);
    expect(retried).toEqual(['SageMaker.ThrottlingException']);
    expect(after && lambdaOf(after, vars)).toBe('TrainingAttemptLambdaFunction');
    expect(after?.Parameters?.['error.$']).toBe('$.error');
    expect(after?.ResultPath).toBe('$.config.training');
    expect(after?.Catch?.[0]).toEqual({
      ErrorEquals: ['InstancePlanExhaustedError', 'TrainingJobRejectedError', 'ThrottlingError'],
      ResultPath: '$.error',
      Next: 'RecordFailure',
    });
    const choice = definition.States[after?.Next ?? ''];
    expect(choice?.Choices?.map((c) => c.Next)).toEqual(['AdoptTrainingJob']);
    expect(definition.States['AdoptTrainingJob']?.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob');
    expect(definition.States['AdoptTrainingJob']?.Next).toBe('RecordTraining');
    expect(definition.States[choice?.Default ?? '']).toMatchObject({ Type: 'Wait', SecondsPath: '$.config.training.waitSeconds', Next: 'CreateTrainingJob' });
    const stop = definition.States['StopTrainingAfterError'];
    expect(stop?.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:stopTrainingJob');
    expect(stop?.Next).toBe('RecordFailure');
    expect(stop?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'RecordFailure' }]);
  });

  it('ends at RunConflict, before recording anything, when RecordPending finds the run id owned by another execution', () => {
    // Prepare
    const { definition } = stateMachine(template());
    // Act
    const pending = definition.States['RecordPending'];
    const conflict = definition.States['RunConflict'];
    // Assess: the RunConflictError catcher comes first (the States.ALL one would otherwise take it) and keeps
    // no ResultPath: the Fail state reads Error and Cause from the error output itself.
    expect(pending?.Catch?.[0]).toEqual({ ErrorEquals: ['RunConflictError'], Next: 'RunConflict' });
    expect(pending?.Catch?.[1]).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' });
    expect(pending?.Catch).toHaveLength(2);
    // (The packager adds QueryLanguage to every state.)
    expect(conflict).toMatchObject({ Type: 'Fail', ErrorPath: '$.Error', CausePath: '$.Cause' });
    expect(conflict).not.toHaveProperty('Error');
    expect(conflict).not.toHaveProperty('Cause');
    // No other state catches to RunConflict: only the first write can meet another execution's record.
    const catchingToConflict = Object.entries(definition.States)
      .filter(([, s]) => s.Catch?.some((c) => c.Next === 'RunConflict'))
      .map(([name]) => name);
    expect(catchingToConflict).toEqual(['RecordPending']);
  });

  it('tells every run-record write which execution it acts for', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    // Act
    const writers = Object.entries(definition.States).filter(([, s]) =>
      ['RecordStatusLambdaFunction', 'FinalizeRunLambdaFunction', 'TrainingAttemptLambdaFunction', 'PollTrainingLambdaFunction'].includes(lambdaOf(s, vars) ?? ''),
    );
    // Assess
    expect(writers.map(([name]) => name).sort()).toEqual(
      [
        'AfterCreateFailure',
        'FinalizeRun',
        'FirstTrainingAttempt',
        'NextTrainingAttempt',
        'PollTraining',
        'RecordContinuation',
        'RecordFailure',
        'RecordPending',
        'RecordPreparing',
        'RecordTraining',
      ],
    );
    for (const [name, state] of writers) {
      expect(state.Parameters?.['executionName.$'], name).toBe('$$.Execution.Name');
      expect(state.Parameters?.['runId.$'], name).toBe('$.config.runId');
    }
    // The owner is a top-level field of the record, no longer one of RecordPending's attributes.
    const attributes = definition.States['RecordPending']?.Parameters?.['attributes'] as Json | undefined;
    expect(attributes).toBeDefined();
    expect(Object.keys(attributes ?? {}).filter((key) => key.startsWith('executionName'))).toEqual([]);
  });

  it('fans the OCR out as a Distributed Map over the item list in S3, passing only a batch index and the iteration\'s Textract TPS share, and the batch count to BuildDataset', () => {
    // Prepare
    const { definition } = stateMachine(template());
    // Act
    const map = definition.States['OcrDocuments'];
    const ocrTask = map?.ItemProcessor?.States['OcrBatch'];
    const build = definition.States['BuildDataset'];
    // Assess: child executions (Standard: an iteration may outlive Express's 5 minutes), items from S3.
    expect(map?.ItemProcessor?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map?.Label).toBe('OcrDocuments');
    expect(map?.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket.$': '$.config.bucket', 'Key.$': '$.plan.itemsKey' },
    });
    expect(map).not.toHaveProperty('ItemsPath');
    expect(map?.MaxConcurrencyPath).toBe('$.config.dataset.ocrConcurrency');
    // A failed batch fails the run: its documents are never silently missing from the dataset's accounting.
    expect(map?.ToleratedFailurePercentage).toBe(0);
    expect(map?.ResultWriter).toEqual({
      Resource: 'arn:aws:states:::s3:putObject',
      Parameters: { 'Bucket.$': '$.config.bucket', 'Prefix.$': '$.plan.resultsPrefix' },
    });
    expect(map?.ItemSelector).toEqual({
      'bucket.$': '$.config.bucket',
      'runId.$': '$.config.runId',
      'runPrefix.$': '$.config.runPrefix',
      'batchIndex.$': '$$.Map.Item.Value.batchIndex',
      'textractTps.$': '$.config.dataset.textractTpsPerBatch',
    });
    expect(map?.ResultPath).toBeNull();
    // Each iteration's summary stays in S3: the Map collects nothing.
    expect(map?.ItemProcessor?.States['OcrBatchDone']?.OutputPath).toBeNull();
    // Only the pending-job count and the next wait travel between the iteration's states.
    expect(ocrTask?.ResultSelector).toEqual({ 'pendingJobs.$': '$.pendingJobs', 'waitSeconds.$': '$.waitSeconds' });
    expect(build?.Parameters?.['batchCount.$']).toBe('$.plan.batchCount');
    expect(build?.Parameters?.['maxQuarantineShare.$']).toBe('$.config.dataset.maxQuarantineShare');
    // Too much quarantined ends the run FAILED with the step's own message, before any training job.
    expect(build?.Catch?.[0]).toEqual({
      ErrorEquals: ['QuarantineShareExceededError', 'EmptyDatasetError'],
      ResultPath: '$.error',
      Next: 'RecordFailure',
    });
    expect(build?.Next).toBe('FirstTrainingAttempt');
    expect(definition.States['FirstTrainingAttempt']?.Next).toBe('CreateTrainingJob');
  });

  it('lets the pipeline role run the Distributed Map: start its child executions, read the item list, write the results, nothing wider', () => {
    // Prepare
    const { properties } = stateMachine(template());
    const role = resource(template(), referencedId(properties['RoleArn']) ?? '');
    const statements = statementsOf(role);
    const granting = (action: string): string[] =>
      statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action)).map((s) => JSON.stringify(s.Resource));
    const machineName = String(properties['StateMachineName']);
    // Act
    const start = granting('states:StartExecution');
    const children = [...granting('states:DescribeExecution'), ...granting('states:StopExecution')];
    const reads = granting('s3:GetObject');
    const writes = granting('s3:PutObject');
    // Assess: child executions are executions of this same state machine, named under the Map's Label.
    expect(machineName).toBe(`doctrain-${stage}-train-pipeline`);
    expect(start).toHaveLength(1);
    expect(start[0]).toContain(`stateMachine:${machineName}`);
    expect(children).toHaveLength(2);
    for (const grant of children) expect(grant).toContain(`execution:${machineName}/OcrDocuments`);
    // The S3 grants are exactly the layout's item list and results prefix, for any run.
    expect(reads).toEqual([
      expect.stringContaining(`/${ocrMapItemsKey('runs/*/')}`),
      expect.stringContaining(`/${ocrMapResultsPrefix('runs/*/')}/*`),
    ]);
    expect(writes).toEqual([expect.stringContaining(`/${ocrMapResultsPrefix('runs/*/')}/*`)]);
  });

  it('runs Preflight after RecordPending and before any OCR, ending the run FAILED on a missing image or zero quota', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    // Act
    const preflight = definition.States['Preflight'];
    // Assess
    expect(definition.States['RecordPending']?.Next).toBe('Preflight');
    expect(preflight && lambdaOf(preflight, vars)).toBe('PreflightLambdaFunction');
    expect(preflight?.Next).toBe('PlanBatches');
    expect(preflight?.ResultPath).toBe('$.preflight');
    expect(preflight?.Catch?.[0]).toEqual({ ErrorEquals: ['TrainingImageNotFoundError', 'InstanceQuotaError'], ResultPath: '$.error', Next: 'RecordFailure' });
    expect(preflight?.Retry?.some((r) => r.ErrorEquals.includes('ThrottlingError'))).toBe(true);
    // The job runs the digest pre-flight resolved.
    const create = definition.States['CreateTrainingJob'];
    expect((create?.Parameters?.['AlgorithmSpecification'] as Json | undefined)?.['TrainingImage.$']).toBe('$.preflight.image');
  });

  it('lets Preflight read the training image in the stack repository and the SageMaker quotas, nothing more', () => {
    // Act
    const statements = statementsOf(functionRole(template(), 'PreflightLambdaFunction'));
    const ecr = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ecr:')));
    const quotas = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('servicequotas:')));
    // Assess
    expect(ecr.flatMap(actionsOf)).toEqual(['ecr:DescribeImages']);
    expect(ecr.flatMap((s) => asList(s.Resource)).map(referencedId)).toEqual(['TrainingImageRepository']);
    expect(quotas.flatMap(actionsOf).sort()).toEqual(['servicequotas:ListAWSDefaultServiceQuotas', 'servicequotas:ListServiceQuotas']);
  });

  it('polls the job in a Wait (SecondsPath) -> PollTraining -> Choice loop, 3 transitions a poll', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    const states = definition.States;
    const wait = states['WaitForTraining'];
    // Act: follow the loop from the Wait state.
    const poll = states[wait?.Next ?? ''];
    const choice = states[poll?.Next ?? ''];
    // Assess
    expect(wait?.Type).toBe('Wait');
    expect((wait as Json | undefined)?.['SecondsPath']).toBe('$.polling.waitSeconds');
    expect(poll?.Type).toBe('Task');
    expect(lambdaOf(poll as State, vars)).toBe('PollTrainingLambdaFunction');
    expect(poll?.ResultPath).toBe('$.polling');
    expect(choice?.Type).toBe('Choice');
    expect(choice?.Default).toBe('WaitForTraining');
    expect(choice?.Choices?.map((c) => c.Next)).toEqual(['NextTrainingAttempt', 'NextTrainingAttempt', 'TrainingJobFailed', 'FinalizeRun', 'StopRequestedJob', 'RecordContinuation']);
    // A job ended for capacity goes to the next instance plan entry (same checkpoint URI); any other Failed job leaves the loop by one state.
    expect(states['NextTrainingAttempt']?.Next).toBe('CreateTrainingJob');
    expect(states['TrainingJobFailed']?.Next).toBe('FinalizeRun');
  });

  it('continues a long run as a new execution of itself, entering the poll loop', () => {
    // Prepare
    const { definition } = stateMachine(template());
    // Act
    const handOver = definition.States['RecordContinuation'];
    const start = definition.States['ContinueAsNew'];
    // Assess
    expect(handOver?.Next).toBe('ContinueAsNew');
    expect(start?.Resource).toBe('arn:aws:states:::states:startExecution');
    expect(start?.Parameters?.['StateMachineArn.$']).toBe('$$.StateMachine.Id');
    expect(start?.Parameters?.['Name.$']).toBe('$.polling.nextExecutionName');
    const input = start?.Parameters?.['Input'] as Json;
    expect(Object.keys(input['continuation'] as Json).sort()).toEqual(['config.$', 'dataset.$', 'polling', 'preflight.$']);
    expect(input['AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$']).toBe('$$.Execution.Id');
    expect(definition.States[start?.Next ?? '']?.Type).toBe('Succeed');
    // A later job of the same execution keeps its poll count (the history budget is per execution).
    expect(definition.States['StartPolling']?.Choices?.map((c) => c.Next)).toEqual(['PollNewJob']);
    expect(definition.States['StartPolling']?.Default).toBe('InitPolling');
  });

  it('stops the training job of an execution stopped from outside (EventBridge -> StopEndedRun)', () => {
    // Act
    const rules = resourcesOfType(template(), 'AWS::Events::Rule').filter(([, rule]) => rule.Properties['EventPattern'] !== undefined);
    // Assess
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0] as [string, Resource];
    expect(rule.Properties['EventPattern']).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT'] },
    });
    const targets = rule.Properties['Targets'] as { Arn: unknown }[];
    expect(targets.map((t) => referencedId(t.Arn))).toEqual(['StopEndedRunLambdaFunction']);
  });

  it('catches errors on every Task (Map iterations through their Map), the failure recorder included', () => {
    // Prepare
    const { definition } = stateMachine(template());
    // Act
    const uncaught = Object.entries(definition.States)
      .filter(([, s]) => ['Task', 'Map', 'Parallel'].includes(s.Type))
      .filter(([, s]) => !s.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')))
      .map(([name]) => name);
    // Assess
    expect(uncaught).toEqual([]);
    const tasks = Object.values(definition.States).filter((s) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(10);
    const recordFailure = definition.States['RecordFailure'];
    expect(recordFailure?.Retry?.length).toBeGreaterThan(0);
    expect(definition.States[recordFailure?.Next ?? '']?.Type).toBe('Fail');
    // A failure to record the failure still ends with the original error, kept at $.error.
    expect(recordFailure?.Catch?.[0]).toMatchObject({ Next: recordFailure?.Next, ResultPath: '$.recordError' });
    // Every Catch leads to a state that exists.
    for (const state of Object.values(definition.States)) {
      for (const c of state.Catch ?? []) expect(Object.keys(definition.States)).toContain(c.Next);
    }
    // The OCR Map's iterations retry throttling by our error name; its Catch covers the rest.
    const ocrMap = definition.States['OcrDocuments'];
    expect(ocrMap?.Type).toBe('Map');
    const ocrTask = ocrMap?.ItemProcessor?.States['OcrBatch'];
    expect(ocrTask?.Retry?.some((r) => r.ErrorEquals.includes('ThrottlingError'))).toBe(true);
    const collect = ocrMap?.ItemProcessor?.States['CollectTextractJobs'];
    expect(collect?.Retry?.some((r) => r.ErrorEquals.includes('ThrottlingError'))).toBe(true);
  });

  it('waits for async Textract jobs in the ASL (Wait -> CollectTextractJobs -> Choice), not in a Lambda', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    // Act
    const states = definition.States['OcrDocuments']?.ItemProcessor?.States ?? {};
    // Assess: OcrBatch -> Choice; the Choice loops through Wait and Collect back to itself while jobs are pending.
    expect(states['OcrBatch']?.Next).toBe('TextractJobsPending');
    const choice = states['TextractJobsPending'] as State & { Choices: { Variable: string; NumericGreaterThan: number; Next: string }[] };
    expect(choice.Type).toBe('Choice');
    expect(choice.Choices).toEqual([{ Variable: '$.ocr.pendingJobs', NumericGreaterThan: 0, Next: 'WaitForTextractJobs' }]);
    expect(choice.Default).toBe('OcrBatchDone');
    expect(states['WaitForTextractJobs']).toMatchObject({ Type: 'Wait', SecondsPath: '$.ocr.waitSeconds', Next: 'CollectTextractJobs' });
    const collect = states['CollectTextractJobs'];
    expect(collect && lambdaOf(collect, vars)).toBe('CollectTextractJobsLambdaFunction');
    expect(states['CollectTextractJobs']?.Next).toBe('TextractJobsPending');
  });

  it('lets OcrBatch start (and run) Textract and CollectTextractJobs collect the async jobs', () => {
    // Act
    const textractActions = (fn: string): string[] =>
      statementsOf(functionRole(template(), fn)).flatMap(actionsOf).filter((a) => a.startsWith('textract:')).sort();
    // Assess
    expect(textractActions('OcrBatchLambdaFunction')).toEqual(['textract:DetectDocumentText', 'textract:StartDocumentTextDetection']);
    expect(textractActions('CollectTextractJobsLambdaFunction')).toEqual(['textract:GetDocumentTextDetection']);
  });

  it(`schedules the pipeline every 7 days, ${stage === 'prod' ? 'ENABLED' : 'DISABLED'} in ${stage}, with {trigger: schedule}`, () => {
    // Prepare
    const { logicalId } = stateMachine(template());
    // Act
    const schedules = resourcesOfType(template(), 'AWS::Events::Rule').filter(([, r]) => r.Properties['ScheduleExpression'] !== undefined);
    expect(schedules).toHaveLength(1);
    const [, rule] = schedules[0] as [string, Resource];
    // Assess
    expect(rule.Properties['ScheduleExpression']).toBe('rate(7 days)');
    expect(rule.Properties['State']).toBe(stage === 'prod' ? 'ENABLED' : 'DISABLED');
    const targets = rule.Properties['Targets'] as { Arn: unknown; Input: string; RoleArn: unknown }[];
    expect(targets).toHaveLength(1);
    expect(referencedId(targets[0]?.Arn)).toBe(logicalId);
    expect(JSON.parse(targets[0]?.Input ?? 'null')).toEqual({ trigger: 'schedule' });
    // The rule's role may only start this state machine.
    const ruleRole = resource(template(), referencedId(targets[0]?.RoleArn) ?? '');
    const ruleStatements = JSON.stringify(statementsOf(ruleRole));
    expect(ruleStatements).toContain('states:StartExecution');
  });

  it('defines the runs table on demand, with point-in-time recovery, encryption and the byStatus index', () => {
    // Act
    const [, table] = onlyResourceOfType(template(), 'AWS::DynamoDB::Table');
    // Assess
    expect(table.Properties['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(table.Properties['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties['SSESpecification']).toMatchObject({ SSEEnabled: true });
    expect(table.Properties['KeySchema']).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const byStatus = (table.Properties['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown }[]).find(
      (index) => index.IndexName === 'byStatus',
    );
    expect(byStatus?.KeySchema).toEqual([
      { AttributeName: 'status', KeyType: 'HASH' },
      { AttributeName: 'updatedAt', KeyType: 'RANGE' },
    ]);
  });

  it('blocks public access to the documents bucket, encrypts it and denies plain HTTP', () => {
    // Prepare
    const bucket = resource(template(), 'DocumentsBucket');
    // Assess: bucket
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const rules = (bucket.Properties['BucketEncryption'] as { ServerSideEncryptionConfiguration: Json[] })
      .ServerSideEncryptionConfiguration;
    expect(rules.length).toBeGreaterThan(0);
    expect(rules[0]?.['ServerSideEncryptionByDefault']).toMatchObject({ SSEAlgorithm: expect.stringMatching(/^(aws:kms|AES256)$/) });
    // Assess: its policy
    const policies = resourcesOfType(template(), 'AWS::S3::BucketPolicy').filter(
      ([, policy]) => referencedId(policy.Properties['Bucket']) === 'DocumentsBucket',
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.[1].Properties['PolicyDocument'] as { Statement: Statement[] }).Statement;
    const denyHttp = statements.filter(
      (s) => s.Effect === 'Deny' && String(s.Condition?.['Bool']?.['aws:SecureTransport']) === 'false',
    );
    expect(denyHttp).toHaveLength(1);
    expect(denyHttp[0]?.Principal).toBe('*');
    expect(actionsOf(denyHttp[0] as Statement)).toEqual(['s3:*']);
    const resources = JSON.stringify(denyHttp[0]?.Resource);
    expect(resources).toContain('DocumentsBucket');
    expect(resources).toContain('/*');
  });

  it('lets only the state machine pass only the SageMaker role, only to SageMaker', () => {
    // Prepare
    const roles = resourcesOfType(template(), 'AWS::IAM::Role');
    // Act
    const passRole = roles.flatMap(([roleId, role]) =>
      statementsOf(role)
        .filter((s) => actionsOf(s).some((a) => /^iam:(PassRole|\*)$/i.test(a)))
        .map((s) => ({ roleId, statement: s })),
    );
    // Assess
    expect(passRole.map((p) => p.roleId)).toEqual(['PipelineStateMachineRole']);
    const { statement } = passRole[0] as { statement: Statement };
    expect(statement.Effect).toBe('Allow');
    expect(actionsOf(statement)).toEqual(['iam:PassRole']);
    expect(asList(statement.Resource).map(referencedId)).toEqual(['SageMakerExecutionRole']);
    expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
  });

  it('grants no wildcard action to the state machine role or any function role', () => {
    // Prepare
    const { properties } = stateMachine(template());
    const lambdaRoleIds = new Set(
      resourcesOfType(template(), 'AWS::Lambda::Function').map(([, fn]) => referencedId(fn.Properties['Role'])),
    );
    expect(lambdaRoleIds.size).toBe(11);
    const roleIds = [referencedId(properties['RoleArn']) ?? '', ...lambdaRoleIds].filter((id): id is string => Boolean(id));
    expect(roleIds).toHaveLength(12);
    // Act
    const offending = roleIds.flatMap((roleId) =>
      statementsOf(resource(template(), roleId)).flatMap((s) => [
        ...actionsOf(s)
          .filter((action) => action === '*' || /^[A-Za-z0-9-]+:\*$/.test(action))
          .map((action) => `${roleId}: ${s.Sid ?? '(no Sid)'} allows ${action}`),
        ...(s.NotAction === undefined ? [] : [`${roleId}: ${s.Sid ?? '(no Sid)'} uses NotAction`]),
      ]),
    );
    // Assess
    expect(offending).toEqual([]);
  });

  it('runs every function on nodejs22.x, with the stack resources in its environment', () => {
    // Act
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');
    // Assess
    expect(functions.map(([id]) => id).sort()).toEqual(
      ['BuildDataset', 'CollectTextractJobs', 'FinalizeRun', 'OcrBatch', 'PlanBatches', 'PollTraining', 'Preflight', 'RecordStatus', 'StopEndedRun', 'TrainingAttempt', 'ValidateInput'].map(
        (f) => `${f}LambdaFunction`,
      ),
    );
    for (const [id, fn] of functions) {
      expect(fn.Properties['Runtime'], id).toBe('nodejs22.x');
      const variables = (fn.Properties['Environment'] as { Variables: Json }).Variables;
      // Deployed functions reference this stack's resources, never the local defaults.
      expect(variables['DOCTRAIN_BUCKET'], id).toEqual({ Ref: 'DocumentsBucket' });
      expect(variables['DOCTRAIN_TABLE'], id).toEqual({ Ref: 'RunsTable' });
      expect(referencedId(variables['DOCTRAIN_SAGEMAKER_ROLE_ARN']), id).toBe('SageMakerExecutionRole');
      expect(JSON.stringify(variables['DOCTRAIN_TRAINING_IMAGE']), id).toContain('TrainingImageRepository');
    }
  });

  it('ships each handler as an ES module (.mjs) in its zip', () => {
    // Prepare
    const { dir } = packaged[stage];
    for (const [fn, folder] of [
      ['validateInput', 'validate-input'],
      ['ocrBatch', 'ocr-batch'],
    ] as const) {
      // Act: zip entry names are stored uncompressed.
      const zip = path.join(dir, `${fn}.zip`);
      expect(existsSync(zip), zip).toBe(true);
      // Assess
      expect(readFileSync(zip).includes(`functions/${folder}/handler.mjs`), fn).toBe(true);
    }
  });
});

// ---------- least privilege (issue 8.9) ----------

/** A RunStore user's grants on the runs table (src/status/run-store.ts: conditional update, event put, get). */
const RUN_RECORD = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const OBJECTS_READ_LIST = ['s3:GetObject', 's3:ListBucket'];

/**
 * What each function's code calls (functions/<dir>/handler.ts and what it imports from src/), beside its
 * own log group: the exact actions, and the key prefixes it may write (s3:PutObject).
 */
const FUNCTION_GRANTS: Record<string, { actions: string[]; writes: string[] }> = {
  ValidateInput: { actions: [], writes: [] },
  RecordStatus: { actions: RUN_RECORD, writes: [] },
  TrainingAttempt: { actions: RUN_RECORD, writes: [] },
  PlanBatches: { actions: ['s3:ListBucket', 's3:PutObject'], writes: ['runs/*'] },
  OcrBatch: {
    actions: [...OBJECTS_READ_LIST, 's3:PutObject', 'textract:DetectDocumentText', 'textract:StartDocumentTextDetection'],
    writes: ['ocr-cache/*', 'runs/*', 'quarantine/*'],
  },
  CollectTextractJobs: { actions: [...OBJECTS_READ_LIST, 's3:PutObject', 'textract:GetDocumentTextDetection'], writes: ['ocr-cache/*', 'runs/*', 'quarantine/*'] },
  BuildDataset: { actions: [...OBJECTS_READ_LIST, 's3:PutObject'], writes: ['datasets/*', 'runs/*', 'quarantine/*'] },
  Preflight: { actions: ['ecr:DescribeImages', 'servicequotas:ListAWSDefaultServiceQuotas', 'servicequotas:ListServiceQuotas'], writes: [] },
  PollTraining: { actions: [...RUN_RECORD, 's3:ListBucket', 'sagemaker:DescribeTrainingJob'], writes: [] },
  FinalizeRun: { actions: [...RUN_RECORD, 'sagemaker:DescribeTrainingJob'], writes: [] },
  StopEndedRun: { actions: [...RUN_RECORD, 'sagemaker:StopTrainingJob'], writes: [] },
};
const LOG_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

/**
 * An S3 object grant as the key pattern it covers in the documents bucket (`runs/*`), `*` for any resource;
 * undefined for a grant on something else (the bucket itself, another service's ARN).
 */
const keyPatternOf = (grant: unknown): string | undefined => {
  if (grant === '*') return '*';
  const join = (grant as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!join || referencedId(join[1][0]) !== 'DocumentsBucket') return undefined;
  return join[1].slice(1).map(String).join(join[0]).replace(/^\//, '');
};

/** Does an IAM key pattern (`*` any run of characters) match the key? */
const covers = (pattern: string, key: string): boolean =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(key);

/** Every state of a definition, Map and Parallel bodies included. */
const allStates = (states: Record<string, State>): State[] =>
  Object.values(states).flatMap((state) => [
    state,
    ...allStates(state.ItemProcessor?.States ?? {}),
    ...((state['Branches'] as { States: Record<string, State> }[] | undefined) ?? []).flatMap((branch) => allStates(branch.States)),
  ]);

/**
 * The IAM actions the Step Functions service integrations need (the developer guide's "IAM policies for
 * integrated services"): optimized integrations by table, AWS SDK integrations `aws-sdk:<service>:<api>` by
 * their own name. An integration missing here fails the test, so a new one is granted on purpose.
 */
const OPTIMIZED_INTEGRATION_ACTIONS: Record<string, string[]> = {
  // Request-response CreateTrainingJob: the job, its tags, and passing the execution role.
  'sagemaker:createTrainingJob': ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags', 'iam:PassRole'],
  'states:startExecution': ['states:StartExecution'],
  // Distributed Map ItemReader (JSON file) and ResultWriter (multipart uploads).
  's3:getObject': ['s3:GetObject'],
  's3:putObject': ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
};
const DISTRIBUTED_MAP_ACTIONS = ['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution'];
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];

const integrationActions = (resourceArn: string): string[] => {
  const integration = /^arn:[^:]+:states:::(.+?)(\.sync(:2)?|\.waitForTaskToken)?$/.exec(resourceArn)?.[1];
  if (integration === undefined) throw new Error(`not a service integration: ${resourceArn}`);
  const sdk = /^aws-sdk:([a-z0-9]+):(\w+)$/.exec(integration);
  if (sdk) return [`${sdk[1]}:${(sdk[2] ?? '').charAt(0).toUpperCase()}${(sdk[2] ?? '').slice(1)}`];
  const actions = OPTIMIZED_INTEGRATION_ACTIONS[integration];
  if (actions === undefined) throw new Error(`no IAM actions known for the integration ${resourceArn}: add them to the test's table`);
  return actions;
};

describe.each(['dev', 'prod'] as const)('least privilege: sls package --stage %s', (stage) => {
  const template = (): Template => packaged[stage].template;
  const functionIds = (): string[] => resourcesOfType(template(), 'AWS::Lambda::Function').map(([id]) => id);

  it('gives every function a role of its own, assumable by Lambda only; the framework\'s shared role is gone', () => {
    // Act
    const roles = functionIds().map((id) => referencedId(resource(template(), id).Properties['Role']));
    // Assess
    expect(roles).toHaveLength(11);
    expect(new Set(roles).size).toBe(11);
    expect(template().Resources['IamRoleLambdaExecution']).toBeUndefined();
    for (const id of functionIds()) {
      const role = functionRole(template(), id);
      expect(role.Type, id).toBe('AWS::IAM::Role');
      expect(JSON.stringify(role.Properties['AssumeRolePolicyDocument']), id).toBe(
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] }),
      );
      expect(role.Properties['ManagedPolicyArns'] ?? [], id).toEqual([]);
    }
  });

  it('grants each function exactly the actions its code calls, and logs on its own log group only', () => {
    expect(Object.keys(FUNCTION_GRANTS).map((f) => `${f}LambdaFunction`).sort()).toEqual(functionIds().sort());
    for (const [name, expected] of Object.entries(FUNCTION_GRANTS)) {
      // Act
      const statements = statementsOf(functionRole(template(), `${name}LambdaFunction`));
      const logStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      const others = statements.filter((s) => !logStatements.includes(s));
      // Assess
      expect(statements.every((s) => s.Effect === 'Allow' && s.NotAction === undefined), name).toBe(true);
      expect([...new Set(others.flatMap(actionsOf))].sort(), name).toEqual([...expected.actions].sort());
      expect(logStatements.flatMap(actionsOf).sort(), name).toEqual(LOG_ACTIONS);
      const logGroup = `log-group:/aws/lambda/doctrain-${stage}-${name.charAt(0).toLowerCase()}${name.slice(1)}:`;
      for (const grant of logStatements.flatMap((s) => asList(s.Resource))) expect(JSON.stringify(grant), name).toContain(logGroup);
      // The runs table itself (no index, no other table); training jobs only doctrain-*.
      for (const s of others.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')))) {
        expect(asList(s.Resource).map(referencedId), name).toEqual(['RunsTable']);
      }
      for (const s of others.filter((st) => actionsOf(st).some((a) => a.startsWith('sagemaker:')))) {
        expect(asList(s.Resource).map((r) => JSON.stringify(r)), name).toEqual([expect.stringContaining('training-job/doctrain-*')]);
      }
    }
  });

  it('lets each function write only its own prefixes: no function writes models/ or checkpoints/, none deletes', () => {
    // Prepare: keys from the layout; a function's grants must cover what it writes and never these.
    const model = `${modelOutputPrefix('receipts')}doctrain-run-1-a1/output/model.tar.gz`;
    const checkpoint = `${checkpointPrefix('receipts', 'run-1')}checkpoint-100/model.safetensors`;
    const samples: Record<string, string> = {
      'runs/*': `${runPrefix('run-1')}plan/ocr-items.json`,
      'ocr-cache/*': ocrCacheKey('ab12'),
      'quarantine/*': 'quarantine/run-1/documents/a.png',
      'datasets/*': `${datasetPrefix('f00d')}train-00000.jsonl`,
    };
    for (const [name, expected] of Object.entries(FUNCTION_GRANTS)) {
      // Act
      const statements = statementsOf(functionRole(template(), `${name}LambdaFunction`));
      const writes = statements
        .filter((s) => actionsOf(s).some((a) => /^s3:(PutObject|DeleteObject|\*)/.test(a)))
        .flatMap((s) => asList(s.Resource).map(keyPatternOf));
      // Assess
      expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:Delete')), name).toEqual([]);
      expect(writes.every((w) => w !== undefined), name).toBe(true);
      expect([...(writes as string[])].sort(), name).toEqual([...expected.writes].sort());
      for (const pattern of writes as string[]) {
        expect(covers(pattern, model), `${name} may write ${model}`).toBe(false);
        expect(covers(pattern, checkpoint), `${name} may write ${checkpoint}`).toBe(false);
      }
      for (const pattern of expected.writes) expect(covers(pattern, samples[pattern] ?? ''), `${name}: ${pattern}`).toBe(true);
    }
  });

  it('grants the state machine exactly the actions its Task and Map states use, its logging and tracing, nothing else', () => {
    // Prepare: derive what the definition needs.
    const { definition, vars, properties } = stateMachine(template());
    const states = allStates(definition.States);
    const lambdas = new Set<string>();
    const needed = new Set<string>();
    for (const state of states) {
      const lambda = lambdaOf(state, vars);
      if (lambda !== undefined) {
        lambdas.add(lambda);
        needed.add('lambda:InvokeFunction');
      } else if (state.Type === 'Task') integrationActions(String(state.Resource)).forEach((a) => needed.add(a));
      const reader = state['ItemReader'] as { Resource: string } | undefined;
      const writer = state['ResultWriter'] as { Resource: string } | undefined;
      for (const io of [reader, writer]) if (io) integrationActions(io.Resource).forEach((a) => needed.add(a));
      if (state.ItemProcessor?.ProcessorConfig?.['Mode'] === 'DISTRIBUTED') DISTRIBUTED_MAP_ACTIONS.forEach((a) => needed.add(a));
    }
    if (properties['LoggingConfiguration'] !== undefined) LOG_DELIVERY_ACTIONS.forEach((a) => needed.add(a));
    if ((properties['TracingConfiguration'] as Json | undefined)?.['Enabled'] === true) XRAY_ACTIONS.forEach((a) => needed.add(a));
    // Act
    const statements = statementsOf(resource(template(), referencedId(properties['RoleArn']) ?? ''));
    const granted = new Set(statements.flatMap(actionsOf));
    const invokable = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction')).flatMap((s) => asList(s.Resource).map(referencedId));
    // Assess
    expect(statements.every((s) => s.Effect === 'Allow' && s.NotAction === undefined)).toBe(true);
    expect([...granted].sort()).toEqual([...needed].sort());
    expect(invokable.sort()).toEqual([...lambdas].sort());
    expect(lambdas.size).toBe(10);
    expect(invokable).not.toContain('StopEndedRunLambdaFunction');
  });

  it('names no partition: every ARN in IAM and resources is built on AWS::Partition', () => {
    // Act: the definition's service-integration ARNs (arn:aws:states:::...) are the ASL's, not IAM's.
    const { logicalId } = stateMachine(template());
    const literal = Object.entries(template().Resources)
      .filter(([id]) => id !== logicalId)
      .filter(([, r]) => JSON.stringify(r).includes('arn:aws:'))
      .map(([id]) => id);
    const roles = resourcesOfType(template(), 'AWS::IAM::Role');
    // Assess
    expect(literal).toEqual([]);
    expect(JSON.stringify(roles)).toContain('AWS::Partition');
    expect(roles.length).toBeGreaterThanOrEqual(13);
  });

  it('logs the executions (errors, without execution data) to a log group with a retention', () => {
    // Prepare
    const { properties } = stateMachine(template());
    // Act
    const logging = properties['LoggingConfiguration'] as { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
    const logGroup = resource(template(), referencedId(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn) ?? '');
    // Assess
    expect(['ERROR', 'ALL']).toContain(logging.Level);
    expect(logging.IncludeExecutionData).toBe(false);
    expect(logging.Destinations).toHaveLength(1);
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties['LogGroupName']).toBe(`/aws/vendedlogs/states/doctrain-${stage}-train-pipeline`);
    expect(logGroup.Properties['RetentionInDays']).toBeGreaterThan(0);
  });

  it('keeps image tags immutable: a pushed tag always names the same trainer', () => {
    // Act
    const [, repository] = onlyResourceOfType(template(), 'AWS::ECR::Repository');
    // Assess
    expect(repository.Properties['ImageTagMutability']).toBe('IMMUTABLE');
  });

  it('lets the SageMaker role reach only the training prefixes: read datasets/checkpoints/pretrained, write checkpoints and models, delete only checkpoints', () => {
    // Prepare
    const statements = statementsOf(resource(template(), 'SageMakerExecutionRole'));
    const patterns = (action: string): string[] =>
      statements.filter((s) => actionsOf(s).includes(action)).flatMap((s) => asList(s.Resource).map((r) => keyPatternOf(r) ?? JSON.stringify(r)));
    // Act
    const reads = patterns('s3:GetObject');
    const writes = patterns('s3:PutObject');
    const deletes = patterns('s3:DeleteObject');
    const lists = statements.filter((s) => actionsOf(s).includes('s3:ListBucket'));
    // Assess
    expect(reads.sort()).toEqual(['checkpoints/*', 'datasets/*', 'pretrained/*']);
    expect(writes.sort()).toEqual(['checkpoints/*', 'models/*']);
    expect(deletes).toEqual(['checkpoints/*']);
    expect(lists).toHaveLength(1);
    expect(lists[0]?.Condition).toEqual({ StringLike: { 's3:prefix': ['datasets/*', 'checkpoints/*', 'models/*', 'pretrained/*'] } });
    expect([...new Set(statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:')))].sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });
});

describe('cfn-lint', () => {
  it('finds nothing in either stage\'s packaged template (AWS\'s CloudFormation linter, from the project venv)', async () => {
    // Prepare
    const cfnLint = path.join(ROOT, '.venv', 'bin', 'cfn-lint');
    expect(existsSync(cfnLint), `${cfnLint} is missing: run npm run setup (training-image/requirements-dev.txt)`).toBe(true);
    const templates = (['dev', 'prod'] as const).map((stage) => path.join(packaged[stage].dir, 'cloudformation-template-update-stack.json'));
    // Act: exit status 0 means no error, warning or informational finding.
    const findings = await execFileAsync(cfnLint, ['--format', 'parseable', '--', ...templates]).then(
      () => '',
      (error: Error & { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || error.message,
    );
    // Assess
    expect(findings).toBe('');
  }, 60_000);
});
