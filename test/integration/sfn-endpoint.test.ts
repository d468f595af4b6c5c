/**
 * One local stage seen from every side: `doctrain local up` spawned on fixed ports, a run started through
 * its Step Functions endpoint with the SDK's SFNClient (and `doctrain start`), followed with
 * DescribeExecution until it ends, listed, its history read; the same execution and its training job
 * described again after `local up` restarts on the same folder; and the run record through `doctrain
 * status`. A tiny dataset (8 synthetic receipts) and a tiny model keep it short.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeTrainingJobCommand, ListTrainingJobsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  paginateGetExecutionHistory,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { localClientConfig, localS3Config } from '../../local/clients';
import { LOCAL_BUCKET } from '../../local/resources';
import { uploadSyntheticReceipts } from '../../local/pipeline';
import { createS3Client } from '../../src/aws/clients';
import { trainingJobName } from '../../src/steps/validate-input/step';
import { cleanEnv, freePortBase, startLocalUp, type LocalUp } from './local-up';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SMALL_TRAINING = { epochs: 1, hidden_size: 32, num_layers: 1, num_heads: 2 };
/** The aws CLI the project's setup installs (Debian's awscli where none is on PATH; the walkthrough needs it too). */
const AWS_CLI = (process.env['PATH'] ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'aws'))
  .find((file) => existsSync(file));
const RUN_ID = 'run-sfn-endpoint-1';

const doctrain = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/doctrain.ts', ...args], { cwd: ROOT, env: cleanEnv() }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );

/** DescribeExecution until the execution has ended (the run's own pace; the test's timeout bounds it). */
const untilEnded = async (sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> => {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await sleep(500);
  }
};

/** The whole history, page after page (100 events a page, as AWS's default). */
const fullHistory = async (sfn: SFNClient, executionArn: string | undefined): Promise<{ events: HistoryEvent[]; pages: number }> => {
  const events: HistoryEvent[] = [];
  let pages = 0;
  for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn })) {
    events.push(...(page.events ?? []));
    pages += 1;
  }
  return { events, pages };
};

let work: string;
let dataDir: string;
let base: number;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'doctrain-sfn-endpoint-'));
  dataDir = path.join(work, 'stage');
  base = await freePortBase(8);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the local Step Functions endpoint of `doctrain local up`', () => {
  it(
    'runs an execution started with SFNClient, lists it, gives its history, and still knows it and its job after a restart',
    { timeout: 600_000 },
    async () => {
      // Prepare: local up, and the documents in its S3
      const first = await startLocalUp(base, dataDir);
      const sfn = new SFNClient(localClientConfig(`http://127.0.0.1:${base + 7}`));
      const sagemaker = new SageMakerClient(localClientConfig(`http://127.0.0.1:${base + 3}`));
      const s3 = createS3Client(localS3Config(`http://127.0.0.1:${base}`));
      let restarted: LocalUp | undefined;
      try {
        await uploadSyntheticReceipts(s3, LOCAL_BUCKET, { count: 8, seed: 5 });
        const [machine] = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
        const stateMachineArn = machine?.stateMachineArn ?? '';

        // Act
        const started = await sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: RUN_ID,
            input: JSON.stringify({ training: { hyperparameters: SMALL_TRAINING } }),
          }),
        );
        const ended = await untilEnded(sfn, started.executionArn ?? '');
        const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
        const history = await fullHistory(sfn, started.executionArn);
        const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: trainingJobName(RUN_ID, 1) }));
        const status = await doctrain(['status', RUN_ID, '--data-dir', dataDir, '--json']);
        expect(await first.stop()).toBe(0);
        restarted = await startLocalUp(base, dataDir);
        const describedAgain = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        const historyAgain = await fullHistory(sfn, started.executionArn);
        const jobAgain = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: trainingJobName(RUN_ID, 1) }));
        const jobsAgain = await sagemaker.send(new ListTrainingJobsCommand({}));

        // Assess
        expect(machine?.name).toBe('doctrain-local-train-pipeline');
        expect(first.output()).toContain(`export AWS_ENDPOINT_URL_SFN=http://127.0.0.1:${base + 7}`);
        expect(ended.status, `${ended.error}: ${ended.cause}`).toBe('SUCCEEDED');
        expect(listed.executions?.map((e) => [e.name, e.status])).toEqual([[RUN_ID, 'SUCCEEDED']]);
        const types = history.events.map((event) => event.type);
        expect(history.events.map((event) => event.id)).toEqual(history.events.map((_, i) => i + 1));
        expect(history.pages).toBe(Math.ceil(history.events.length / 100));
        expect(types[0]).toBe('ExecutionStarted');
        expect(types.at(-1)).toBe('ExecutionSucceeded');
        expect(history.events.filter((e) => e.stateEnteredEventDetails?.name === 'CreateTrainingJob').map((e) => e.type)).toEqual([
          'TaskStateEntered',
        ]);
        expect(
          history.events.find((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'sagemaker'),
        ).toBeDefined();
        expect(job.TrainingJobStatus).toBe('Completed');
        expect(status.code, status.stderr).toBe(0);
        expect(z.object({ run: z.object({ runId: z.string(), status: z.string() }) }).parse(JSON.parse(status.stdout)).run).toEqual({
          runId: RUN_ID,
          status: 'COMPLETED',
        });
        const { $metadata: _m1, ...describedBefore } = ended;
        const { $metadata: _m2, ...describedAfter } = describedAgain;
        expect(describedAfter).toEqual(describedBefore);
        expect(historyAgain.events).toEqual(history.events);
        const { $metadata: _m3, ...jobBefore } = job;
        const { $metadata: _m4, ...jobAfter } = jobAgain;
        expect(jobAfter).toEqual(jobBefore);
        expect(jobsAgain.TrainingJobSummaries?.map((j) => j.TrainingJobName)).toContain(trainingJobName(RUN_ID, 1));
      } finally {
        sfn.destroy();
        sagemaker.destroy();
        s3.destroy();
        await (restarted ?? first).stop();
      }
    },
  );

  it(
    '`doctrain start --data-dir` starts an execution of the stage that local up serves and prints its run id',
    { timeout: 180_000 },
    async () => {
      // Prepare
      const up = await startLocalUp(base, dataDir);
      const sfn = new SFNClient(localClientConfig(`http://127.0.0.1:${base + 7}`));
      try {
        // Act: an input ValidateInput refuses, so the run ends at once (FAILED), its id printed all the same
        const result = await doctrain([
          'start',
          '--data-dir',
          dataDir,
          '--name',
          'run-sfn-start-1',
          '--input',
          '{"training": {"epochz": 3}}',
          '--json',
        ]);
        const printed = z.object({ executionArn: z.string(), runId: z.string() }).parse(JSON.parse(result.stdout));
        const ended = await untilEnded(sfn, printed.executionArn);
        // Assess
        expect(result.code, result.stderr).toBe(0);
        expect(printed.runId).toBe('run-sfn-start-1');
        expect(printed.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:doctrain-local-train-pipeline:run-sfn-start-1');
        expect(ended.status).toBe('FAILED');
        expect(JSON.parse(ended.input ?? '{}')).toMatchObject({ trigger: 'cli' });
      } finally {
        sfn.destroy();
        await up.stop();
      }
    },
  );

  it('`doctrain start` on a local stage that no `local up` serves exits 4 and says how to serve it', async () => {
    // Prepare
    const idle = path.join(work, 'idle-stage');
    // Act
    const result = await doctrain(['start', '--data-dir', idle, '--name', 'never']);
    // Assess
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      `no local Step Functions serves local stage "local" (${idle}): start it with \`doctrain local up --data-dir ${idle}\``,
    );
  });

  it.skipIf(AWS_CLI === undefined)(
    '`aws stepfunctions list-executions` lists the executions through the local endpoint',
    { timeout: 120_000 },
    async () => {
      // Prepare
      const up = await startLocalUp(base, dataDir);
      try {
        // Act
        const { stdout } = await promisify(execFile)(
          AWS_CLI ?? 'aws',
          [
            // --endpoint-url rather than AWS_ENDPOINT_URL_SFN: Debian's awscli 2.9 predates service endpoint variables.
            '--endpoint-url',
            `http://127.0.0.1:${base + 7}`,
            'stepfunctions',
            'list-executions',
            '--state-machine-arn',
            'arn:aws:states:us-east-1:000000000000:stateMachine:doctrain-local-train-pipeline',
          ],
          {
            cwd: ROOT,
            env: {
              ...cleanEnv(),
              AWS_DEFAULT_REGION: 'us-east-1',
              AWS_ACCESS_KEY_ID: 'S3RVER',
              AWS_SECRET_ACCESS_KEY: 'S3RVER',
            },
          },
        );
        // Assess
        const listed = z.object({ executions: z.array(z.object({ name: z.string() })) }).parse(JSON.parse(stdout));
        expect(listed.executions.map((e) => e.name)).toContain(RUN_ID);
      } finally {
        await up.stop();
      }
    },
  );
});
