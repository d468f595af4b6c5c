/** The packaged state machine: its states, their order, retries and catches, the Distributed Map, the poll loop and continue-as-new (read from the template `sls package` produces, both stages). */
import { expect, it } from 'vitest';
import { loadServerlessProject } from '../../../local/serverless-project';
import {
  ROOT,
  describeEachStage,
  type Json,
  type Resource,
  type State,
  actionsOf,
  asList,
  lambdaOf,
  onlyResourceOfType,
  referencedId,
  resourcesOfType,
  stateMachine,
  statementsOf,
} from './packaged';

describeEachStage('state machine', (template, stage) => {
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

  it("passes CreateTrainingJob the MetricDefinitions BuildDataset derived from the dataset's labels, no fixed list", () => {
    // Prepare
    const { definition } = stateMachine(template());
    const create = Object.values(definition.States).find((s) => s.Resource === 'arn:aws:states:::sagemaker:createTrainingJob');
    // Act
    const algorithm = create?.Parameters?.['AlgorithmSpecification'] as Json | undefined;
    // Assess
    expect(algorithm?.['MetricDefinitions.$']).toBe('$.dataset.metricDefinitions');
    expect(algorithm?.['MetricDefinitions']).toBeUndefined();
  });

  it("retries only throttling at CreateTrainingJob, reads SageMaker's errors in AfterCreateFailure, and stops a possibly created job on any other", () => {
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
    expect(definition.States[choice?.Default ?? '']).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.config.training.waitSeconds',
      Next: 'CreateTrainingJob',
    });
    const stop = definition.States['StopTrainingAfterError'];
    expect(stop?.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:stopTrainingJob');
    expect(stop?.Next).toBe('RecordFailure');
    expect(stop?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'RecordFailure' }]);
  });

  it('ends at DuplicateStart (succeeded, nothing recorded or trained) when RecordPending finds the run id owned by another execution', () => {
    // Prepare
    const { definition } = stateMachine(template());
    // Act
    const pending = definition.States['RecordPending'];
    const duplicate = definition.States['DuplicateStart'];
    // Assess: the RunConflictError catcher comes first (the States.ALL one would otherwise take it) and keeps
    // no ResultPath: the execution's output is the error ({Error, Cause}) naming the owning execution.
    expect(pending?.Catch?.[0]).toEqual({ ErrorEquals: ['RunConflictError'], Next: 'DuplicateStart' });
    expect(pending?.Catch?.[1]).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' });
    expect(pending?.Catch).toHaveLength(2);
    expect(duplicate).toMatchObject({ Type: 'Succeed' });
    // No other state catches to DuplicateStart: only the first write can meet another execution's record.
    const catchingToDuplicate = Object.entries(definition.States)
      .filter(([, s]) => s.Catch?.some((c) => c.Next === 'DuplicateStart'))
      .map(([name]) => name);
    expect(catchingToDuplicate).toEqual(['RecordPending']);
  });

  it('decides train-or-skip after Preflight and before PlanBatches, the first state that writes (no Textract, no SageMaker before it)', () => {
    const { definition } = stateMachine(template());
    expect(definition.States['Preflight']?.Next).toBe('CheckFingerprint');
    expect(definition.States['CheckFingerprint']).toMatchObject({ Type: 'Task', ResultPath: '$.retrain', Next: 'TrainOrSkip' });
    expect(definition.States['TrainOrSkip']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.retrain.summary.decision', StringEquals: 'skip', Next: 'RecordSkipped' }],
      Default: 'PlanBatches',
    });
    expect(definition.States['RecordSkipped']).toMatchObject({ Next: 'NotifySkipped' });
    expect(definition.States['NotifySkipped']).toMatchObject({ Next: 'Skipped' });
    expect(definition.States['Skipped']).toMatchObject({ Type: 'Succeed' });
  });

  it('promotes only after a completed job, and notifies on every ending without letting a notification change it', () => {
    const { definition } = stateMachine(template());
    const outcome = definition.States['RunOutcome'] as { Choices: { Next: string }[]; Default: string };
    expect(outcome.Choices.map((choice) => choice.Next)).toEqual(['PromoteModel', 'NotifyStopped', 'NotifyBudgetExceeded']);
    expect(outcome.Default).toBe('NotifyTrainingFailed');
    expect(definition.States['PromoteModel']).toMatchObject({ ResultPath: '$.outcome.promotion', Next: 'NotifyCompleted' });
    const endings: Record<string, string> = {
      NotifySkipped: 'Skipped',
      NotifyCompleted: 'Done',
      NotifyStopped: 'RunStopped',
      NotifyBudgetExceeded: 'BudgetExceeded',
      NotifyTrainingFailed: 'TrainingFailed',
      NotifyFailed: 'PipelineFailed',
    };
    for (const [notify, end] of Object.entries(endings)) {
      const state = definition.States[notify];
      expect(state, notify).toMatchObject({ Type: 'Task', ResultPath: null, Next: end });
      expect(state?.Catch, notify).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: end }]);
    }
    expect(definition.States['RecordFailure']?.Next).toBe('NotifyFailed');
  });

  it('tells every run-record write which execution it acts for', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    // Act
    const writers = Object.entries(definition.States).filter(([, s]) =>
      [
        'RecordStatusLambdaFunction',
        'FinalizeRunLambdaFunction',
        'TrainingAttemptLambdaFunction',
        'PollTrainingLambdaFunction',
        'TuningJobLambdaFunction',
      ].includes(lambdaOf(s, vars) ?? ''),
    );
    // Assess
    expect(writers.map(([name]) => name).sort()).toEqual([
      'AfterCreateFailure',
      'FinalizeRun',
      'FirstTrainingAttempt',
      'NextTrainingAttempt',
      'PollTraining',
      'PollTuning',
      'PrepareTuning',
      'RecordContinuation',
      'RecordFailure',
      'RecordPending',
      'RecordPreparing',
      'RecordSkipped',
      'RecordTraining',
      'RecordTuningStopped',
    ]);
    for (const [name, state] of writers) {
      expect(state.Parameters?.['executionName.$'], name).toBe('$$.Execution.Name');
      expect(state.Parameters?.['runId.$'], name).toBe('$.config.runId');
    }
    // The owner is a top-level field of the record, no longer one of RecordPending's attributes.
    const attributes = definition.States['RecordPending']?.Parameters?.['attributes'] as Json | undefined;
    expect(attributes).toBeDefined();
    expect(Object.keys(attributes ?? {}).filter((key) => key.startsWith('executionName'))).toEqual([]);
  });

  it("fans the OCR out as a Distributed Map over the item list in S3, passing only a batch index and the iteration's Textract TPS share, and the batch count to BuildDataset", () => {
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
    // A run without `tuning` goes on to its first training attempt; one with it, to the tuning states.
    expect(build?.Next).toBe('TuneOrTrain');
    expect(definition.States['TuneOrTrain']?.['Default']).toBe('FirstTrainingAttempt');
    expect(definition.States['FirstTrainingAttempt']?.Next).toBe('CreateTrainingJob');
  });

  it('runs Preflight after RecordPending and before any OCR, ending the run FAILED on a missing image or zero quota', () => {
    // Prepare
    const { definition, vars } = stateMachine(template());
    // Act
    const preflight = definition.States['Preflight'];
    // Assess
    expect(definition.States['RecordPending']?.Next).toBe('Preflight');
    expect(preflight && lambdaOf(preflight, vars)).toBe('PreflightLambdaFunction');
    // Then the train-or-skip decision, still before any OCR.
    expect(preflight?.Next).toBe('CheckFingerprint');
    expect(preflight?.ResultPath).toBe('$.preflight');
    expect(preflight?.Catch?.[0]).toEqual({
      ErrorEquals: ['TrainingImageNotFoundError', 'InstanceQuotaError'],
      ResultPath: '$.error',
      Next: 'RecordFailure',
    });
    expect(preflight?.Retry?.some((r) => r.ErrorEquals.includes('ThrottlingError'))).toBe(true);
    // The job runs the digest pre-flight resolved.
    const create = definition.States['CreateTrainingJob'];
    expect((create?.Parameters?.['AlgorithmSpecification'] as Json | undefined)?.['TrainingImage.$']).toBe('$.preflight.image');
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
    expect(choice?.Choices?.map((c) => c.Next)).toEqual([
      'NextTrainingAttempt',
      'NextTrainingAttempt',
      'TrainingJobFailed',
      'FinalizeRun',
      'StopRequestedJob',
      'RecordContinuation',
    ]);
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
    expect(Object.keys(input['continuation'] as Json).sort()).toEqual(['config.$', 'dataset.$', 'polling', 'preflight.$', 'retrain.$']);
    expect(input['AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$']).toBe('$$.Execution.Id');
    expect(definition.States[start?.Next ?? '']?.Type).toBe('Succeed');
    // A later job of the same execution keeps its poll count (the history budget is per execution).
    expect(definition.States['StartPolling']?.Choices?.map((c) => c.Next)).toEqual(['PollNewJob']);
    expect(definition.States['StartPolling']?.Default).toBe('InitPolling');
  });

  it("stops the training job of an execution of this stack's machine that ended without a Catch (EventBridge -> StopEndedRun)", () => {
    // Prepare
    const { logicalId } = stateMachine(template());
    // Act
    const rules = resourcesOfType(template(), 'AWS::Events::Rule').filter(
      ([, rule]) => (rule.Properties['EventPattern'] as { source?: string[] } | undefined)?.source?.includes('aws.states') === true,
    );
    // Assess: aborted, timed out or failed (States.Runtime escapes every Catch), this stack's state machine only.
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0] as [string, Resource];
    expect(rule.Properties['EventPattern']).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [{ Ref: logicalId }] },
    });
    // The local runtime gives that Ref the same logical id (local/serverless-project.ts).
    expect(loadServerlessProject(ROOT).stateMachine('trainPipeline', stage).logicalId).toBe(logicalId);
    const targets = rule.Properties['Targets'] as { Arn: unknown }[];
    expect(targets.map((t) => referencedId(t.Arn))).toEqual(['StopEndedRunLambdaFunction']);
  });

  it('sends every run notification (source doctrain) to the stack topic, which only that rule may publish to', () => {
    // Act
    const rules = resourcesOfType(template(), 'AWS::Events::Rule').filter(
      ([, rule]) => (rule.Properties['EventPattern'] as { source?: string[] } | undefined)?.source?.includes('doctrain') === true,
    );
    // Assess
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0] as [string, Resource];
    expect(rule.Properties['EventPattern']).toEqual({ source: ['doctrain'] });
    const targets = rule.Properties['Targets'] as { Arn: unknown }[];
    expect(targets.map((t) => referencedId(t.Arn))).toEqual(['RunNotificationsTopic']);
    const [, policy] = onlyResourceOfType(template(), 'AWS::SNS::TopicPolicy');
    const statements = (policy.Properties['PolicyDocument'] as { Statement: Json[] }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      }),
    ]);
    // The e-mail subscription exists only when the stage names an address (none by default).
    expect(template().Resources['RunNotificationsEmail']).toMatchObject({ Condition: 'HasNotificationEmail' });
    expect(template().Parameters?.['NotificationEmail']).toMatchObject({ Default: '' });
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
    // The failure is notified, then the execution fails with the original error (kept at $.error), even
    // when the failure could not be recorded or notified.
    const notify = definition.States[recordFailure?.Next ?? ''];
    expect(recordFailure?.Next).toBe('NotifyFailed');
    expect(definition.States[notify?.Next ?? '']?.Type).toBe('Fail');
    expect(recordFailure?.Catch?.[0]).toMatchObject({ Next: 'NotifyFailed', ResultPath: '$.recordError' });
    expect(definition.States['PipelineFailed']).toMatchObject({ ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
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
    // A batch past the Lambda's timeout is retried (its finished documents are cache hits), not the run failed.
    for (const task of [ocrTask, collect]) expect(task?.Retry?.some((r) => r.ErrorEquals.includes('States.Timeout'))).toBe(true);
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
});
