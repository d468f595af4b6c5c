/**
 * CheckFingerprint (src/steps/check-fingerprint/step.ts): train or skip from one listing (mocked S3) and
 * the lineage (a real DynamoDB API, dynalite), never more.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../../local/clients';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../../local/dynamodb';
import { loadServerlessProject } from '../../../../local/serverless-project';
import { createTableInput } from '../../../../local/services';
import { LineageStore } from '../../../../src/status/lineage-store';
import { checkFingerprint } from '../../../../src/steps/check-fingerprint/step';
import { jobHyperparameters } from '../../../../src/contracts/training-config';
import { readDeploymentSettings, resolveRunConfig } from '../../../../src/steps/validate-input/step';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const TABLE = 'doctrain-test-fingerprint';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const AT = '2026-12-06T12:00:00.000Z';
const settings = readDeploymentSettings({
  DOCTRAIN_BUCKET: 'doctrain-dev-documents',
  DOCTRAIN_TABLE: TABLE,
  DOCTRAIN_TRAINING_IMAGE: 'repo:latest',
  DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/r',
  DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-dev-',
});

let server: LocalDynamoDB;
let raw: DynamoDBClient;
let lineage: LineageStore;
const s3 = mockClient(S3Client);
let counter = 0;

const listing = (etag: string) => [
  { Key: 'documents/a.png', ETag: `"${etag}"`, Size: 10 },
  { Key: 'documents/a.json', ETag: '"j"', Size: 2 },
];
const run = (input: Record<string, unknown> = {}) => {
  const modelName = `m${++counter}`;
  return { modelName, config: resolveRunConfig(settings, { modelName, ...input }, `exec-${counter}`) };
};

beforeAll(async () => {
  server = await startLocalDynamoDB();
  raw = new DynamoDBClient(localClientConfig(server.endpoint));
  await raw.send(new CreateTableCommand(createTableInput(TABLE, loadServerlessProject(ROOT).tableProperties)));
  lineage = new LineageStore(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), TABLE);
});
afterAll(async () => {
  raw?.destroy();
  await server?.close();
});
beforeEach(() => {
  s3.reset();
  s3.on(ListObjectsV2Command).resolves({ Contents: listing('e1'), IsTruncated: false });
});

const deps = () => ({ s3: new S3Client({ region: 'us-east-1' }), lineage });

describe('checkFingerprint', () => {
  it('trains the first run of a lineage, with one listing and no champion', async () => {
    // Arrange
    const { config } = run();
    // Act
    const decision = await checkFingerprint(deps(), { config, imageDigest: DIGEST });
    // Assess
    expect(decision.summary).toEqual({
      decision: 'train',
      reason: `the lineage ${config.modelName} has no trained model yet`,
      matchedRunId: null,
      championRunId: null,
      warmStart: false,
    });
    expect(decision).toMatchObject({ champion: null, lineageVersion: 0, listedObjects: 2, hyperparameters: {} });
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it("skips a run whose fingerprint equals the champion's, naming it; force trains anyway", async () => {
    // Arrange: the champion was trained on exactly this
    const { config, modelName } = run();
    const first = await checkFingerprint(deps(), { config, imageDigest: DIGEST });
    await lineage.changeChampion({
      modelName,
      expectedVersion: 0,
      champion: {
        runId: 'r1',
        modelArtifactUri: 's3://b/m.tar.gz',
        fingerprint: first.fingerprint,
        scores: { entityF1: 0.8, fields: {} },
        since: AT,
      },
      previous: [],
      at: AT,
    });
    // Act
    const again = await checkFingerprint(deps(), { config, imageDigest: DIGEST });
    const forced = await checkFingerprint(deps(), { config: { ...config, force: true }, imageDigest: DIGEST });
    // Assess
    expect(again.summary).toMatchObject({ decision: 'skip', matchedRunId: 'r1', championRunId: 'r1' });
    expect(again.summary.reason).toContain('nothing changed since the champion r1');
    expect(again.summary.reason).toContain('force: true');
    expect(forced.summary).toMatchObject({ decision: 'train', matchedRunId: 'r1' });
    expect(again).toMatchObject({ champion: { runId: 'r1', modelArtifactUri: 's3://b/m.tar.gz' }, lineageVersion: 1 });
  });

  it("skips a run equal to the lineage's last COMPLETED run (rejected, not champion); trains when a document changed", async () => {
    const { config, modelName } = run();
    const first = await checkFingerprint(deps(), { config, imageDigest: DIGEST });
    await lineage.recordCompleted(modelName, { runId: 'r2', fingerprint: first.fingerprint }, AT);
    expect((await checkFingerprint(deps(), { config, imageDigest: DIGEST })).summary).toMatchObject({
      decision: 'skip',
      matchedRunId: 'r2',
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: listing('e2'), IsTruncated: false });
    expect((await checkFingerprint(deps(), { config, imageDigest: DIGEST })).summary).toMatchObject({
      decision: 'train',
      matchedRunId: null,
    });
    // A new trainer image is a reason to train too.
    s3.on(ListObjectsV2Command).resolves({ Contents: listing('e1'), IsTruncated: false });
    expect((await checkFingerprint(deps(), { config, imageDigest: `sha256:${'d'.repeat(64)}` })).summary.decision).toBe('train');
  });

  it('reads every page of a long listing (the SDK paginator)', async () => {
    const { config } = run();
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: listing('e1'), IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'documents/b.png', ETag: '"b"', Size: 3 }], IsTruncated: false });
    const decision = await checkFingerprint(deps(), { config, imageDigest: DIGEST });
    expect(decision.listedObjects).toBe(3);
    expect(s3.commandCalls(ListObjectsV2Command)[1]?.args[0].input.ContinuationToken).toBe('t1');
  });

  it('warm-starts from the champion with the warm-start epochs, unless the run names epochs', async () => {
    const { config, modelName } = run({ training: { warmStart: 'champion' } });
    expect((await checkFingerprint(deps(), { config, imageDigest: DIGEST })).summary.warmStart).toBe(false); // no champion yet
    await lineage.changeChampion({
      modelName,
      expectedVersion: 0,
      champion: {
        runId: 'r1',
        modelArtifactUri: 's3://b/m.tar.gz',
        fingerprint: 'other',
        scores: { entityF1: 0.8, fields: {} },
        since: AT,
      },
      previous: [],
      at: AT,
    });
    const decision = await checkFingerprint(deps(), { config, imageDigest: DIGEST });
    expect(decision.summary).toMatchObject({ decision: 'train', warmStart: true, championRunId: 'r1' });
    expect(decision.hyperparameters).toEqual({ warm_start: 'true', epochs: '10' });
    expect(jobHyperparameters({ epochs: '3', seed: '1' }, true, 10)).toEqual({ epochs: '3', seed: '1', warm_start: 'true' });
    expect(jobHyperparameters({ epochs: '3' }, false, 10)).toEqual({ epochs: '3' });
  });
});
