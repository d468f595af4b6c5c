/**
 * The local ECR and Service Quotas through the unmodified SDK clients, and pre-flight against them
 * (pagination and error names as the SDK deserialises them).
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ListServiceQuotasCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEcr, type LocalEcr } from '../../../local/ecr';
import { startLocalServiceQuotas, type LocalServiceQuotas } from '../../../local/service-quotas';
import { runPreflight, trainingQuotaName } from '../../../src/steps/preflight/step';
import { localClientConfig } from '../../../local/clients';

const DIGEST = `sha256:${'c'.repeat(64)}`;
let ecrServer: LocalEcr;
let quotaServer: LocalServiceQuotas;
let ecr: ECRClient;
let serviceQuotas: ServiceQuotasClient;

beforeAll(async () => {
  ecrServer = await startLocalEcr({ images: [{ repository: 'doctrain-trainer', tag: 'local', digest: DIGEST }] });
  quotaServer = await startLocalServiceQuotas();
  ecr = new ECRClient({ ...localClientConfig(ecrServer.endpoint), maxAttempts: 1 });
  serviceQuotas = new ServiceQuotasClient({ ...localClientConfig(quotaServer.endpoint), maxAttempts: 1 });
});

afterAll(async () => {
  ecr?.destroy();
  serviceQuotas?.destroy();
  await ecrServer?.close();
  await quotaServer?.close();
});

describe('local ECR', () => {
  it('describes an image by tag and by digest, and answers the SDK error names for a missing one', async () => {
    // Act
    const byTag = await ecr.send(new DescribeImagesCommand({ repositoryName: 'doctrain-trainer', imageIds: [{ imageTag: 'local' }] }));
    const byDigest = await ecr.send(new DescribeImagesCommand({ repositoryName: 'doctrain-trainer', imageIds: [{ imageDigest: DIGEST }] }));
    // Assess
    expect(byTag.imageDetails?.[0]).toMatchObject({ imageDigest: DIGEST, imageTags: ['local'], repositoryName: 'doctrain-trainer' });
    expect(byDigest.imageDetails?.[0]?.imageDigest).toBe(DIGEST);
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'doctrain-trainer', imageIds: [{ imageTag: 'v2' }] })),
    ).rejects.toMatchObject({
      name: 'ImageNotFoundException',
    });
    await expect(ecr.send(new DescribeImagesCommand({ repositoryName: 'other', imageIds: [{ imageTag: 'local' }] }))).rejects.toMatchObject(
      {
        name: 'RepositoryNotFoundException',
      },
    );
    expect(ecrServer.localReference(`doctrain-trainer@${DIGEST}`)).toBe('doctrain-trainer:local');
  });
});

describe('local Service Quotas', () => {
  it('lists only applied quotas, pages, and denies access when asked', async () => {
    // Prepare
    const name = trainingQuotaName({ instanceType: 'ml.g5.4xlarge', spot: true });
    quotaServer.setQuota(name, 0);
    // Act
    const applied = await serviceQuotas.send(new ListServiceQuotasCommand({ ServiceCode: 'sagemaker' }));
    quotaServer.denyAccess(true);
    const denied = serviceQuotas.send(new ListServiceQuotasCommand({ ServiceCode: 'sagemaker' }));
    // Assess
    expect(applied.Quotas?.map((q) => [q.QuotaName, q.Value])).toEqual([[name, 0]]);
    expect(applied.Quotas?.[0]?.QuotaCode).toMatch(/^L-[0-9A-F]{8}$/);
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException' });
    quotaServer.denyAccess(false);
  });

  it('serves pre-flight end to end: the digest, an entry dropped for 0 quota, the defaults paged through', async () => {
    // Act
    const result = await runPreflight(
      { ecr, serviceQuotas },
      {
        image: 'doctrain-trainer:local',
        imageDigest: null,
        plan: [
          { instanceType: 'ml.g5.4xlarge', spot: true },
          { instanceType: 'ml.g5.48xlarge', spot: false },
        ],
        region: 'us-east-1',
      },
    );
    // Assess: 16 default quotas; the 48xlarge on-demand one is read from the defaults list.
    expect(result.image).toBe(`doctrain-trainer@${DIGEST}`);
    expect(result.plan).toEqual([{ instanceType: 'ml.g5.48xlarge', spot: false }]);
    expect(result.quotas.map((q) => q.value)).toEqual([0, 1]);
    expect(result.warnings).toEqual([expect.stringContaining('ml.g5.4xlarge:spot dropped')]);
  });
});
