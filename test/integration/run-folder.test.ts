/**
 * `doctrain run <folder>` end to end: a folder of 3 synthetic receipts (documents layout) is uploaded to
 * a persistent local stage and the whole pipeline runs on the embedded runtime, with a tiny trainer.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/program';
import { startLocalDynamoDB } from '../../local/dynamodb';
import { LOCAL_BUCKET, LOCAL_TABLE } from '../../local/services';
import { generateReceipts } from '../../local/synth';
import { localClientConfig } from '../../local/clients';

// As test/integration/pipeline.test.ts: a model small enough to train in seconds on a CPU.
const SMALL_TRAINING = { epochs: 2, hidden_size: 32, num_layers: 1, num_heads: 2 };

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'doctrain-run-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('doctrain run', () => {
  it(
    "uploads a folder to a persistent local stage, runs the pipeline to COMPLETED and prints the demo's summary",
    { timeout: 300_000 },
    async () => {
      // Prepare: 3 receipts in the documents layout, and a stray hidden file that must not be uploaded
      const folder = path.join(work, 'my receipts');
      await mkdir(folder);
      for (const receipt of await generateReceipts({ count: 3, seed: 5 })) {
        await writeFile(path.join(folder, `${receipt.id}.png`), receipt.png);
        await writeFile(path.join(folder, `${receipt.id}.json`), JSON.stringify(receipt.annotation));
      }
      await writeFile(path.join(folder, '.DS_Store'), 'finder');
      const stageDir = path.join(work, 'stage');
      const lines: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(' ')));

      // Act
      const code = await runCli([
        'run',
        folder,
        '--stage',
        'test',
        '--data-dir',
        stageDir,
        '--hyperparameters',
        JSON.stringify(SMALL_TRAINING),
      ]).finally(() => log.mockRestore());

      // Assess: the narrated run, as the demo prints it
      const output = lines.join('\n');
      expect(code, output).toBe(0);
      expect(output).toContain(`local stage "test": ${stageDir} (kept between runs)`);
      expect(output).toContain(`uploaded 6 file(s) to s3://${LOCAL_BUCKET}/uploads/my-receipts/`);
      expect(output).toMatch(/-> OcrDocuments/);
      expect(output).toContain('=== doctrain run (stage test) summary ===');
      expect(output).toMatch(/status: +COMPLETED/);
      expect(output).toMatch(/dataset: .*\(train 2, validation 1, quarantined 0\)/);
      expect(output).toMatch(/validation F1: +[0-9.]+/);
      expect(output).toMatch(/report: +s3:\/\/doctrain-local\/runs\/run-\d{17}\/dataset-manifest\.json/);
      expect(output).toMatch(/unaligned: +(none|\d+ in \d+ document\(s\): )/);
      // The OCR engine that read the documents: native tesseract where installed (CI's setup installs it), else tesseract.js.
      expect(output).toMatch(
        /OCR engine: +textract:(DetectDocumentText|StartDocumentTextDetection) local tesseract(\.js)? [\d.]+ \((native, eng [\w.]+|wasm)\) \(3 documents\)/,
      );
      expect(output).toMatch(/timing:\n {2}start local AWS/);

      // Assess: the stage is on disk: the uploaded documents (not the hidden file) and the run record
      const uploaded = await readdir(path.join(stageDir, 's3', LOCAL_BUCKET, 'uploads', 'my-receipts'));
      expect(uploaded.filter((name) => !name.startsWith('.')).filter((name) => /\.(png|json)\._S3rver_object$/.test(name))).toHaveLength(6);
      expect(uploaded.some((name) => name.startsWith('.DS_Store'))).toBe(false);
      const runId = /run: +(run-\d{17})/.exec(output)?.[1];
      expect(runId).toBeDefined();
      const dynamo = await startLocalDynamoDB({ path: path.join(stageDir, 'dynamodb') });
      const client = new DynamoDBClient(localClientConfig(dynamo.endpoint));
      try {
        const item = await client.send(
          new GetItemCommand({ TableName: LOCAL_TABLE, Key: { pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } } }),
        );
        expect(item.Item?.['status']?.S).toBe('COMPLETED');
      } finally {
        client.destroy();
        await dynamo.close();
      }
      expect(existsSync(path.join(stageDir, 'dynamodb'))).toBe(true);
      // Assess: the model as a file a person can open (a gzip), the path the summary prints
      const modelFile = path.join(stageDir, 'models', runId ?? '', 'model.tar.gz');
      expect(output).toContain(`model file:       ${modelFile} (a copy of the artifact: doctrain predict --model ${modelFile}`);
      expect([...(await readFile(modelFile)).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    },
  );

  it('a run that fails after the local stack started prints its error once, without a stack trace', { timeout: 300_000 }, async () => {
    // Prepare: 2 receipts whose annotations name a total no receipt prints (BuildDataset aligns nothing)
    const folder = path.join(work, 'wrong totals');
    await mkdir(folder);
    for (const receipt of await generateReceipts({ count: 2, seed: 9 })) {
      await writeFile(path.join(folder, `${receipt.id}.png`), receipt.png);
      await writeFile(path.join(folder, `${receipt.id}.json`), JSON.stringify({ ...receipt.annotation, fields: { total: '98765.43' } }));
    }
    // ...and one whose annotation is not of the contract (quarantined, its reason named by the folder's path)
    const [stray] = await generateReceipts({ count: 1, seed: 10 });
    if (stray === undefined) throw new Error('no receipt generated');
    await writeFile(path.join(folder, 'stray.png'), stray.png);
    await writeFile(path.join(folder, 'stray.json'), JSON.stringify({ fields: { total: '1.00' } }));
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(' ')));

    // Act
    const code = await runCli(['run', folder, '--stage', 'wrong', '--data-dir', path.join(work, 'stage-wrong')]).finally(() =>
      log.mockRestore(),
    );

    // Assess
    const output = lines.join('\n');
    expect(code, output).toBe(1);
    expect(output.match(/no annotated value could be found/g), output).toHaveLength(1);
    expect(output).toMatch(/!! BuildDataset failed: EmptyDatasetError: /);
    expect(output).toMatch(/failure: +EmptyDatasetError \(the message above\)/);
    expect(output).not.toContain('"trace"');
    expect(output).not.toContain('model file:');
    expect(output).toContain(
      `quarantined:      ${path.join(folder, 'stray.png')}: annotation ${path.join(folder, 'stray.json')} is invalid`,
    );
  });

  it(
    'skips a second run of the unchanged folder (no OCR, no training job, said in the summary); --force trains; promote --force and rollback change the champion',
    { timeout: 300_000 },
    async () => {
      // Prepare: the stage and folder of the first test
      const folder = path.join(work, 'my receipts');
      const stageDir = path.join(work, 'stage');
      const cli = async (argv: string[]): Promise<{ code: number; output: string }> => {
        const lines: string[] = [];
        const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(' ')));
        const code = await runCli(argv).finally(() => log.mockRestore());
        return { code, output: lines.join('\n') };
      };
      const run = ['run', folder, '--stage', 'test', '--data-dir', stageDir, '--hyperparameters', JSON.stringify(SMALL_TRAINING)];

      // Act: the same folder again
      const again = await cli(run);
      // Assess
      expect(again.code, again.output).toBe(0);
      expect(again.output).toMatch(/status: +SKIPPED/);
      expect(again.output).toMatch(/retrain: +SKIPPED, no OCR and no training job: nothing changed since the champion run-\d{17}/);
      expect(again.output).not.toMatch(/-> PlanBatches|-> OcrDocuments|-> CreateTrainingJob/);

      // Act: --force trains again; the same data and seed make the same model, which is not better by the margin
      const forced = await cli([...run, '--force']);
      expect(forced.code, forced.output).toBe(0);
      expect(forced.output).toMatch(/status: +COMPLETED/);
      expect(forced.output).toMatch(/promotion: +rejected \((not-better|not-comparable)\)/);
      const forcedRun = /run: +(run-\d{17})/.exec(forced.output)?.[1] ?? '';

      // Act: a person promotes it anyway, then rolls back
      const lineage = await cli(['lineage', 'receipts', '--data-dir', stageDir]);
      const champion = /champion: +(run-\d{17})/.exec(lineage.output)?.[1];
      expect(champion).toBeDefined();
      expect(champion).not.toBe(forcedRun);
      const promoted = await cli(['promote', forcedRun, '--force', '--reason', 'ship the retrained one', '--data-dir', stageDir]);
      expect(promoted.code, promoted.output).toBe(0);
      expect(promoted.output).toContain(`run ${forcedRun} is the champion now (was ${champion})`);
      const rolledBack = await cli(['rollback', 'receipts', '--reason', 'regression in production', '--data-dir', stageDir]);
      expect(rolledBack.code, rolledBack.output).toBe(0);
      expect(rolledBack.output).toContain(`rolled back: ${champion} is the champion of receipts again`);
      const history = await cli(['lineage', 'receipts', '--data-dir', stageDir]);
      expect(history.output).toMatch(/promoted +run-\d{17}[\s\S]*rejected +run-[\s\S]*forced +run-[\s\S]*rolled-back/);
    },
  );
});
