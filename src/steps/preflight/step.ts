/**
 * Pre-flight: what can be known to fail is found before anything costs money (OCR, dataset, training).
 * The input and hyperparameters were checked by ValidateInput; here the account is: the training image
 * exists in ECR (resolved to its digest) and the instance plan has quota.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { PreflightEvent, PreflightResult } from './schema';
import { resolveTrainingImage } from './image';
import { checkInstanceQuotas } from './quotas';

export type PreflightParams = Omit<PreflightEvent, 'instanceCount'> & { region: string; instanceCount?: number };

export const runPreflight = async (
  deps: { ecr: ECRClient; serviceQuotas: ServiceQuotasClient },
  params: PreflightParams,
): Promise<PreflightResult> => {
  const [image, quotas] = await Promise.all([
    resolveTrainingImage(deps.ecr, { image: params.image, pinnedDigest: params.imageDigest, region: params.region }),
    checkInstanceQuotas(deps.serviceQuotas, { plan: params.plan, region: params.region, instanceCount: params.instanceCount }),
  ]);
  return { ...image, ...quotas };
};

export { parseImageReference, pushCommands } from './image';
export { trainingQuotaName } from './quotas';
