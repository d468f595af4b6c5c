/**
 * `doctrain run <folder>` end to end: a folder of 3 synthetic receipts (documents layout) is uploaded to
 * a persistent local stage and the whole pipeline runs on the embedded runtime, with a tiny trainer.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
      expect(output).toMatch(/report: +s3:\/\/doctrain-local\/runs\/run-\d{14}\/dataset-manifest\.json/);
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
      const runId = /run: +(run-\d{14})/.exec(output)?.[1];
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
    },
  );
});
