/**
 * Pre-flight, quotas: for each entry of the instance plan, the account's SageMaker training quota for
 * that instance type (spot or on-demand) is above zero. New accounts often hold 0 for spot training
 * ("ml.g5.xlarge for spot training job usage"), and CreateTrainingJob would then fail with
 * ResourceLimitExceeded after the whole dataset was built.
 *
 * The quota codes (L-...) differ per quota and are not derivable from the instance type, so the quotas are
 * found by name in ListServiceQuotas (applied values) and, for quotas never adjusted, in
 * ListAWSDefaultServiceQuotas. Where the account does not let us read quotas (no permission, service not
 * available), the check is skipped with a recorded warning: it is a guard, never a gate of its own.
 */
import {
  AccessDeniedException,
  NoSuchResourceException,
  paginateListAWSDefaultServiceQuotas,
  paginateListServiceQuotas,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { formatPlanEntry, type InstancePlanEntry } from '../../contracts/instance-plan';
import { InstanceQuotaError } from '../../contracts/errors';
import { rethrowThrottling } from './throttling';
import type { QuotaReading } from '../../contracts/instance-plan';

export const SAGEMAKER_SERVICE_CODE = 'sagemaker';

/** SageMaker's quota names for training instances. */
export const trainingQuotaName = (entry: InstancePlanEntry): string =>
  `${entry.instanceType} for ${entry.spot ? 'spot training job usage' : 'training job usage'}`;

export interface QuotaCheck {
  /** The plan entries the account can run, in order. */
  plan: InstancePlanEntry[];
  quotas: QuotaReading[];
  warnings: string[];
}

export const requestIncreaseCommand = (quotaCode: string, region: string, instances = 1): string =>
  `aws service-quotas request-service-quota-increase --service-code ${SAGEMAKER_SERVICE_CODE} --quota-code ${quotaCode} --desired-value ${instances} --region ${region}`;

/** Quota name -> {code, value}, applied values over defaults. */
const readQuotas = async (
  client: ServiceQuotasClient,
  names: ReadonlySet<string>,
): Promise<Map<string, { code: string; value: number }>> => {
  const found = new Map<string, { code: string; value: number }>();
  const collect = (
    quotas: { QuotaName?: string | undefined; QuotaCode?: string | undefined; Value?: number | undefined }[] | undefined,
  ): void => {
    for (const quota of quotas ?? []) {
      if (quota.QuotaName === undefined || quota.QuotaCode === undefined || quota.Value === undefined) continue;
      if (names.has(quota.QuotaName) && !found.has(quota.QuotaName))
        found.set(quota.QuotaName, { code: quota.QuotaCode, value: quota.Value });
    }
  };
  for await (const page of paginateListServiceQuotas({ client }, { ServiceCode: SAGEMAKER_SERVICE_CODE })) collect(page.Quotas);
  if ([...names].some((name) => !found.has(name))) {
    for await (const page of paginateListAWSDefaultServiceQuotas({ client }, { ServiceCode: SAGEMAKER_SERVICE_CODE })) collect(page.Quotas);
  }
  return found;
};

export const checkInstanceQuotas = async (
  client: ServiceQuotasClient,
  params: { plan: readonly InstancePlanEntry[]; region: string; instanceCount?: number | undefined },
): Promise<QuotaCheck> => {
  // A job of `instanceCount` instances (setting instanceCount) needs at least that quota.
  const instances = params.instanceCount ?? 1;
  const names = new Set(params.plan.map(trainingQuotaName));
  let found: Map<string, { code: string; value: number }>;
  try {
    found = await readQuotas(client, names);
  } catch (error) {
    rethrowThrottling(error, 'Service Quotas');
    if (error instanceof AccessDeniedException || error instanceof NoSuchResourceException) {
      return {
        plan: [...params.plan],
        quotas: [],
        warnings: [
          `SageMaker training quotas not checked (${error.name}: ${error.message}); a zero quota will show as ResourceLimitExceeded at CreateTrainingJob`,
        ],
      };
    }
    throw error;
  }
  const warnings: string[] = [];
  const quotas: QuotaReading[] = [];
  const zero: { entry: InstancePlanEntry; value: number; command: string }[] = [];
  const short = instances === 1 ? '0' : `below ${instances} (instanceCount, instances per job)`;
  const plan = params.plan.filter((entry) => {
    const quotaName = trainingQuotaName(entry);
    const quota = found.get(quotaName);
    if (quota === undefined) {
      warnings.push(`Quota "${quotaName}" not found in Service Quotas; ${formatPlanEntry(entry)} not checked`);
      return true;
    }
    quotas.push({ entry: formatPlanEntry(entry), quotaName, quotaCode: quota.code, value: quota.value });
    if (quota.value >= instances) return true;
    zero.push({ entry, value: quota.value, command: requestIncreaseCommand(quota.code, params.region, instances) });
    return false;
  });
  if (plan.length === 0) {
    throw new InstanceQuotaError(
      `The account's SageMaker quota is ${short} for every entry of the instance plan (${params.plan.map(formatPlanEntry).join(', ')}): nothing was OCR'd or trained. Request a quota (approval can take a day), or plan an instance type the account has quota for (setting instanceType/instanceFallbacks):\n  ${zero.map((z) => z.command).join('\n  ')}`,
    );
  }
  for (const { entry, value, command } of zero) {
    warnings.push(
      `Quota "${trainingQuotaName(entry)}" is ${value}${instances === 1 ? '' : ` (the job asks for ${instances} instances)`}: ${formatPlanEntry(entry)} dropped from the instance plan; to use it: ${command}`,
    );
  }
  return { plan, quotas, warnings };
};
