/** Pre-flight (src/steps/preflight/) against mocked ECR and Service Quotas clients. */
import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import {
  AccessDeniedException,
  ListAWSDefaultServiceQuotasCommand,
  ListServiceQuotasCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
  TooManyRequestsException,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstancePlanEntry } from '../../../../src/contracts/instance-plan';
import { InstanceQuotaError, ThrottlingError, TrainingImageNotFoundError } from '../../../../src/contracts/errors';
import { parseImageReference, runPreflight, trainingQuotaName } from '../../../../src/steps/preflight/step';

const ecr = mockClient(ECRClient);
const quotas = mockClient(ServiceQuotasClient);
const deps = () => ({ ecr: new ECRClient({ region: 'eu-west-1' }), serviceQuotas: new ServiceQuotasClient({ region: 'eu-west-1' }) });

const REPO_URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/doctrain-prod-trainer';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const PLAN: InstancePlanEntry[] = [
  { instanceType: 'ml.g5.xlarge', spot: true },
  { instanceType: 'ml.g5.2xlarge', spot: true },
  { instanceType: 'ml.g5.xlarge', spot: false },
];
const params = (overrides: Partial<Parameters<typeof runPreflight>[1]> = {}) => ({
  image: `${REPO_URI}:latest`,
  imageDigest: null,
  plan: PLAN,
  region: 'eu-west-1',
  ...overrides,
});
const quota = (entry: InstancePlanEntry, value: number, code: string) => ({
  QuotaName: trainingQuotaName(entry),
  QuotaCode: code,
  Value: value,
});
/** The rejection (a resolved pre-flight gives its result, which the instanceOf assertions then reject). */
const caught = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    (result) => result as Error,
    (error: unknown) => error as Error,
  );

afterEach(() => {
  ecr.reset();
  quotas.reset();
});

describe('parseImageReference', () => {
  it('splits registry, repository, tag and digest', () => {
    expect(parseImageReference(`${REPO_URI}:v3`)).toEqual({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      registryId: '123456789012',
      repository: 'doctrain-prod-trainer',
      tag: 'v3',
    });
    expect(parseImageReference(`${REPO_URI}@${DIGEST}`)).toMatchObject({ repository: 'doctrain-prod-trainer', digest: DIGEST });
    expect(parseImageReference('doctrain-trainer:local')).toEqual({ registry: '', repository: 'doctrain-trainer', tag: 'local' });
    expect(parseImageReference('localhost:5000/team/trainer')).toEqual({ registry: 'localhost:5000', repository: 'team/trainer' });
  });
});

describe('runPreflight', () => {
  it('resolves the tag to repo@sha256 and keeps every plan entry with quota', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['latest'] }] });
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [quota(PLAN[0] as InstancePlanEntry, 2, 'L-AAAA0001')] });
    quotas.on(ListAWSDefaultServiceQuotasCommand).resolves({
      Quotas: [
        quota(PLAN[0] as InstancePlanEntry, 0, 'L-AAAA0001'),
        quota(PLAN[1] as InstancePlanEntry, 1, 'L-AAAA0002'),
        quota(PLAN[2] as InstancePlanEntry, 1, 'L-AAAA0003'),
      ],
    });
    // Act
    const result = await runPreflight(deps(), params());
    // Assess: the applied value wins over the default; the registry id and the tag are asked for.
    expect(result).toMatchObject({ image: `${REPO_URI}@${DIGEST}`, imageDigest: DIGEST, imageTag: 'latest', plan: PLAN, warnings: [] });
    expect(result.quotas.map((q) => [q.quotaCode, q.value])).toEqual([
      ['L-AAAA0001', 2],
      ['L-AAAA0002', 1],
      ['L-AAAA0003', 1],
    ]);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      registryId: '123456789012',
      repositoryName: 'doctrain-prod-trainer',
      imageIds: [{ imageTag: 'latest' }],
    });
    expect(quotas.commandCalls(ListServiceQuotasCommand)[0]?.args[0].input).toMatchObject({ ServiceCode: 'sagemaker' });
  });

  it('looks a pinned digest up by digest', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: PLAN.map((e, i) => quota(e, 1, `L-0${i}`)) });
    // Act
    const result = await runPreflight(deps(), params({ imageDigest: DIGEST }));
    // Assess
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input.imageIds).toEqual([{ imageDigest: DIGEST }]);
    expect(result.image).toBe(`${REPO_URI}@${DIGEST}`);
    expect(result).not.toHaveProperty('imageTag');
    // All found among the applied values: the defaults are not listed.
    expect(quotas.commandCalls(ListAWSDefaultServiceQuotasCommand)).toHaveLength(0);
  });

  it.each([
    ['an empty repository', new ImageNotFoundException({ message: 'no image', $metadata: {} })],
    ['a missing repository', new RepositoryNotFoundException({ message: 'no repo', $metadata: {} })],
  ])('fails with TrainingImageNotFoundError on %s, naming the exact push commands', async (_what, error) => {
    // Prepare
    ecr.on(DescribeImagesCommand).rejects(error);
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: PLAN.map((e, i) => quota(e, 1, `L-0${i}`)) });
    // Act
    const failure = await caught(runPreflight(deps(), params()));
    // Assess
    expect(failure).toBeInstanceOf(TrainingImageNotFoundError);
    expect(failure.name).toBe('TrainingImageNotFoundError');
    expect(failure.message).toContain(
      'aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    );
    expect(failure.message).toContain('docker build -t doctrain-trainer training-image');
    expect(failure.message).toContain(`docker tag doctrain-trainer ${REPO_URI}:latest`);
    expect(failure.message).toContain(`docker push ${REPO_URI}:latest`);
  });

  it('drops plan entries at 0 quota with a warning naming the request command', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).resolves({
      Quotas: [
        quota(PLAN[0] as InstancePlanEntry, 0, 'L-SPOT0001'),
        quota(PLAN[1] as InstancePlanEntry, 4, 'L-SPOT0002'),
        quota(PLAN[2] as InstancePlanEntry, 1, 'L-OD000001'),
      ],
    });
    // Act
    const result = await runPreflight(deps(), params());
    // Assess
    expect(result.plan).toEqual([PLAN[1], PLAN[2]]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(
      'aws service-quotas request-service-quota-increase --service-code sagemaker --quota-code L-SPOT0001 --desired-value 1 --region eu-west-1',
    );
  });

  it('drops plan entries whose quota is below the instances per job (instanceCount), asking for that many', async () => {
    // Prepare: 2 instances per job; quotas 1, 4 and 2.
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).resolves({
      Quotas: [
        quota(PLAN[0] as InstancePlanEntry, 1, 'L-SPOT0001'),
        quota(PLAN[1] as InstancePlanEntry, 4, 'L-SPOT0002'),
        quota(PLAN[2] as InstancePlanEntry, 2, 'L-OD000001'),
      ],
    });
    // Act
    const result = await runPreflight(deps(), params({ instanceCount: 2 }));
    // Assess
    expect(result.plan).toEqual([PLAN[1], PLAN[2]]);
    expect(result.warnings).toEqual([expect.stringContaining('is 1 (the job asks for 2 instances): ml.g5.xlarge:spot dropped')]);
    expect(result.warnings[0]).toContain('--quota-code L-SPOT0001 --desired-value 2 --region eu-west-1');
  });

  it('fails with InstanceQuotaError when every plan entry is at 0, naming each request command', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: PLAN.map((e, i) => quota(e, 0, `L-ZER0000${i}`)) });
    // Act
    const failure = await caught(runPreflight(deps(), params()));
    // Assess
    expect(failure).toBeInstanceOf(InstanceQuotaError);
    for (const code of ['L-ZER00000', 'L-ZER00001', 'L-ZER00002'])
      expect(failure.message).toContain(`--quota-code ${code} --desired-value 1`);
  });

  it.each([
    ['AccessDenied', new AccessDeniedException({ message: 'not allowed', $metadata: {} })],
    ['NoSuchResource', new NoSuchResourceException({ message: 'no such service', $metadata: {} })],
  ])('skips the quota check with a recorded warning on %s', async (_what, error) => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).rejects(error);
    // Act
    const result = await runPreflight(deps(), params());
    // Assess
    expect(result.plan).toEqual(PLAN);
    expect(result.quotas).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining('SageMaker training quotas not checked')]);
  });

  it('warns about a quota Service Quotas does not know, and keeps its entry', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [quota(PLAN[0] as InstancePlanEntry, 1, 'L-1')] });
    quotas.on(ListAWSDefaultServiceQuotasCommand).resolves({ Quotas: [quota(PLAN[2] as InstancePlanEntry, 1, 'L-3')] });
    // Act
    const result = await runPreflight(deps(), params());
    // Assess
    expect(result.plan).toEqual(PLAN);
    expect(result.warnings).toEqual([expect.stringContaining('"ml.g5.2xlarge for spot training job usage" not found')]);
  });

  it('surfaces throttling left after the SDK retries as ThrottlingError (the ASL retries it)', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    quotas.on(ListServiceQuotasCommand).rejects(new TooManyRequestsException({ message: 'slow down', $metadata: {} }));
    // Act
    const failure = await caught(runPreflight(deps(), params()));
    // Assess
    expect(failure).toBeInstanceOf(ThrottlingError);
    expect(failure.cause).toBeInstanceOf(TooManyRequestsException);
  });
});
