/** The local SageMaker's model registry through the real SageMaker client: groups, versioned packages, listing, approval, refusals, persistence. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  type CreateModelPackageCommandInput,
  type ListModelPackagesCommandInput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../src/aws/clients';
import { localClientConfig, localS3Config } from '../../../local/clients';
import { startLocalSageMaker, type LocalSageMaker } from '../../../local/sagemaker';
import { MODEL_REGISTRY_FILE } from '../../../local/sagemaker/model-registry';

const ACCOUNT = '123456789012';
const GROUP = 'doctrain-dev';
const arnOf = (version: number) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/${GROUP}/${version}`;

let workDir: string;
let sagemaker: LocalSageMaker;
let client: SageMakerClient;
// The registry reads no S3: a client of nothing.
const s3 = createS3Client(localS3Config('http://127.0.0.1:9'));

const start = async (): Promise<void> => {
  sagemaker = await startLocalSageMaker({ s3, account: ACCOUNT, workDir, trainerDir: workDir, runner: 'process' });
  client = new SageMakerClient({ ...localClientConfig(sagemaker.endpoint), maxAttempts: 1 });
};
const stop = async (): Promise<void> => {
  client.destroy();
  await sagemaker.close();
};

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-registry-'));
  await start();
});

afterAll(async () => {
  await stop();
  s3.destroy();
  rmSync(workDir, { recursive: true, force: true });
});

/** A package as the pipeline registers one: every member it uses. */
const packageRequest = (run: string, overrides: Partial<CreateModelPackageCommandInput> = {}): CreateModelPackageCommandInput => ({
  ModelPackageGroupName: GROUP,
  ModelPackageDescription: `doctrain run ${run}`,
  InferenceSpecification: {
    Containers: [
      {
        Image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer@sha256:${'a'.repeat(64)}`,
        ModelDataUrl: `s3://doctrain-bucket/models/${run}/output/model.tar.gz`,
      },
    ],
    SupportedContentTypes: ['application/json'],
    SupportedResponseMIMETypes: ['application/json'],
    SupportedRealtimeInferenceInstanceTypes: ['ml.g5.xlarge'],
    SupportedTransformInstanceTypes: ['ml.g5.xlarge'],
  },
  ModelApprovalStatus: 'PendingManualApproval',
  ModelMetrics: {
    ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://doctrain-bucket/models/${run}/metrics.json` } },
  },
  CustomerMetadataProperties: { runId: run, valF1: '0.91' },
  ClientToken: `promote-${run}`,
  ...overrides,
});

const send = {
  createGroup: (name: string, description?: string) =>
    client.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: name, ModelPackageGroupDescription: description })),
  create: (input: CreateModelPackageCommandInput) => client.send(new CreateModelPackageCommand(input)),
  describe: (name: string) => client.send(new DescribeModelPackageCommand({ ModelPackageName: name })),
};

const refused = (message: string | RegExp) => ({
  name: 'ValidationException',
  message: typeof message === 'string' ? message : expect.stringMatching(message),
});

describe('local SageMaker model registry', () => {
  it('creates and describes a model package group, and refuses a second one of that name', async () => {
    const created = await send.createGroup(GROUP, 'Models doctrain promoted');
    expect(created.ModelPackageGroupArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package-group/${GROUP}`);
    const described = await client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
    expect(described).toMatchObject({
      ModelPackageGroupName: GROUP,
      ModelPackageGroupArn: created.ModelPackageGroupArn,
      ModelPackageGroupDescription: 'Models doctrain promoted',
      ModelPackageGroupStatus: 'Completed',
    });
    expect(described.CreationTime).toBeInstanceOf(Date);
    // By ARN too.
    await expect(
      client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: created.ModelPackageGroupArn })),
    ).resolves.toMatchObject({ ModelPackageGroupName: GROUP });

    await expect(send.createGroup(GROUP)).rejects.toMatchObject(
      refused(`Model Package Group already exists: ${created.ModelPackageGroupArn}`),
    );
    await expect(client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'no-such-group' }))).rejects.toMatchObject(
      refused('ModelPackageGroup no-such-group does not exist.'),
    );
  });

  it('versions packages 1, 2, 3 in their group; a repeated ClientToken gets the package it made', async () => {
    const arns = [];
    for (const run of ['r-1', 'r-2', 'r-3']) arns.push((await send.create(packageRequest(run))).ModelPackageArn);
    expect(arns).toEqual([arnOf(1), arnOf(2), arnOf(3)]);
    expect((await send.create(packageRequest('r-2'))).ModelPackageArn).toBe(arnOf(2));
    await expect(send.create(packageRequest('r-x', { ModelPackageGroupName: 'no-such-group' }))).rejects.toMatchObject(
      refused('ModelPackageGroup no-such-group does not exist.'),
    );
  });

  it('describes a package by ARN or by <group>/<version>, echoing what was registered', async () => {
    const described = await send.describe(arnOf(2));
    const { ClientToken: _token, ModelPackageGroupName: _group, ...registered } = packageRequest('r-2');
    expect(described).toMatchObject({
      ...registered,
      ModelPackageName: GROUP,
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: 2,
      ModelPackageArn: arnOf(2),
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: 'PendingManualApproval',
    });
    expect(described.CreationTime).toBeInstanceOf(Date);
    expect((await send.describe(`${GROUP}/3`)).ModelPackageArn).toBe(arnOf(3));
    await expect(send.describe(`${GROUP}/9`)).rejects.toMatchObject(refused(`ModelPackage ${GROUP}/9 does not exist.`));
  });

  it('lists a group newest first by default, sorted and paginated as asked', async () => {
    const versions = async (input: ListModelPackagesCommandInput) => {
      const out = await client.send(new ListModelPackagesCommand(input));
      return { versions: out.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion), next: out.NextToken };
    };
    expect((await versions({ ModelPackageGroupName: GROUP })).versions).toEqual([3, 2, 1]);
    const first = await versions({ ModelPackageGroupName: GROUP, SortBy: 'CreationTime', SortOrder: 'Ascending', MaxResults: 2 });
    expect(first.versions).toEqual([1, 2]);
    expect(first.next).toEqual(expect.any(String));
    const second = await versions({ ModelPackageGroupName: GROUP, SortOrder: 'Ascending', MaxResults: 2, NextToken: first.next });
    expect(second).toEqual({ versions: [3], next: undefined });
    expect((await versions({ ModelPackageGroupName: 'other-group' })).versions).toEqual([]);

    const [summary] =
      (await client.send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP, MaxResults: 1 }))).ModelPackageSummaryList ?? [];
    expect(summary).toMatchObject({
      ModelPackageGroupName: GROUP,
      ModelPackageVersion: 3,
      ModelPackageArn: arnOf(3),
      ModelPackageDescription: 'doctrain run r-3',
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: 'PendingManualApproval',
    });
  });

  it('updates a package approval, and lists by approval status', async () => {
    const updated = await client.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: arnOf(3),
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'val_f1 0.91 > 0.88',
      }),
    );
    expect(updated.ModelPackageArn).toBe(arnOf(3));
    await client.send(new UpdateModelPackageCommand({ ModelPackageArn: arnOf(1), ModelApprovalStatus: 'Rejected' }));
    const described = await send.describe(arnOf(3));
    expect(described).toMatchObject({ ModelApprovalStatus: 'Approved', ApprovalDescription: 'val_f1 0.91 > 0.88' });
    expect(described.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(described.CreationTime!.getTime());
    const approved = await client.send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved' }));
    expect(approved.ModelPackageSummaryList?.map((p) => p.ModelPackageVersion)).toEqual([3]);
    await expect(
      client.send(new UpdateModelPackageCommand({ ModelPackageArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/${GROUP}/7` })),
    ).rejects.toMatchObject(refused(/ModelPackage .*\/7 does not exist\./));
  });

  it('refuses what SageMaker refuses, with its validation message', async () => {
    await expect(send.createGroup('bad_name')).rejects.toMatchObject(
      refused(
        "1 validation error detected: Value 'bad_name' at 'modelPackageGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
      ),
    );
    await expect(send.createGroup('g', 'a\nnewline')).rejects.toMatchObject(refused(/at 'modelPackageGroupDescription' failed/));
    await expect(
      client.send(new UpdateModelPackageCommand({ ModelPackageArn: arnOf(2), ModelApprovalStatus: 'Maybe' as 'Approved' })),
    ).rejects.toMatchObject(
      refused(
        "1 validation error detected: Value 'Maybe' at 'modelApprovalStatus' failed to satisfy constraint: Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]",
      ),
    );
    const container = { Image: 'img:latest', ModelDataUrl: 'ftp://bucket/model.tar.gz' };
    await expect(
      send.create(
        packageRequest('r-bad', {
          InferenceSpecification: { ...packageRequest('r-bad').InferenceSpecification!, Containers: [container] },
        }),
      ),
    ).rejects.toMatchObject(
      refused(
        /at 'inferenceSpecification\.containers\.1\.member\.modelDataUrl' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      ),
    );
    await expect(send.create(packageRequest('r-bad', { CustomerMetadataProperties: { 'bad key!': 'x' } }))).rejects.toMatchObject(
      refused(
        /Value 'bad key!' at 'customerMetadataProperties\.bad key!' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      ),
    );
    await expect(send.create(packageRequest('r-bad', { CustomerMetadataProperties: { runId: '' } }))).rejects.toMatchObject(
      refused(/at 'customerMetadataProperties\.runId' failed to satisfy constraint: Member must have length greater than or equal to 1/),
    );
    await expect(send.create(packageRequest('r-bad', { ClientToken: 'x'.repeat(37) }))).rejects.toMatchObject(
      refused(/at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 36/),
    );
    await expect(client.send(new ListModelPackagesCommand({ SortBy: 'Version' as 'Name' }))).rejects.toMatchObject(
      refused(/Value 'Version' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: \[Name, CreationTime\]/),
    );
    await expect(client.send(new ListModelPackagesCommand({ MaxResults: 101 }))).rejects.toMatchObject(
      refused(/at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100/),
    );
  });

  it('keeps the registry on disk: a restarted local SageMaker has its groups and versions', async () => {
    expect(existsSync(path.join(workDir, MODEL_REGISTRY_FILE))).toBe(true);
    await stop();
    await start();
    await expect(client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: GROUP }))).resolves.toMatchObject({
      ModelPackageGroupName: GROUP,
    });
    expect(await send.describe(arnOf(3))).toMatchObject({
      ModelApprovalStatus: 'Approved',
      CustomerMetadataProperties: { runId: 'r-3', valF1: '0.91' },
    });
    expect((await send.create(packageRequest('r-4'))).ModelPackageArn).toBe(arnOf(4));
  });
});
