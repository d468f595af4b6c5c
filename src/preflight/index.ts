/**
 * Pre-flight: what can be known to fail is found before anything costs money (OCR, dataset, training).
 * The input and hyperparameters were checked by ValidateInput; here the account is: the training image
 * exists in ECR (resolved to its digest) and the instance plan has quota.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { InstancePlanEntry } from '../config/instance-plan';
import { resolveTrainingImage } from './image';
import { checkInstanceQuotas, type QuotaReading } from './quotas';

export interface PreflightParams {
  image: string;
  imageDigest: string | null;
  plan: readonly InstancePlanEntry[];
  region: string;
}

export interface PreflightResult {
  /** `repository@sha256:...`, what CreateTrainingJob runs. */
  image: string;
  imageDigest: string;
  imageTag?: string;
  /** The instance plan with every entry the account has no quota for removed. */
  plan: InstancePlanEntry[];
  quotas: QuotaReading[];
  warnings: string[];
}

export const runPreflight = async (
  deps: { ecr: ECRClient; serviceQuotas: ServiceQuotasClient },
  params: PreflightParams,
): Promise<PreflightResult> => {
  const [image, quotas] = await Promise.all([
    resolveTrainingImage(deps.ecr, { image: params.image, pinnedDigest: params.imageDigest, region: params.region }),
    checkInstanceQuotas(deps.serviceQuotas, { plan: params.plan, region: params.region }),
  ]);
  return { ...image, ...quotas };
};

export { parseImageReference, pushCommands } from './image';
export { trainingQuotaName } from './quotas';
