/** Least privilege in the packaged template: each function's and the state machine's role hold exactly what their code and states call (both stages). */
import { expect, it } from 'vitest';
import {
  checkpointPrefix,
  datasetPrefix,
  modelOutputPrefix,
  ocrCacheKey,
  promotionKey,
  ocrMapItemsKey,
  ocrMapResultsPrefix,
  runPrefix,
} from '../../../src/contracts/s3-layout';
import {
  describeEachStage,
  type Json,
  type State,
  type Statement,
  actionsOf,
  asList,
  functionRole,
  lambdaOf,
  onlyResourceOfType,
  referencedId,
  resource,
  resourcesOfType,
  stateMachine,
  statementsOf,
} from './packaged';

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
  TuningJob: { actions: [...RUN_RECORD, 'sagemaker:DescribeHyperParameterTuningJob'], writes: [] },
  PlanBatches: { actions: ['s3:ListBucket', 's3:PutObject'], writes: ['runs/*'] },
  OcrBatch: {
    actions: [...OBJECTS_READ_LIST, 's3:PutObject', 'textract:DetectDocumentText', 'textract:StartDocumentTextDetection'],
    writes: ['ocr-cache/*', 'runs/*', 'quarantine/*'],
  },
  CollectTextractJobs: {
    actions: [...OBJECTS_READ_LIST, 's3:PutObject', 'textract:GetDocumentTextDetection'],
    writes: ['ocr-cache/*', 'runs/*', 'quarantine/*'],
  },
  BuildDataset: { actions: [...OBJECTS_READ_LIST, 's3:PutObject'], writes: ['datasets/*', 'runs/*', 'quarantine/*'] },
  Preflight: {
    actions: ['ecr:DescribeImages', 'servicequotas:ListAWSDefaultServiceQuotas', 'servicequotas:ListServiceQuotas'],
    writes: [],
  },
  PollTraining: { actions: [...RUN_RECORD, 's3:ListBucket', 'sagemaker:DescribeTrainingJob'], writes: [] },
  FinalizeRun: {
    actions: [...RUN_RECORD, 'sagemaker:DescribeTrainingJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob'],
    writes: [],
  },
  StopEndedRun: {
    actions: [...RUN_RECORD, 'events:PutEvents', 'sagemaker:StopHyperParameterTuningJob', 'sagemaker:StopTrainingJob'],
    writes: [],
  },
  // A listing and the lineage item (src/steps/check-fingerprint): never an object read, never a write.
  CheckFingerprint: { actions: ['dynamodb:GetItem', 's3:ListBucket'], writes: [] },
  // The lineage and run record, the decision's statistics, the registry (src/retrain/apply-promotion.ts).
  PromoteModel: {
    actions: [
      ...RUN_RECORD,
      's3:PutObject',
      'sagemaker:CreateModelPackage',
      'sagemaker:CreateModelPackageGroup',
      'sagemaker:DescribeModelPackageGroup',
    ],
    writes: ['lineages/*'],
  },
  NotifyRun: { actions: ['dynamodb:GetItem', 'events:PutEvents'], writes: [] },
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
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(key);

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
  'sagemaker:createTrainingJob': [
    'sagemaker:CreateTrainingJob',
    'sagemaker:DescribeTrainingJob',
    'sagemaker:StopTrainingJob',
    'sagemaker:AddTags',
    'iam:PassRole',
  ],
  // Request-response CreateHyperParameterTuningJob: the tuning job, its tags, and passing the execution role.
  'sagemaker:createHyperParameterTuningJob': [
    'sagemaker:CreateHyperParameterTuningJob',
    'sagemaker:DescribeHyperParameterTuningJob',
    'sagemaker:StopHyperParameterTuningJob',
    'sagemaker:AddTags',
    'iam:PassRole',
  ],
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

describeEachStage('least privilege', (template, stage) => {
  const functionIds = (): string[] => resourcesOfType(template(), 'AWS::Lambda::Function').map(([id]) => id);

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

  it('lets OcrBatch start (and run) Textract and CollectTextractJobs collect the async jobs', () => {
    // Act
    const textractActions = (fn: string): string[] =>
      statementsOf(functionRole(template(), fn))
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('textract:'))
        .sort();
    // Assess
    expect(textractActions('OcrBatchLambdaFunction')).toEqual(['textract:DetectDocumentText', 'textract:StartDocumentTextDetection']);
    expect(textractActions('CollectTextractJobsLambdaFunction')).toEqual(['textract:GetDocumentTextDetection']);
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
    expect(lambdaRoleIds.size).toBe(15);
    const roleIds = [referencedId(properties['RoleArn']) ?? '', ...lambdaRoleIds].filter((id): id is string => Boolean(id));
    expect(roleIds).toHaveLength(16);
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

  it("gives every function a role of its own, assumable by Lambda only; the framework's shared role is gone", () => {
    // Act
    const roles = functionIds().map((id) => referencedId(resource(template(), id).Properties['Role']));
    // Assess
    expect(roles).toHaveLength(15);
    expect(new Set(roles).size).toBe(15);
    expect(template().Resources['IamRoleLambdaExecution']).toBeUndefined();
    for (const id of functionIds()) {
      const role = functionRole(template(), id);
      expect(role.Type, id).toBe('AWS::IAM::Role');
      expect(JSON.stringify(role.Properties['AssumeRolePolicyDocument']), id).toBe(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
        }),
      );
      expect(role.Properties['ManagedPolicyArns'] ?? [], id).toEqual([]);
    }
  });

  it('grants each function exactly the actions its code calls, and logs on its own log group only', () => {
    expect(
      Object.keys(FUNCTION_GRANTS)
        .map((f) => `${f}LambdaFunction`)
        .sort(),
    ).toEqual(functionIds().sort());
    for (const [name, expected] of Object.entries(FUNCTION_GRANTS)) {
      // Act
      const statements = statementsOf(functionRole(template(), `${name}LambdaFunction`));
      const logStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      const others = statements.filter((s) => !logStatements.includes(s));
      // Assess
      expect(
        statements.every((s) => s.Effect === 'Allow' && s.NotAction === undefined),
        name,
      ).toBe(true);
      expect([...new Set(others.flatMap(actionsOf))].sort(), name).toEqual([...expected.actions].sort());
      expect(logStatements.flatMap(actionsOf).sort(), name).toEqual(LOG_ACTIONS);
      const logGroup = `log-group:/aws/lambda/doctrain-${stage}-${name.charAt(0).toLowerCase()}${name.slice(1)}:`;
      for (const grant of logStatements.flatMap((s) => asList(s.Resource))) expect(JSON.stringify(grant), name).toContain(logGroup);
      // The runs table itself (no index, no other table); training jobs only doctrain-*.
      for (const s of others.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')))) {
        expect(asList(s.Resource).map(referencedId), name).toEqual(['RunsTable']);
      }
      // Training and tuning jobs only doctrain-*; the registry only this stage's model package groups and packages.
      for (const s of others.filter((st) => actionsOf(st).some((a) => a.startsWith('sagemaker:')))) {
        expect(
          asList(s.Resource).map((r) => JSON.stringify(r)),
          name,
        ).toEqual(
          actionsOf(s).some((a) => a.includes('ModelPackage'))
            ? [
                expect.stringContaining(`model-package-group/doctrain-${stage}-*`),
                expect.stringContaining(`model-package/doctrain-${stage}-*`),
              ]
            : actionsOf(s).some((a) => a.includes('HyperParameterTuningJob'))
              ? [expect.stringContaining('hyper-parameter-tuning-job/doctrain-*')]
              : [expect.stringContaining('training-job/doctrain-*')],
        );
      }
      // Notifications only on the default bus, only with source doctrain.
      for (const s of others.filter((st) => actionsOf(st).includes('events:PutEvents'))) {
        expect(JSON.stringify(s.Resource), name).toContain('event-bus/default');
        expect(s['Condition'], name).toEqual({ StringEquals: { 'events:source': 'doctrain' } });
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
      'lineages/*': promotionKey('receipts', 'run-1'),
    };
    for (const [name, expected] of Object.entries(FUNCTION_GRANTS)) {
      // Act
      const statements = statementsOf(functionRole(template(), `${name}LambdaFunction`));
      const writes = statements
        .filter((s) => actionsOf(s).some((a) => /^s3:(PutObject|DeleteObject|\*)/.test(a)))
        .flatMap((s) => asList(s.Resource).map(keyPatternOf));
      // Assess
      expect(
        statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:Delete')),
        name,
      ).toEqual([]);
      expect(
        writes.every((w) => w !== undefined),
        name,
      ).toBe(true);
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
    const invokable = statements
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
      .flatMap((s) => asList(s.Resource).map(referencedId));
    // Assess
    expect(statements.every((s) => s.Effect === 'Allow' && s.NotAction === undefined)).toBe(true);
    expect([...granted].sort()).toEqual([...needed].sort());
    expect(invokable.sort()).toEqual([...lambdas].sort());
    expect(lambdas.size).toBe(14);
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
    const logging = properties['LoggingConfiguration'] as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
    };
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
      statements
        .filter((s) => actionsOf(s).includes(action))
        .flatMap((s) => asList(s.Resource).map((r) => keyPatternOf(r) ?? JSON.stringify(r)));
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
    expect([...new Set(statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:')))].sort()).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });
});
