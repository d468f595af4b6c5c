/**
 * The instance plan: the ordered list of (instance type, spot) a run's training may use. The first entry
 * is `instanceType`/`spot`; on a capacity failure (at create time or during the job) the run moves to
 * the next entry with the same checkpoint URI, so the next attempt resumes where the last one stopped.
 */
import * as z from 'zod';
import { G5_INSTANCE_TYPES, INSTANCE_PLAN_TEXT } from './settings';

export const instancePlanEntrySchema = z.strictObject({ instanceType: z.enum(G5_INSTANCE_TYPES), spot: z.boolean() });
export type InstancePlanEntry = z.infer<typeof instancePlanEntrySchema>;
/** At least one entry; the longest plan SageMaker's job names allow per run is far above this bound. */
export const instancePlanSchema = z.array(instancePlanEntrySchema).min(1).max(8);

export const formatPlanEntry = (entry: InstancePlanEntry): string => `${entry.instanceType}:${entry.spot ? 'spot' : 'on-demand'}`;

/** `ml.g5.2xlarge:spot,ml.g5.xlarge:on-demand` -> entries (the setting's format, checked by its schema). */
export const parseInstancePlanText = (text: string): InstancePlanEntry[] => {
  if (!INSTANCE_PLAN_TEXT.test(text)) throw new Error(`Not an instance plan: ${text}`);
  return text === ''
    ? []
    : text.split(',').map((item) => {
        const [instanceType, kind] = item.split(':');
        return instancePlanEntrySchema.parse({ instanceType, spot: kind === 'spot' });
      });
};

/** The first entry, then the fallbacks in order, each (type, spot) once. */
export const buildInstancePlan = (first: InstancePlanEntry, fallbacks: readonly InstancePlanEntry[]): InstancePlanEntry[] => {
  const seen = new Set<string>();
  return [first, ...fallbacks].filter((entry) => {
    const key = formatPlanEntry(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/**
 * StoppingCondition shaped exactly as SageMaker wants it: MaxWaitTimeInSeconds only with spot, and never
 * below MaxRuntimeInSeconds (SageMaker's rule). ValidateInput rejects maxWait < maxRuntime when the first
 * entry is spot; a spot fallback after an on-demand first entry waits at least the runtime.
 */
export const stoppingConditionFor = (
  spot: boolean,
  limits: { maxRuntimeSeconds: number; maxWaitSeconds: number },
): { MaxRuntimeInSeconds: number; MaxWaitTimeInSeconds?: number } =>
  spot
    ? { MaxRuntimeInSeconds: limits.maxRuntimeSeconds, MaxWaitTimeInSeconds: Math.max(limits.maxWaitSeconds, limits.maxRuntimeSeconds) }
    : { MaxRuntimeInSeconds: limits.maxRuntimeSeconds };

/** One SageMaker quota read for a plan entry. */
export const quotaReadingSchema = z.strictObject({ entry: z.string(), quotaName: z.string(), quotaCode: z.string(), value: z.number() });
export type QuotaReading = z.infer<typeof quotaReadingSchema>;
