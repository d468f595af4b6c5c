/**
 * The lineage (src/status/lineage-store.ts) and the promotion it carries out (src/retrain/apply-promotion.ts,
 * src/retrain/lineage-commands.ts) against a real DynamoDB API (dynalite) with the table serverless.yml
 * defines; the registry's SageMaker calls and the statistics' S3 write are mocked (aws-sdk-client-mock).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/clients';
import { startLocalDynamoDB, type LocalDynamoDB } from '../../../local/dynamodb';
import { loadServerlessProject } from '../../../local/serverless-project';
import { createTableInput } from '../../../local/services';
import type { LineageModel } from '../../../src/contracts/lineage';
import { applyPromotion, type ApplyPromotionDeps } from '../../../src/retrain/apply-promotion';
import { forcePromote, rollbackChampion } from '../../../src/retrain/lineage-commands';
import { decidePromotion } from '../../../src/retrain/promotion';
import { LineageStore } from '../../../src/status/lineage-store';
import { RunStore } from '../../../src/status/run-store';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TABLE = 'doctrain-test-lineage';
const AT = '2026-12-06T12:00:00.000Z';

let server: LocalDynamoDB;
let raw: DynamoDBClient;
let lineage: LineageStore;
let store: RunStore;
let counter = 0;
const newModel = (): string => `m${++counter}-${Date.now().toString(36)}`;
const sagemaker = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);

const model = (runId: string, entityF1 = 0.8): LineageModel => ({
  runId,
  modelArtifactUri: `s3://b/models/x/doctrain-${runId}-a1/output/model.tar.gz`,
  fingerprint: `fp-${runId}`,
  scores: { entityF1, fields: { total: entityF1 } },
  since: AT,
});

const deps = (): ApplyPromotionDeps & { store: RunStore } => ({
  lineage,
  store,
  sagemaker: new SageMakerClient({ region: 'us-east-1' }),
  s3: new S3Client({ region: 'us-east-1' }),
  registry: { bucket: 'b', groupPrefix: 'doctrain-test-', inferenceImage: 'img:1', approval: 'Approved', registerRejected: false },
  now: () => new Date(AT),
});

/** A job's final metrics: the challenger at `f1`, the champion scored at `championF1` (undefined: none given). */
const jobMetrics = (f1: number, championF1?: number): Record<string, number> => ({
  val_f1: f1,
  val_exact_total: f1,
  ...(championF1 === undefined ? {} : { champion_comparable: 1, champion_val_f1: championF1, champion_val_exact_total: championF1 }),
});

beforeAll(async () => {
  server = await startLocalDynamoDB();
  raw = new DynamoDBClient(localClientConfig(server.endpoint));
  const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  await raw.send(new CreateTableCommand(createTableInput(TABLE, loadServerlessProject(ROOT).tableProperties)));
  lineage = new LineageStore(db, TABLE);
  store = new RunStore(db, TABLE);
});

afterAll(async () => {
  raw?.destroy();
  await server?.close();
});

beforeEach(() => {
  sagemaker.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  sagemaker
    .on(DescribeModelPackageGroupCommand)
    .rejects(Object.assign(new Error('ModelPackageGroup x does not exist.'), { name: 'ValidationException' }));
  sagemaker.on(CreateModelPackageGroupCommand).resolves({ ModelPackageGroupArn: 'arn:group' });
  sagemaker.on(CreateModelPackageCommand).callsFake((input: { ModelPackageGroupName: string }) => ({
    ModelPackageArn: `arn:aws:sagemaker:us-east-1:000000000000:model-package/${input.ModelPackageGroupName}/${sagemaker.commandCalls(CreateModelPackageCommand).length}`,
  }));
  sagemaker.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: 'arn:updated' });
});

describe('LineageStore.changeChampion', () => {
  it('of two changes made against the same version exactly one wins, the other is superseded', async () => {
    // Arrange
    const name = newModel();
    expect(await lineage.changeChampion({ modelName: name, expectedVersion: 0, champion: model('r0'), previous: [], at: AT })).toBe(
      'changed',
    );
    // Act: two runs finishing at once, both decided against version 1
    const results = await Promise.all(
      ['ra', 'rb'].map((runId) =>
        lineage.changeChampion({ modelName: name, expectedVersion: 1, champion: model(runId), previous: [model('r0')], at: AT }),
      ),
    );
    // Assess
    expect(results.sort()).toEqual(['changed', 'superseded']);
    const after = await lineage.get(name);
    expect(after?.version).toBe(2);
    expect(['ra', 'rb']).toContain(after?.champion?.runId);
  });

  it('refuses a first write when the lineage already has a version (no lost update)', async () => {
    const name = newModel();
    await lineage.changeChampion({ modelName: name, expectedVersion: 0, champion: model('r0'), previous: [], at: AT });
    expect(await lineage.changeChampion({ modelName: name, expectedVersion: 0, champion: model('r9'), previous: [], at: AT })).toBe(
      'superseded',
    );
  });

  it('recordCompleted creates an empty lineage and never touches the champion', async () => {
    const name = newModel();
    await lineage.recordCompleted(name, { runId: 'r1', fingerprint: 'f1' }, AT);
    expect(await lineage.get(name)).toMatchObject({
      version: 0,
      champion: null,
      previous: [],
      lastCompleted: { runId: 'r1', fingerprint: 'f1' },
    });
    await lineage.changeChampion({ modelName: name, expectedVersion: 0, champion: model('r2'), previous: [], at: AT });
    await lineage.recordCompleted(name, { runId: 'r3', fingerprint: 'f3' }, AT);
    expect(await lineage.get(name)).toMatchObject({ version: 1, champion: { runId: 'r2' }, lastCompleted: { runId: 'r3' } });
  });
});

describe('applyPromotion', () => {
  it('promotes the first model, registers it Approved with its statistics, and logs it', async () => {
    // Arrange
    const name = newModel();
    const decision = decidePromotion({ metrics: jobMetrics(0.7), championRunId: null, margin: 0.01, tolerance: 0.02, decidedAt: AT });
    // Act
    const promotion = await applyPromotion(deps(), {
      modelName: name,
      runId: 'r1',
      fingerprint: 'f1',
      modelArtifactUri: 's3://b/m1.tar.gz',
      decision,
      expectedVersion: 0,
      by: 'pipeline',
    });
    // Assess
    expect(promotion).toMatchObject({ decision: 'promoted', rule: 'first', championBefore: null, championAfter: 'r1' });
    expect(promotion.modelPackageArn).toContain(`doctrain-test-${name}`);
    const create = sagemaker.commandCalls(CreateModelPackageCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      ModelPackageGroupName: `doctrain-test-${name}`,
      ModelApprovalStatus: 'Approved',
      InferenceSpecification: { Containers: [{ Image: 'img:1', ModelDataUrl: 's3://b/m1.tar.gz' }] },
      ModelMetrics: {
        ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://b/lineages/${name}/r1/promotion.json` } },
      },
    });
    expect(create?.ClientToken).toMatch(/^[a-f0-9]{36}$/);
    expect(await lineage.get(name)).toMatchObject({
      version: 1,
      champion: { runId: 'r1', modelPackageArn: promotion.modelPackageArn },
      lastCompleted: { runId: 'r1' },
    });
    expect((await lineage.history(name)).map((h) => [h.action, h.runId, h.championBefore, h.championAfter])).toEqual([
      ['promoted', 'r1', null, 'r1'],
    ]);
  });

  it('a rejected challenger leaves the champion, registers nothing (registerRejected off) and is the last COMPLETED run', async () => {
    const name = newModel();
    await lineage.changeChampion({ modelName: name, expectedVersion: 0, champion: model('r1'), previous: [], at: AT });
    const decision = decidePromotion({ metrics: jobMetrics(0.6, 0.8), championRunId: 'r1', margin: 0.01, tolerance: 0.02, decidedAt: AT });
    const promotion = await applyPromotion(deps(), {
      modelName: name,
      runId: 'r2',
      fingerprint: 'f2',
      modelArtifactUri: 's3://b/m2.tar.gz',
      decision,
      expectedVersion: 1,
      by: 'pipeline',
    });
    expect(promotion).toMatchObject({ decision: 'rejected', rule: 'not-better', championAfter: 'r1' });
    expect(sagemaker.commandCalls(CreateModelPackageCommand)).toHaveLength(0);
    expect(await lineage.get(name)).toMatchObject({
      version: 1,
      champion: { runId: 'r1' },
      lastCompleted: { runId: 'r2', fingerprint: 'f2' },
    });
    expect((await lineage.history(name)).map((h) => h.action)).toEqual(['rejected']);
  });

  it('a better challenger decided against an old version is rejected as superseded (it was compared with another champion)', async () => {
    const name = newModel();
    await lineage.changeChampion({ modelName: name, expectedVersion: 0, champion: model('r1'), previous: [], at: AT });
    await lineage.changeChampion({ modelName: name, expectedVersion: 1, champion: model('r2'), previous: [model('r1')], at: AT });
    const decision = decidePromotion({ metrics: jobMetrics(0.95, 0.8), championRunId: 'r1', margin: 0.01, tolerance: 0.02, decidedAt: AT });
    const promotion = await applyPromotion(deps(), {
      modelName: name,
      runId: 'r3',
      fingerprint: 'f3',
      modelArtifactUri: 's3://b/m3.tar.gz',
      decision,
      expectedVersion: 1,
      by: 'pipeline',
    });
    expect(promotion).toMatchObject({ decision: 'rejected', rule: 'superseded', championAfter: 'r2' });
    expect((await lineage.get(name))?.champion?.runId).toBe('r2');
  });
});

describe('forcePromote and rollbackChampion', () => {
  it('force-promotes a COMPLETED run (logged with who and why), then rolls back to the champion before it', async () => {
    // Arrange: r1 champion, r2 COMPLETED but rejected
    const name = newModel();
    await lineage.changeChampion({
      modelName: name,
      expectedVersion: 0,
      champion: { ...model('r1'), modelPackageArn: 'arn:pkg-r1' },
      previous: [],
      at: AT,
    });
    const runId = `${name}-r2`;
    await store.writeStatusChange({
      runId,
      executionName: runId,
      status: 'COMPLETED',
      at: AT,
      attributes: { modelName: name, modelArtifactUri: 's3://b/m2.tar.gz', trainingFingerprint: 'f2', metrics: jobMetrics(0.7, 0.8) },
    });
    // Act
    const promotion = await forcePromote(deps(), runId, { by: 'alice', reason: 'the date field matters more' });
    // Assess
    expect(promotion).toMatchObject({ decision: 'promoted', rule: 'forced', championBefore: 'r1', championAfter: runId });
    expect(promotion.reason).toContain('forced by alice: the date field matters more');
    const forced = await lineage.get(name);
    expect(forced).toMatchObject({ version: 2, champion: { runId }, previous: [{ runId: 'r1' }] });
    await expect(forcePromote(deps(), runId, { by: 'alice', reason: 'again' })).rejects.toMatchObject({ name: 'NoChampionError' });

    // Act: roll back
    const after = await rollbackChampion(deps(), name, { by: 'bob', reason: 'bad totals in production' });
    // Assess
    expect(after).toMatchObject({ version: 3, champion: { runId: 'r1' }, previous: [] });
    const updates = sagemaker.commandCalls(UpdateModelPackageCommand).map((call) => call.args[0].input);
    expect(updates).toEqual([
      expect.objectContaining({ ModelPackageArn: promotion.modelPackageArn, ModelApprovalStatus: 'Rejected' }),
      expect.objectContaining({ ModelPackageArn: 'arn:pkg-r1', ModelApprovalStatus: 'Approved' }),
    ]);
    expect((await lineage.history(name)).map((h) => [h.action, h.by])).toEqual([
      ['forced', 'alice'],
      ['rolled-back', 'bob'],
    ]);
    // Nothing earlier to roll back to
    await expect(rollbackChampion(deps(), name, { by: 'bob', reason: 'again' })).rejects.toThrow(/no earlier champion/);
  });

  it('refuses to promote a run that did not complete', async () => {
    const runId = `${newModel()}-failed`;
    await store.writeStatusChange({ runId, executionName: runId, status: 'FAILED', at: AT, attributes: { modelName: 'x' } });
    await expect(forcePromote(deps(), runId, { by: 'a', reason: 'b' })).rejects.toThrow(/is FAILED without a model artifact/);
  });
});
