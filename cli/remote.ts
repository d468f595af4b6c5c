/** CLI commands that talk to AWS, or to the local AWS when AWS_ENDPOINT_URL_* point at it. */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createDynamoDocumentClient, createSfnClient } from '../src/aws/clients';
import { InvalidInputError } from '../src/contracts/errors';
import { isRunStatus, RunStore } from '../src/status/run-store';
import { RUN_STATUSES } from '../src/contracts/run-status';
import { ledgerLines } from '../src/cost/ledger';

const storeFor = (table: string | undefined): RunStore => {
  const tableName = table ?? process.env['DOCTRAIN_TABLE'];
  if (!tableName) throw new InvalidInputError('no table: pass --table NAME or set DOCTRAIN_TABLE (see `sls info` outputs)');
  return new RunStore(createDynamoDocumentClient(), tableName);
};

export const startExecution = async (stateMachineArn: string, input: unknown, name?: string): Promise<number> => {
  const result = await createSfnClient().send(
    new StartExecutionCommand({
      stateMachineArn,
      input: JSON.stringify({ trigger: 'cli', ...(input as object) }),
      ...(name === undefined ? {} : { name }),
    }),
  );
  console.log(`started ${result.executionArn}`);
  return 0;
};

export const printStatus = async (runId: string, table?: string): Promise<number> => {
  const store = storeFor(table);
  const record = await store.getRun(runId);
  if (!record) {
    console.error(`no run ${runId}`);
    return 1;
  }
  console.log(JSON.stringify(record, null, 2));
  if (record.cost) console.log(['cost:', ...ledgerLines(record.cost)].join('\n'));
  for (const event of await store.listEvents(runId)) {
    console.log(
      `${event.at}  ${event.status}${event.progressKey ? ` ${event.progressKey}` : ''}${event.detail ? `  ${JSON.stringify(event.detail)}` : ''}`,
    );
  }
  return 0;
};

/**
 * A stop request on the run record: the run's poll loop stops the training job on its next poll (within
 * one poll interval, at most maxPollSeconds) and the run ends STOPPED.
 */
export const requestStop = async (runId: string, options: { table?: string | undefined; reason?: string | undefined }): Promise<number> => {
  const by = process.env['USER'] ?? 'doctrain-cli';
  const result = await storeFor(options.table).requestStop(runId, {
    at: new Date().toISOString(),
    by,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  });
  const messages = {
    requested: `stop requested for run ${runId}: its poll loop stops the training job on its next poll`,
    'already-requested': `a stop was already requested for run ${runId}`,
    terminal: `run ${runId} has already ended; nothing to stop`,
    unknown: `no run ${runId}`,
  } as const;
  (result === 'requested' || result === 'already-requested' ? console.log : console.error)(messages[result]);
  return result === 'unknown' ? 1 : 0;
};

export const printRuns = async (status: string, table?: string): Promise<number> => {
  if (!isRunStatus(status)) throw new InvalidInputError(`--status must be one of ${RUN_STATUSES.join(', ')}; got ${status}`);
  for (const run of await storeFor(table).listRunsByStatus(status)) {
    const f1 = run.metrics?.['val_f1'];
    console.log(`${run.updatedAt}  ${run.runId}  ${run.status}${f1 === undefined ? '' : `  val_f1=${f1}`}`);
  }
  return 0;
};
