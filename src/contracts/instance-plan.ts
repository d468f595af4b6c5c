/**
 * The instance plan: the ordered list of (instance type, spot) a run's training may use. The first entry
 * is `instanceType`/`spot`; on a capacity failure (at create time or during the job) the run moves to
 * the next entry with the same checkpoint URI, so the next attempt resumes where the last one stopped.
 */
import * as z from 'zod';
import { G5_INSTANCE_TYPES, INSTANCE_PLAN_TEXT } from './settings';

/** NVIDIA A10G GPUs per ml.g5 instance type (AWS's instance table): the trainer runs one process per GPU. */
export const GPUS_PER_INSTANCE: Readonly<Record<(typeof G5_INSTANCE_TYPES)[number], number>> = {
  'ml.g5.xlarge': 1,
  'ml.g5.2xlarge': 1,
  'ml.g5.4xlarge': 1,
  'ml.g5.8xlarge': 1,
  'ml.g5.16xlarge': 1,
  'ml.g5.12xlarge': 4,
  'ml.g5.24xlarge': 4,
  'ml.g5.48xlarge': 8,
};

/**
 * The training job's Environment for an instance type: the trainer's processes per instance (its GPUs),
 * read by the image's entrypoint (training-image/doctrain_trainer/distributed.py), which launches torchrun
 * when that times the InstanceCount is above 1.
 */
export const trainingEnvironmentSchema = z.strictObject({ DOCTRAIN_NPROC_PER_NODE: z.string().regex(/^[1-9]\d*$/) });
export type TrainingEnvironment = z.infer<typeof trainingEnvironmentSchema>;
export const trainingEnvironmentFor = (instanceType: (typeof G5_INSTANCE_TYPES)[number]): TrainingEnvironment => ({
  DOCTRAIN_NPROC_PER_NODE: String(GPUS_PER_INSTANCE[instanceType]),
});

export const instancePlanEntrySchema = z.strictObject({ instanceType: z.enum(G5_INSTANCE_TYPES), spot: z.boolean() });
export type InstancePlanEntry = z.infer<typeof instancePlanEntrySchema>;
/** At least one entry; the longest plan SageMaker's job names allow per run is far above this bound. */
export const instancePlanSchema = z.array(instancePlanEntrySchema).min(1).max(8);

export const formatPlanEntry = (entry: InstancePlanEntry): string => `${entry.instanceType}:${entry.spot ? 'spot' : 'on-demand'}`;

/**
 * The trainer's `batch_size` is the global batch, split over instances x GPUs processes (the trainer refuses
 * fewer documents per step than processes): the plan entry that runs the most processes and that count, for
 * ValidateInput to refuse such a batch size before anything costs money.
 */
export const widestEntry = (plan: readonly InstancePlanEntry[], instanceCount: number): { entry: InstancePlanEntry; processes: number } => {
  const [first, ...rest] = plan as [InstancePlanEntry, ...InstancePlanEntry[]];
  const processes = (entry: InstancePlanEntry): number => GPUS_PER_INSTANCE[entry.instanceType] * instanceCount;
  const entry = rest.reduce((widest, e) => (processes(e) > processes(widest) ? e : widest), first);
  return { entry, processes: processes(entry) };
};

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
