/**
 * The README's local walkthrough, run as written (README.md, "Local walkthrough: every function by hand";
 * the blocks are read by walkthrough/readme-walkthrough.ts): in a copy of the repository (its tracked and
 * untracked-but-not-ignored files, node_modules and .venv linked), with an environment that has no AWS_ or
 * DOCTRAIN_ variable but the port base, the first shell's `npm run local:up` in the background and every
 * command of the second shell in one bash, each with its own exit code and output. Then what the
 * walkthrough says about errors: a handler's error by its name, a missing --param named.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePortBase } from './free-ports';
import { readmeWalkthrough, type Walkthrough } from './walkthrough/readme-walkthrough';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const execFileAsync = promisify(execFile);

interface CommandResult {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** What each command must print, by a part of the command (README: the comment after it says the same). */
const EXPECTED: readonly (readonly [string, RegExp])[] = [
  ['doctrain -- import sroie', /imported 2 document\(s\)/],
  ['s3 ls s3://doctrain-local/documents/', /000\.jpg/],
  ['-f validateInput ', /"runId": "local-demo-0001"/],
  ['-f recordStatus ', /"status": "PENDING"/],
  ['-f preflight ', /"imageDigest": "sha256:/],
  ['-f checkFingerprint ', /"decision": "train"/],
  ['-f planBatches ', /"documentCount": 2/],
  ['-f ocrBatch ', /"documents": 2/],
  ['-f buildDataset ', /"fingerprint": "/],
  ['create-training-job', /"TrainingJobArn": "arn:aws:sagemaker:/],
  ['-f pollTraining ', /"TrainingJobStatus"/],
  ['doctrain -- logs local-demo-0001', /\[metric\] .*val_f1=/],
  ['-f finalizeRun ', /"trainingJobStatus": "Completed"/],
  ['-f promoteModel ', /"decision": "promoted"/],
  ['-f notifyRun ', /"Run Completed"/],
  ['-f stopEndedRun ', /"reason": "already-final"/],
  ['doctrain -- status local-demo-0001', /COMPLETED/],
];

/** The repository as a fresh clone has it: tracked files and untracked ones git does not ignore. */
const copyRepository = async (into: string): Promise<void> => {
  const { stdout } = await execFileAsync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter((name) => name !== '')) {
    const from = path.join(ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
    mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
    cpSync(from, path.join(into, file));
  }
  for (const installed of ['node_modules', '.venv']) {
    if (existsSync(path.join(ROOT, installed))) symlinkSync(realpathSync(path.join(ROOT, installed)), path.join(into, installed));
  }
};

/** Every command in one bash (`set -a; . local.env` carries on), each one's output and exit code in its own files; stops at the first failure. */
const runCommands = async (cwd: string, env: NodeJS.ProcessEnv, commands: readonly string[], outDir: string): Promise<CommandResult[]> => {
  const script = commands
    .map((command, i) => {
      const out = path.join(outDir, String(i));
      return `{\n${command}\n} > '${out}.out' 2> '${out}.err'\necho $? > '${out}.rc'\n[ "$(cat '${out}.rc')" = 0 ] || exit 1\n`;
    })
    .join('');
  writeFileSync(path.join(outDir, 'walkthrough.sh'), script);
  await execFileAsync('bash', [path.join(outDir, 'walkthrough.sh')], { cwd, env, timeout: 900_000 }).catch(() => undefined);
  return commands.map((command, i) => {
    const file = (ext: string): string => path.join(outDir, `${i}.${ext}`);
    return {
      command,
      exitCode: existsSync(file('rc')) ? Number(readFileSync(file('rc'), 'utf8').trim()) : undefined,
      stdout: existsSync(file('out')) ? readFileSync(file('out'), 'utf8') : '',
      stderr: existsSync(file('err')) ? readFileSync(file('err'), 'utf8') : '',
    };
  });
};

let copy: string;
let env: NodeJS.ProcessEnv;
let server: ChildProcess | undefined;
let serverOutput = '';
let walkthrough: Walkthrough;
let results: CommandResult[] = [];

beforeAll(async () => {
  walkthrough = readmeWalkthrough(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  copy = mkdtempSync(path.join(os.tmpdir(), 'doctrain-walkthrough-'));
  await copyRepository(copy);
  // A user's shell: no AWS or doctrain settings (the SDK warning switch among them), the ports moved off
  // 4566 so that a developer's own `local up` and the other tests keep theirs.
  env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('DOCTRAIN_'))),
    DOCTRAIN_PORT_BASE: String(await freePortBase(8)),
  };
  server = spawn('bash', ['-c', walkthrough.server], { cwd: copy, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = server;
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer): void => {
      serverOutput += chunk.toString('utf8');
      if (serverOutput.includes('Ctrl-C to stop.')) resolve();
    };
    started.stdout?.on('data', collect);
    started.stderr?.on('data', collect);
    started.once('close', (code) => reject(new Error(`${walkthrough.server} exited ${String(code)}:\n${serverOutput}`)));
  });
}, 180_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const group = -server.pid; // the shell leads its own process group (detached)
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(group, signal);
      } catch (error) {
        // ESRCH: every process of the group has already ended (the shell's exit event may still be on its way).
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };
    signalGroup('SIGINT'); // Ctrl-C in the first shell: the whole process group
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (server.exitCode === null && server.signalCode === null) signalGroup('SIGKILL');
  }
  if (copy) rmSync(copy, { recursive: true, force: true });
}, 60_000);

describe("the README's local walkthrough", () => {
  it('runs every command as written: each exits 0 and prints what it should, with no stray warning', { timeout: 900_000 }, async () => {
    // Act
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-walkthrough-out-'));
    try {
      results = await runCommands(copy, env, walkthrough.commands, outDir);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
    // Assess: each command in turn, its output in the failure message
    for (const result of results) {
      const shown = `$ ${result.command}\n${result.stdout}\n${result.stderr}`;
      expect(result.exitCode, shown).toBe(0);
      expect(`${result.stdout}${result.stderr}`, shown).not.toMatch(/NodeVersionSupportWarning|\(node:\d+\) /);
      for (const [part, output] of EXPECTED) if (result.command.includes(part)) expect(result.stdout, shown).toMatch(output);
    }
    for (const [part] of EXPECTED)
      expect(
        walkthrough.commands.some((command) => command.includes(part)),
        part,
      ).toBe(true);
    expect(serverOutput).not.toMatch(/NodeVersionSupportWarning/);
  });

  it("creates the training job on buildDataset's dataset: events/create-training-job.json names the fingerprint the walkthrough builds", () => {
    // Prepare
    const build = results.find((result) => result.command.includes('-f buildDataset '));
    expect(build?.exitCode).toBe(0);
    // Act
    const fingerprint = z
      .object({ fingerprint: z.string() })
      .parse(JSON.parse(build?.stdout.slice(build.stdout.search(/^\{$/m)) ?? '')).fingerprint;
    const request = readFileSync(path.join(ROOT, 'events', 'create-training-job.json'), 'utf8');
    const finalize = z
      .object({ datasetFingerprint: z.string() })
      .parse(JSON.parse(readFileSync(path.join(ROOT, 'events', 'finalize-run.json'), 'utf8')));
    // Assess
    expect(request).toContain(`s3://doctrain-local/datasets/${fingerprint}/train-`);
    expect(finalize.datasetFingerprint).toBe(fingerprint);
  });

  it('prints a handler\'s error by its name (planBatches on a prefix with no document: "EmptyDatasetError", not a minified one)', async () => {
    // Prepare: the walkthrough's shell, on a prefix nothing was uploaded to
    const event = JSON.stringify({
      bucket: 'doctrain-local',
      runId: 'empty-0001',
      runPrefix: 'runs/empty-0001/',
      documentsPrefix: 'nothing/',
      batchSize: 10,
    });
    // Act
    const result = await execFileAsync(
      'bash',
      [
        '-c',
        `set -a; . .doctrain/local/local.env; set +a; npx sls invoke local -f planBatches --data '${event}' --stage dev --region us-east-1 --param="target=local"`,
      ],
      { cwd: copy, env, timeout: 180_000 },
    ).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: unknown) => z.object({ code: z.number(), stdout: z.string(), stderr: z.string() }).parse(error),
    );
    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('"errorType": "EmptyDatasetError"');
    expect(result.stdout).toContain('No usable documents under s3://doctrain-local/nothing/');
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/NodeVersionSupportWarning/);
  }, 180_000);

  it('without --param="target=local" stops before the handler, naming the flag, not an unresolved Fn::Join', async () => {
    // Act
    const result = await execFileAsync(
      'bash',
      [
        '-c',
        'set -a; . .doctrain/local/local.env; set +a; npx sls invoke local -f validateInput --path events/validate-input.json --stage dev --region us-east-1',
      ],
      { cwd: copy, env, timeout: 180_000 },
    ).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: unknown) => z.object({ code: z.number(), stdout: z.string(), stderr: z.string() }).parse(error),
    );
    // Assess
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code).toBe(1);
    expect(output).toContain('add --param="target=local"');
    expect(output).toContain('DOCTRAIN_TRAINING_IMAGE');
    expect(output).not.toContain('Unsupported environment variable format');
    expect(output).not.toMatch(/NodeVersionSupportWarning/);
  }, 180_000);
});
