/**
 * `doctrain` as a user runs it: each case spawns the CLI (`node --import tsx cli/doctrain.ts ...`) and
 * checks its stdout, stderr and exit code (cli/exit-codes.ts); `--json` output is read with JSON.parse.
 * One local stage with two run records is made once, directly through the run store; no pipeline runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { localClientConfig } from '../../local/clients';
import { startLocalDynamoDB } from '../../local/dynamodb';
import { loadServerlessProject } from '../../local/serverless-project';
import { createTableInput, LOCAL_TABLE, startLocalServices } from '../../local/services';
import { acquireStageLock } from '../../local/stage-lock';
import { freePortBase, startLocalUp } from './local-up';
import { createDynamoDocumentClient } from '../../src/aws/clients';
import { runRecordSchema } from '../../src/contracts/run-record';
import { RunStore } from '../../src/status/run-store';
import { EXIT_CODES } from '../../cli/exit-codes';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** A stage of its own under the project's .doctrain/stages/, so that `--stage NAME` finds it as a user's would. */
const STAGE = `cli-test-${process.pid}`;
const STAGE_DIR = path.join(ROOT, '.doctrain', 'stages', STAGE);
const DONE = 'run-20260101000000001';
const FAILED = 'run-20260101000000002';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a process of its own, in the project root, with no AWS settings from this environment. */
const doctrain = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('DOCTRAIN_')),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/doctrain.ts', ...args], {
      cwd: ROOT,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

const statusJsonSchema = z.strictObject({
  run: runRecordSchema,
  events: z.array(z.object({ status: z.string(), at: z.string() })),
});
const runsJsonSchema = z.strictObject({ status: z.string(), runs: z.array(runRecordSchema) });

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'doctrain-cli-'));
  // A local stage with one COMPLETED run (spot, with SageMaker's second counts) and one FAILED run.
  await mkdir(STAGE_DIR, { recursive: true });
  const dynamo = await startLocalDynamoDB({ path: path.join(STAGE_DIR, 'dynamodb') });
  const db = createDynamoDocumentClient(localClientConfig(dynamo.endpoint));
  try {
    await db.send(new CreateTableCommand(createTableInput(LOCAL_TABLE, loadServerlessProject(ROOT).tableProperties)));
    const store = new RunStore(db, LOCAL_TABLE);
    for (const runId of [DONE, FAILED]) {
      await store.writeStatusChange({ runId, executionName: runId, status: 'PENDING', at: '2026-01-01T00:00:00.000Z' });
    }
    await store.writeStatusChange({
      runId: DONE,
      executionName: DONE,
      status: 'COMPLETED',
      at: '2026-01-01T00:10:00.000Z',
      attributes: {
        modelName: 'receipts',
        metrics: { val_f1: 0.9125 },
        trainingSeconds: 300,
        billableSeconds: 120,
        spot: true,
        spotSavingsPercent: 60,
      },
    });
    await store.writeStatusChange({
      runId: FAILED,
      executionName: FAILED,
      status: 'FAILED',
      at: '2026-01-01T00:20:00.000Z',
      attributes: { failure: { error: 'EmptyDatasetError', message: 'no documents' } },
    });
  } finally {
    db.destroy();
    await dynamo.close();
  }
}, 120_000);

afterAll(async () => {
  await rm(STAGE_DIR, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('doctrain: version, help, usage errors', () => {
  it('prints the version and the help with examples and exit codes on stdout, exit 0', async () => {
    // Act
    const version = await doctrain(['--version']);
    const help = await doctrain(['status', '--help']);

    // Assess
    const pkg = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')));
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--stage <name>');
    expect(help.stdout).toContain('--json');
    expect(help.stdout).toContain('Examples:');
  });

  it('every command has --help with examples, on stdout, exit 0', async () => {
    // Prepare
    const commands = [
      ['demo'],
      ['run'],
      ['import'],
      ['local', 'up'],
      ['start'],
      ['status'],
      ['runs'],
      ['stop'],
      ['lineage'],
      ['promote'],
      ['rollback'],
      ['predict'],
    ];

    // Act
    const results = await Promise.all(commands.map((command) => doctrain([...command, '--help'])));

    // Assess
    results.forEach((result, index) => {
      const name = commands[index]?.join(' ') ?? '';
      expect(result.code, name).toBe(0);
      expect(result.stderr, name).toBe('');
      expect(result.stdout, name).toContain(`Usage: doctrain ${name}`);
      expect(result.stdout, name).toContain('Examples:\n  $ doctrain ');
    });
  });

  it('exits 2 on an unknown option and an unknown status', async () => {
    // Act
    const unknown = await doctrain(['runs', '--satus', 'COMPLETED']);
    const badStatus = await doctrain(['runs', '--status', 'done', '--stage', STAGE]);

    // Assess
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr).toContain("unknown option '--satus'");
    expect(badStatus.code).toBe(EXIT_CODES.usage);
    expect(badStatus.stderr).toContain('must be one of PENDING');
  });
});

describe('doctrain status / runs on a local stage', () => {
  it('status --json prints one JSON document on stdout, nothing else, no SDK warning', async () => {
    // Act
    const result = await doctrain(['status', DONE, '--stage', STAGE, '--json']);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const parsed = statusJsonSchema.parse(JSON.parse(result.stdout));
    expect(parsed.run.runId).toBe(DONE);
    expect(parsed.run.status).toBe('COMPLETED');
    expect(parsed.events.map((event) => event.status)).toEqual(['PENDING', 'COMPLETED']);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|Warning/);
  });

  it('status without --json prints human text only, with the SageMaker second counts', async () => {
    // Act
    const result = await doctrain(['status', DONE, '--stage', STAGE]);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(() => JSON.parse(result.stdout) as unknown).toThrow();
    expect(result.stdout).not.toContain('{\n');
    expect(result.stdout).toMatch(/^runId: +run-20260101000000001$/m);
    expect(result.stdout).toMatch(/^status: +COMPLETED$/m);
    expect(result.stdout).toContain('Training seconds: 300\nBillable seconds: 120\nManaged Spot Training savings: 60%');
    expect(result.stdout).toMatch(/AT +STATUS/);
  });

  it("status --watch honours --stage as status does: the local stage's run followed to its end (exit 0 COMPLETED, 1 FAILED)", async () => {
    // Act
    const done = await doctrain(['status', DONE, '--stage', STAGE, '--watch']);
    const failed = await doctrain(['status', FAILED, '--stage', STAGE, '--watch']);

    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/-> PENDING at 2026-01-01T00:00:00.000Z/);
    expect(done.stdout).toMatch(/-> COMPLETED at 2026-01-01T00:10:00.000Z/);
    expect(done.stdout).not.toContain('no run');
    expect(failed.code, failed.stderr).toBe(EXIT_CODES.failed);
    expect(failed.stdout).toMatch(/-> FAILED at 2026-01-01T00:20:00.000Z/);
  });

  it('an unknown run id exits 3 and names the run and the stage', async () => {
    // Act
    const result = await doctrain(['status', 'run-nope', '--stage', STAGE, '--json']);

    // Assess
    expect(result.code).toBe(EXIT_CODES.notFound);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`doctrain: no run run-nope in local stage "${STAGE}"`);
    expect(result.stderr).toContain(`doctrain runs --stage ${STAGE}`);
  });

  it('runs prints a table with headers, takes any case of a status, --limit and --json, and says when there is none', async () => {
    // Act
    const table = await doctrain(['runs', '--stage', STAGE, '--status', 'completed']);
    const json = await doctrain(['runs', '--stage', STAGE, '--status', 'Failed', '--limit', '1', '--json']);
    const none = await doctrain(['runs', '--stage', STAGE, '--status', 'stopped']);

    // Assess
    expect(table.code, table.stderr).toBe(0);
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^RUN +STATUS +UPDATED +MODEL +VAL F1 +COST$/);
    expect(row).toMatch(new RegExp(`^${DONE} +COMPLETED +2026-01-01T00:10:00.000Z +receipts +0.9125 +-$`));
    expect(rest).toEqual([]);
    expect(json.code, json.stderr).toBe(0);
    const runs = runsJsonSchema.parse(JSON.parse(json.stdout));
    expect(runs.status).toBe('FAILED');
    expect(runs.runs.map((run) => run.runId)).toEqual([FAILED]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(`no STOPPED runs in local stage "${STAGE}"`);
  });

  it('stop answers for an ended run (--json), an unknown run exits 3; lineage of a model never completed exits 3', async () => {
    // Act
    const ended = await doctrain(['stop', FAILED, '--stage', STAGE, '--json']);
    const unknown = await doctrain(['stop', 'run-nope', '--stage', STAGE]);
    const lineage = await doctrain(['lineage', 'invoices', '--stage', STAGE, '--json']);

    // Assess
    expect(ended.code, ended.stderr).toBe(0);
    expect(JSON.parse(ended.stdout)).toEqual({ runId: FAILED, stop: 'terminal' });
    expect(unknown.code).toBe(EXIT_CODES.notFound);
    expect(unknown.stderr).toContain('no run run-nope in local stage');
    expect(lineage.code).toBe(EXIT_CODES.notFound);
    expect(lineage.stdout).toBe('');
    expect(lineage.stderr).toContain(`no lineage invoices in local stage "${STAGE}"`);
  });

  it('a table that does not exist exits 3 and is named', async () => {
    // Act
    const result = await doctrain(['runs', '--stage', STAGE, '--table', 'nope']);

    // Assess
    expect(result.code).toBe(EXIT_CODES.notFound);
    expect(result.stderr).toContain('doctrain: table "nope" does not exist');
  });

  it('a stage that is neither local nor findable on AWS exits 3 and says how to make one', async () => {
    // Act
    const result = await doctrain(['status', DONE, '--stage', 'no-such-stage']);

    // Assess
    expect(result.code).toBe(EXIT_CODES.notFound);
    expect(result.stderr).toContain('no local stage "no-such-stage"');
    expect(result.stderr).toContain('doctrain run <folder> --stage no-such-stage');
  });

  it('--data-dir naming a missing folder: lineage, report and status exit 3 naming it, and create nothing', async () => {
    // Prepare
    const missing = path.join(tmpdir(), `doctrain-no-stage-${process.pid}`);
    await rm(missing, { recursive: true, force: true });

    for (const args of [
      ['lineage', 'receipts'],
      ['report', DONE, '--out', '-'],
      ['status', DONE],
    ]) {
      // Act
      const result = await doctrain([...args, '--data-dir', missing]);

      // Assess
      expect(result.code, result.stderr).toBe(EXIT_CODES.notFound);
      expect(result.stderr).toContain(`doctrain: no local stage in ${missing}`);
      expect(result.stderr).toContain('check --data-dir');
      expect(existsSync(missing)).toBe(false);
    }
  });
});

describe('doctrain status on a deployed stage', () => {
  it("finds the stage's runs table (doctrain-<stage>-RunsTable-*) in the region and reads it, --json as locally", async () => {
    // Prepare: an AWS DynamoDB stand-in (dynalite in memory) holding the table CloudFormation would have named
    const dynamo = await startLocalDynamoDB();
    const db = createDynamoDocumentClient(localClientConfig(dynamo.endpoint));
    const table = 'doctrain-prod-RunsTable-1A2B3C4D5E6F';
    try {
      await db.send(new CreateTableCommand(createTableInput('doctrain-prod2-RunsTable-0000', loadServerlessProject(ROOT).tableProperties)));
      await db.send(new CreateTableCommand(createTableInput(table, loadServerlessProject(ROOT).tableProperties)));
      await new RunStore(db, table).writeStatusChange({
        runId: 'nightly-1',
        executionName: 'nightly-1',
        status: 'TRAINING',
        at: '2026-01-02T00:00:00.000Z',
      });
      const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint };

      // Act
      const status = await doctrain(['status', 'nightly-1', '--stage', 'prod', '--region', 'us-east-1', '--json'], env);
      const missing = await doctrain(['runs', '--stage', 'staging', '--region', 'us-east-1'], env);

      // Assess
      expect(status.code, status.stderr).toBe(0);
      expect(statusJsonSchema.parse(JSON.parse(status.stdout)).run.status).toBe('TRAINING');
      expect(missing.code).toBe(EXIT_CODES.notFound);
      expect(missing.stderr).toContain('no local stage "staging"');
      expect(missing.stderr).toContain('and no deployed stage "staging" in region us-east-1, endpoint http');
    } finally {
      db.destroy();
      await dynamo.close();
    }
  });
});

describe('doctrain on a stage another process holds', () => {
  it('status and lineage read through the holder (as with `local up`); `run` says who holds it and exits 4', async () => {
    // Prepare: this process holds the stage with the local AWS up, as `doctrain local up --data-dir` would
    const services = await startLocalServices({ root: ROOT, dataDir: STAGE_DIR, persistent: true, owner: 'the CLI test' });
    const folder = path.join(work, 'receipts');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.png'), 'not really a png: refused before any OCR');
    await writeFile(path.join(folder, 'a.json'), '{"total": "1.00"}');
    try {
      // Act
      const status = await doctrain(['status', DONE, '--stage', STAGE, '--json']);
      const run = await doctrain(['run', folder, '--stage', STAGE]);
      const lineage = await doctrain(['lineage', 'receipts', '--stage', STAGE]);

      // Assess
      expect(status.code, status.stderr).toBe(0);
      expect(statusJsonSchema.parse(JSON.parse(status.stdout)).run.status).toBe('COMPLETED');
      expect(run.code).toBe(EXIT_CODES.unavailable);
      expect(run.stderr).toContain(`is in use by PID ${process.pid} (the CLI test`);
      expect(run.stderr).toContain('or use another --stage');
      expect(run.stderr).not.toContain('Database is closed');
      // The lineage commands read through the holder too: the answer of the stage, not "in use".
      expect(lineage.code).toBe(EXIT_CODES.notFound);
      expect(lineage.stderr).toContain('no lineage receipts in local stage');
    } finally {
      await services.close();
    }
  });

  it('a read waits for another brief read instead of failing', async () => {
    // Prepare: a brief holder that lets go while the command waits
    const lock = await acquireStageLock(STAGE_DIR, 'doctrain runs', { brief: true });
    const pending = doctrain(['runs', '--stage', STAGE, '--json']);
    const released = new Promise<void>((resolve) => setTimeout(() => void lock.release().then(resolve), 1000));

    // Act
    const [result] = await Promise.all([pending, released]);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(runsJsonSchema.parse(JSON.parse(result.stdout)).runs.map((run) => run.runId)).toEqual([DONE]);
  });
});

describe('doctrain start', () => {
  it("finds a deployed stage's state machine, starts it and prints the execution and run id as JSON", async () => {
    // Prepare: a Step Functions endpoint (JSON protocol) with the stage's state machine
    const requests: { target: string; body: unknown }[] = [];
    const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:doctrain-prod-train-pipeline';
    const server = createHttpServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const target = String(request.headers['x-amz-target']);
        const parsed: unknown = JSON.parse(body);
        requests.push({ target, body: parsed });
        const answer = target.endsWith('.ListStateMachines')
          ? { stateMachines: [{ name: 'doctrain-prod-train-pipeline', stateMachineArn: machine, type: 'STANDARD', creationDate: 0 }] }
          : { executionArn: `${machine.replace(':stateMachine:', ':execution:')}:nightly-1`, startDate: 1767225600 };
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(answer));
      });
    });
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      }),
    );
    try {
      // Act
      const result = await doctrain(['start', '--stage', 'prod', '--name', 'nightly-1', '--input', '{"force": true}', '--json'], {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${port}`,
      });

      // Assess
      expect(result.code, result.stderr).toBe(0);
      const started = z
        .strictObject({ executionArn: z.string(), runId: z.string(), startDate: z.string() })
        .parse(JSON.parse(result.stdout));
      expect(started.runId).toBe('nightly-1');
      expect(requests.map((request) => request.target)).toEqual(['AWSStepFunctions.ListStateMachines', 'AWSStepFunctions.StartExecution']);
      expect(requests[1]?.body).toMatchObject({ stateMachineArn: machine, name: 'nightly-1' });
      const input = z.object({ input: z.string() }).parse(requests[1]?.body).input;
      expect(JSON.parse(input)).toEqual({ trigger: 'cli', force: true });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('doctrain local up', () => {
  it('serves a stage until SIGINT; status reads the stage through it meanwhile', async () => {
    // Prepare: eight free ports below Linux's ephemeral range (32768-60999), where the other tests'
    // port-0 servers and outgoing connections never land, so nothing can take one between check and use
    const base = await freePortBase(8);
    const server = await startLocalUp(base, STAGE_DIR);
    try {
      // Act
      const status = await doctrain(['status', DONE, '--data-dir', STAGE_DIR, '--json']);

      // Assess
      expect(server.output()).toContain(`AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:${base + 1}`);
      expect(server.output()).toContain(`AWS_ENDPOINT_URL_SFN=http://127.0.0.1:${base + 7}`);
      expect(status.code, status.stderr).toBe(0);
      expect(statusJsonSchema.parse(JSON.parse(status.stdout)).run.runId).toBe(DONE);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('doctrain: errors before anything starts', () => {
  it('an empty folder and a folder without annotations exit 2, named once, before the local AWS starts', async () => {
    // Prepare
    const empty = path.join(work, 'empty');
    const unannotated = path.join(work, 'unannotated');
    await mkdir(empty);
    await mkdir(unannotated);
    await writeFile(path.join(unannotated, 'r1.png'), 'x');
    await writeFile(path.join(unannotated, 'r2.jpg'), 'x');
    const dataDir = path.join(work, 'never-made');

    // Act
    const a = await doctrain(['run', empty, '--data-dir', dataDir]);
    const b = await doctrain(['run', unannotated, '--data-dir', dataDir]);

    // Assess
    expect(a.code).toBe(EXIT_CODES.usage);
    expect(a.stderr.trim()).toBe(
      `doctrain: folder ${empty} is empty: each document (.png, .jpg, .jpeg, .pdf, .tif, .tiff) needs its annotation <id>.json beside it (docs/CONTRACTS.md section 1), or use --format FORMAT to import a labelling tool's output`,
    );
    expect(b.code).toBe(EXIT_CODES.usage);
    expect(b.stderr.split('\n').filter((line) => line.includes(unannotated))).toHaveLength(1);
    expect(b.stderr).toContain('2 document(s) without an annotation');
    expect(b.stderr).toContain('r1.png: no annotation: expected r1.json beside the document');
    for (const result of [a, b]) expect(result.stdout).not.toContain('local AWS up');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a taken port exits 4 with the --port-base hint and leaves no data dir behind', async () => {
    // Prepare: something else listens on the S3 port of the base
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => {
        const address = blocker.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      }),
    );
    const dataDir = path.join(work, 'local-up');
    try {
      // Act
      const result = await doctrain(['local', 'up', '--port-base', String(port), '--data-dir', dataDir]);

      // Assess
      expect(result.code).toBe(EXIT_CODES.unavailable);
      expect(result.stderr).toContain(`doctrain: port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).toContain('--port-base');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('predict names a missing model (exit 3) and a missing --model is a usage error (exit 2)', async () => {
    // Act
    const missingModel = await doctrain(['predict', '--model', path.join(work, 'model.tar.gz'), '--document', path.join(work, 'r.png')]);
    const noModel = await doctrain(['predict', '--document', 'r.png']);

    // Assess
    expect(missingModel.code).toBe(EXIT_CODES.notFound);
    expect(missingModel.stderr.trim()).toBe(`doctrain: --model ${path.join(work, 'model.tar.gz')} does not exist`);
    expect(noModel.code).toBe(EXIT_CODES.usage);
    expect(noModel.stderr).toContain("required option '--model <model>' not specified");
  });
});
