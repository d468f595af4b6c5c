/**
 * The acceptance test of live progress (issue 16): `doctrain demo`, spawned as a user runs it with its
 * stdout a pipe, prints epoch 1's `[metric]` line before epoch 2 has ended, not at the end of the job.
 * No timing is assumed: the real trainer (wrapped by fixtures/epoch-handshake/sitecustomize.py) holds
 * epoch 2's end until this test has read epoch 1's line from doctrain's stdout, and records whether it
 * had; a line held back anywhere (the trainer's pipe, the local SageMaker, the progress display) leaves
 * the trainer waiting out its bound and recording `not-seen`.
 * Piped output is plain: one line per event, no control characters.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const HANDSHAKE_PYTHONPATH = path.join(root, 'test', 'integration', 'fixtures', 'epoch-handshake');
// As test/integration/pipeline.test.ts: a model small enough to train in seconds on a CPU; 3 epochs so epoch 2 is not the last.
const SMALL_TRAINING = { epochs: 3, hidden_size: 32, num_layers: 1, num_heads: 2 };

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'doctrain-live-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('live progress', () => {
  it("prints an epoch's [metric] line before the next epoch ends (doctrain demo, piped)", { timeout: 400_000 }, async () => {
    // Prepare: the handshake folder, and the demo spawned with the trainer's stdout wrapped
    const handshake = path.join(work, 'handshake');
    await rm(handshake, { recursive: true, force: true });
    await mkdir(handshake);
    const child = spawn(
      tsx,
      [
        path.join(root, 'cli', 'doctrain.ts'),
        'demo',
        '--documents',
        '6',
        '--data-dir',
        path.join(work, 'demo'),
        '--hyperparameters',
        JSON.stringify(SMALL_TRAINING),
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          PYTHONPATH: [HANDSHAKE_PYTHONPATH, process.env['PYTHONPATH']].filter(Boolean).join(path.delimiter),
          DOCTRAIN_TEST_HANDSHAKE_DIR: handshake,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let epoch1SeenBeforeEpoch2Ended: boolean | undefined;

    // Act: read doctrain's stdout line by line; on epoch 1's metric line, tell the trainer
    const reading = (async () => {
      for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
        lines.push(line);
        if (epoch1SeenBeforeEpoch2Ended === undefined && /\[metric\] epoch=1 /.test(line)) {
          epoch1SeenBeforeEpoch2Ended = !existsSync(path.join(handshake, 'epoch-2-ended'));
          await writeFile(path.join(handshake, 'epoch-1-seen'), '');
        }
      }
    })();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    await reading;
    const output = lines.join('\n');

    // Assess: the run completed, epoch 1's line came while epoch 2 was still to end, in this order
    expect(code, `${output}\n${stderr}`).toBe(0);
    expect(epoch1SeenBeforeEpoch2Ended, output).toBe(true);
    expect(await readFile(path.join(handshake, 'epoch-2-ended'), 'utf8')).toBe('seen-first');
    const epochLines = lines.filter((line) => /\[metric\] epoch=\d+ /.test(line)).map((line) => /epoch=(\d+)/.exec(line)?.[1]);
    expect(epochLines.slice(0, 3)).toEqual(['1', '2', '3']);
    // Assess: the OCR count and the poll loop, in plain lines (no carriage return, no escape sequence)
    expect(output).toMatch(/OCR 6\/6 documents/);
    expect(output).toMatch(/OCR done: 6 documents/);
    expect(output).toMatch(/dataset built: 6 documents \(train \d+, validation \d+, quarantined 0\)/);
    expect(output).toMatch(/training job: InProgress\/Training/);
    expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    // One poll line per change of the job's status, not one per poll.
    const pollLines = lines.filter((line) => /\] training job: InProgress\/Training$/.test(line));
    expect(pollLines.length).toBeLessThanOrEqual(2);

    // Act + Assess: `doctrain logs` of the run (the demo's stage folder) has the same [metric] lines, and the trainer's others
    const runId = /^run: +(demo-\d{17})/m.exec(output)?.[1];
    expect(runId, output).toBeDefined();
    const { stdout, stderr: logsStderr } = await promisify(execFile)(
      tsx,
      [path.join(root, 'cli', 'doctrain.ts'), 'logs', runId ?? '', '--data-dir', path.join(work, 'demo')],
      { cwd: root },
    );
    expect(logsStderr).toContain(`==> doctrain-${runId}-a1 <==`);
    const metricOf = (text: string[]): string[] =>
      text.filter((line) => line.includes('[metric]')).map((line) => line.slice(line.indexOf('[metric]')));
    expect(metricOf(stdout.split('\n'))).toEqual(metricOf(lines));
    expect(stdout).toMatch(/^\[doctrain\] task=token-classification backend=compact/m);
  });
});
