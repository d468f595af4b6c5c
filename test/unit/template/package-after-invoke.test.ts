/**
 * `sls invoke local --param="target=local"` builds ESM in `handler.js`; `sls package` builds `handler.mjs`.
 * If the two builds shared a folder, the package would ship both and Lambda's runtime, which resolves
 * `handler.js` first, would fail every such function with Runtime.UserCodeSyntaxError. This test does what
 * a developer does (invoke locally, then package, in one checkout) and asserts that each function's zip
 * holds exactly one handler file, the `.mjs` one.
 *
 * The same zips are the deployed functions, so what each must (not) carry is asserted here too: its one
 * bundle, no source map, and only the AWS SDK clients the function uses (bench/README.md "Lean Lambdas").
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { inspectDocument } from '../../../src/documents/inspect';
import { ROOT, copyService, sls } from './packaged';
import { CREDENTIAL_CHAIN_SERVICE_IDS, readPackagedLambdas, sdkServiceIds, zipEntryBytes, zipEntries } from '../../../bench/lambda-zips';

/** The SDK clients (by serviceId) each function calls; a function that starts calling another one adds it here. */
const SDK_CLIENTS_PER_FUNCTION: Record<string, string[]> = {
  buildDataset: ['S3'],
  checkFingerprint: ['DynamoDB', 'S3'],
  collectTextractJobs: ['S3', 'Textract'],
  finalizeRun: ['DynamoDB', 'SageMaker'],
  notifyRun: ['DynamoDB', 'EventBridge'],
  ocrBatch: ['S3', 'Textract'],
  planBatches: ['S3'],
  pollTraining: ['DynamoDB', 'S3', 'SageMaker'],
  preflight: ['ECR', 'Service Quotas'],
  promoteModel: ['DynamoDB', 'S3', 'SageMaker'],
  recordStatus: ['DynamoDB'],
  stopEndedRun: ['DynamoDB', 'EventBridge', 'SageMaker'],
  trainingAttempt: ['DynamoDB'],
  tuningJob: ['DynamoDB', 'SageMaker'],
  validateInput: [],
};

let workDir: string;
let packageDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-package-after-invoke-'));
  const service = path.join(workDir, 'service');
  copyService(service, ['events']);
  const common = ['--stage', 'dev', '--region', 'us-east-1'];
  await sls(service, ['invoke', 'local', '-f', 'validateInput', '--path', 'events/validate-input.json', ...common, '--param=target=local']);
  packageDir = path.join(workDir, 'package');
  await sls(service, ['package', ...common, '--package', packageDir]);
}, 240_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('sls package after sls invoke local', () => {
  it('ships exactly one handler file per function, the ESM .mjs one', async () => {
    const zips = readdirSync(packageDir).filter((name) => name.endsWith('.zip'));
    expect(zips.length).toBeGreaterThanOrEqual(6);
    for (const zip of zips) {
      const handlers = (await zipEntries(path.join(packageDir, zip))).filter((name) => /(^|\/)handler\.(c|m)?js$/.test(name));
      expect(handlers, zip).toHaveLength(1);
      expect(handlers[0], zip).toMatch(/handler\.mjs$/);
    }
  });

  it('ships nothing but the handler bundle: no source map, no other file', async () => {
    const lambdas = await readPackagedLambdas(packageDir);
    expect(lambdas.map((l) => l.functionName)).toEqual(Object.keys(SDK_CLIENTS_PER_FUNCTION).sort());
    for (const lambda of lambdas) {
      expect(lambda.entries, lambda.functionName).toEqual([`${lambda.handlerModule}.mjs`]);
    }
  });

  it('bundles into each function only the AWS SDK clients it uses', async () => {
    for (const lambda of await readPackagedLambdas(packageDir)) {
      const code = (await zipEntryBytes(lambda.zipPath, `${lambda.handlerModule}.mjs`)).toString('utf8');
      const clients = sdkServiceIds(code).filter((id) => !CREDENTIAL_CHAIN_SERVICE_IDS.includes(id));
      expect(clients, `${lambda.functionName}: import a client from src/aws/<service>-client, not src/aws/clients`).toEqual(
        SDK_CLIENTS_PER_FUNCTION[lambda.functionName],
      );
    }
  });

  it("leaves pdf-lib's standard font metrics and PNG decoder out of the bundles, and PDFs are still inspected", async () => {
    // Prepare: OcrBatch inspects PDFs; the plugin's error message marks a bundle built without the metrics.
    const ocrBatch = (await readPackagedLambdas(packageDir)).find((l) => l.functionName === 'ocrBatch');
    expect(ocrBatch).toBeDefined();
    const code = (await zipEntryBytes(ocrBatch!.zipPath, `${ocrBatch!.handlerModule}.mjs`)).toString('utf8');
    expect(code).toContain('standard font metrics are left out');
    expect(code).toContain('PNG decoder is left out');
    // Act: the inspection module bundled with the same plugins, on a 3-page PDF.
    const plugins = createRequire(import.meta.url)(path.join(ROOT, 'scripts', 'esbuild-plugins.cjs')) as esbuild.Plugin[];
    const outfile = path.join(workDir, 'inspect.mjs');
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/documents/inspect.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      plugins,
      logLevel: 'error',
    });
    const bundled = (await import(pathToFileURL(outfile).href)) as { inspectDocument: typeof inspectDocument };
    const pdf = await PDFDocument.create();
    for (let i = 0; i < 3; i++) pdf.addPage();
    const inspection = await bundled.inspectDocument(await pdf.save());
    // Assess
    expect(inspection).toMatchObject({ ok: true, type: 'pdf', pages: 3 });
  });
});
