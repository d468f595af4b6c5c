/**
 * `doctrain start|status|runs|stop`: run records and executions, on a local stage or AWS (cli/target.ts
 * decides where). Read commands print human text, or with --json one JSON document (cli/output.ts).
 */
import { paginateListStateMachines, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { localClientConfig } from '../local/clients';
import { stageHolder } from '../local/stage-lock';
import { createSfnClient } from '../src/aws/clients';
import { ledgerLines } from '../src/cost/ledger';
import type { RunStatus } from '../src/contracts/run-status';
import { STORE_KEYS } from '../src/contracts/run-record';
import type { RunEvent, RunRecord } from '../src/status/run-store';
import { CliError, EXIT_CODES, type ExitCode } from './exit-codes';
import { formatTable, type Output } from './output';
import { withRunsTable, type Target } from './target';

/** The deployed stage's state machine, `doctrain-<stage>-train-pipeline` (serverless.yml), found by ListStateMachines. */
const stageStateMachineArn = async (sfn: SFNClient, stage: string): Promise<string> => {
  const name = `doctrain-${stage}-train-pipeline`;
  for await (const page of paginateListStateMachines({ client: sfn }, {})) {
    const found = page.stateMachines?.find((machine) => machine.name === name);
    if (found?.stateMachineArn !== undefined) return found.stateMachineArn;
  }
  const region = await sfn.config.region();
  throw new CliError(
    `no state machine ${name} in ${region}: deploy the stage (\`sls deploy --stage ${stage} --region ${region}\`), or pass --region / --state-machine-arn`,
    'notFound',
  );
};

/** The run id of an execution: the input's runId, else the execution name (ValidateInput's rule). */
const runIdOf = (input: Record<string, unknown>, executionArn: string | undefined): string | undefined =>
  typeof input['runId'] === 'string' ? input['runId'] : executionArn?.split(':').at(-1);

/** The stage a local pipeline's state machine is named for (local/pipeline.ts registers it as `local`'s). */
const LOCAL_PIPELINE_STAGE = 'local';

/**
 * The Step Functions client of the target: a local stage's is the local Step Functions API of the
 * process that serves it (`doctrain local up`, its stage lock says where); AWS's is the SDK's own (its
 * region, profile and endpoint: AWS_ENDPOINT_URL_SFN reaches a local one too).
 */
const sfnClientOf = (target: Target): { sfn: SFNClient; pipelineStage: string | undefined } => {
  if (target.kind === 'aws') return { sfn: createSfnClient(target.aws), pipelineStage: target.stage };
  const endpoint = stageHolder(target.dataDir)?.endpoints?.stepFunctions;
  if (endpoint === undefined) {
    throw new CliError(
      `no local Step Functions serves local stage "${target.stage}" (${target.dataDir}): start it with \`doctrain local up --data-dir ${target.dataDir}\`, then start again`,
      'unavailable',
    );
  }
  return { sfn: createSfnClient(localClientConfig(endpoint)), pipelineStage: LOCAL_PIPELINE_STAGE };
};

export const startExecution = async (
  output: Output,
  target: Target,
  options: {
    stateMachineArn?: string | undefined;
    input: Record<string, unknown>;
    name?: string | undefined;
  },
): Promise<ExitCode> => {
  const { sfn, pipelineStage } = sfnClientOf(target);
  try {
    const stateMachineArn =
      options.stateMachineArn ?? (pipelineStage === undefined ? undefined : await stageStateMachineArn(sfn, pipelineStage));
    if (stateMachineArn === undefined) {
      throw new CliError(
        'start needs --stage NAME (a deployed stage) or --state-machine-arn ARN (the TrainPipeline ARN from `sls info --verbose`)',
        'usage',
      );
    }
    const result = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ trigger: 'cli', ...options.input }),
        ...(options.name === undefined ? {} : { name: options.name }),
      }),
    );
    const runId = runIdOf(options.input, result.executionArn);
    output.result({ executionArn: result.executionArn, runId, startDate: result.startDate }, () => [
      `started ${result.executionArn}`,
      `run id: ${runId ?? '-'} (doctrain status ${runId ?? '<runId>'}${stageHintOf(target)})`,
    ]);
    return EXIT_CODES.ok;
  } finally {
    sfn.destroy();
  }
};

/** An attribute for a person: scalars as they are, anything else as compact JSON. */
const show = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);

/** Shown first, in this order; the record's other attributes follow. */
const LEADING = ['runId', 'status', 'createdAt', 'updatedAt', 'executionName', 'modelName', 'trigger'] as const;
/** Store plumbing, and what has lines of its own below. */
const HIDDEN = new Set<string>([...STORE_KEYS, 'cost', 'metrics', 'failure', 'tuning']);

const sageMakerLines = (record: RunRecord): string[] => {
  if (record.trainingSeconds === undefined && record.billableSeconds === undefined) return [];
  // As SageMaker prints them at the end of a job (sagemaker-python-sdk's logs).
  const lines = [`Training seconds: ${record.trainingSeconds ?? '-'}`, `Billable seconds: ${record.billableSeconds ?? '-'}`];
  if (record.spot === true && record.spotSavingsPercent !== undefined)
    lines.push(`Managed Spot Training savings: ${record.spotSavingsPercent}%`);
  return lines;
};

/** A tuning run's job, its progress and best trial, and (once FinalizeRun listed them) its trials. */
export const tuningLines = (record: RunRecord): string[] => {
  const tuning = record.tuning;
  if (tuning === undefined) return [];
  const best =
    tuning.best === null
      ? '-'
      : `${tuning.best.trainingJobName}${tuning.best.objectiveValue === undefined ? '' : ` (${tuning.best.objectiveValue})`}`;
  return [
    `tuning: ${tuning.jobName}, ${tuning.strategy}, ${tuning.objective.type} ${tuning.objective.metric}: ${tuning.status}, ${tuning.trialsEnded} of ${tuning.trialsTotal} trials ended, best ${best}`,
    ...(tuning.trials === undefined || tuning.trials.length === 0
      ? []
      : formatTable(
          ['  TRIAL', 'STATUS', tuning.objective.metric.toUpperCase(), 'BILLABLE S', 'HYPERPARAMETERS'],
          tuning.trials.map((trial) => [
            `  ${trial.trainingJobName}`,
            trial.status,
            trial.objectiveValue === undefined ? '-' : String(trial.objectiveValue),
            trial.billableSeconds === undefined ? '-' : String(trial.billableSeconds),
            Object.entries(trial.hyperparameters)
              .map(([key, value]) => `${key}=${value}`)
              .join(' '),
          ]),
        )),
  ];
};

export const statusLines = (record: RunRecord, events: readonly RunEvent[]): string[] => {
  const entries = Object.entries(record);
  const width = Math.max(...entries.map(([key]) => key.length));
  const line = (key: string, value: unknown): string => `${`${key}:`.padEnd(width + 2)}${show(value)}`;
  const leading = new Set<string>(LEADING);
  const lines = [
    ...LEADING.filter((key) => record[key] !== undefined).map((key) => line(key, record[key])),
    ...entries
      .filter(([key, value]) => !leading.has(key) && !HIDDEN.has(key) && value !== undefined)
      .map(([key, value]) => line(key, value)),
  ];
  if (record.failure !== undefined) lines.push(line('failure', `${record.failure.error}: ${record.failure.message}`));
  const metrics = Object.entries(record.metrics ?? {});
  if (metrics.length > 0)
    lines.push(
      'metrics:',
      ...formatTable(
        ['  METRIC', 'VALUE'],
        metrics.map(([name, value]) => [`  ${name}`, String(value)]),
      ),
    );
  lines.push(...sageMakerLines(record));
  lines.push(...tuningLines(record));
  if (record.cost) lines.push('cost:', ...ledgerLines(record.cost));
  lines.push('history:');
  lines.push(
    ...formatTable(
      ['  AT', 'STATUS', 'PROGRESS', 'DETAIL'],
      events.map((event) => [
        `  ${event.at}`,
        event.status,
        event.progressKey ?? '',
        event.detail === undefined ? '' : JSON.stringify(event.detail),
      ]),
    ),
  );
  return lines;
};

/** An unknown run id: names the run, where it was looked for, and the command that lists the runs there. */
export const unknownRun = (runId: string, where: string, stageHint: string): CliError =>
  new CliError(`no run ${runId} in ${where}: \`doctrain runs${stageHint}\` lists the runs there`, 'notFound');

export const stageHintOf = (target: Target): string =>
  target.kind === 'local' ? ` --stage ${target.stage}` : target.stage === undefined ? '' : ` --stage ${target.stage}`;

export const printStatus = (root: string, target: Target, output: Output, runId: string): Promise<ExitCode> =>
  withRunsTable(root, target, 'doctrain status', async ({ store, where }) => {
    const record = await store.getRun(runId);
    if (!record) throw unknownRun(runId, where, stageHintOf(target));
    const events = await store.listEvents(runId);
    output.result({ run: record, events }, () => statusLines(record, events));
    return EXIT_CODES.ok;
  });

/**
 * A stop request on the run record: the run's poll loop stops the training job on its next poll (within
 * one poll interval, at most maxPollSeconds) and the run ends STOPPED.
 */
export const requestStop = (root: string, target: Target, output: Output, runId: string, reason?: string): Promise<ExitCode> =>
  withRunsTable(root, target, 'doctrain stop', async ({ store, where }) => {
    const by = process.env['USER'] ?? 'doctrain-cli';
    const result = await store.requestStop(runId, {
      at: new Date().toISOString(),
      by,
      ...(reason === undefined ? {} : { reason }),
    });
    if (result === 'unknown') throw unknownRun(runId, where, stageHintOf(target));
    const messages = {
      requested: `stop requested for run ${runId}: its poll loop stops the training job on its next poll`,
      'already-requested': `a stop was already requested for run ${runId}`,
      terminal: `run ${runId} has already ended; nothing to stop`,
    } as const;
    output.result({ runId, stop: result }, () => [messages[result]]);
    return EXIT_CODES.ok;
  });

export const printRuns = (root: string, target: Target, output: Output, status: RunStatus, limit: number): Promise<ExitCode> =>
  withRunsTable(root, target, 'doctrain runs', async ({ store, where }) => {
    const runs = await store.listRunsByStatus(status, limit);
    output.result({ status, runs }, () =>
      runs.length === 0
        ? [`no ${status} runs in ${where} (\`--status\` picks another: PENDING, TRAINING, FAILED, ...)`]
        : formatTable(
            ['RUN', 'STATUS', 'UPDATED', 'MODEL', 'VAL F1', 'COST'],
            runs.map((run) => [
              run.runId,
              run.status,
              run.updatedAt,
              run.modelName ?? '-',
              run.metrics?.['val_f1']?.toFixed(4) ?? '-',
              run.cost === undefined ? '-' : `$${run.cost.totalUsd.toFixed(4)}`,
            ]),
          ),
    );
    return EXIT_CODES.ok;
  });
