/** Preflight's event and output. */
import * as z from 'zod';
import { instancePlanSchema, quotaReadingSchema } from '../../contracts/instance-plan';
import { idSchema } from '../../contracts/step-common';

/** Preflight's event: the configured image, a digest to pin (or null), the instance plan to check. */
export const preflightEventSchema = z.strictObject({
  image: idSchema,
  imageDigest: z.string().nullable(),
  plan: instancePlanSchema,
  /** Instances per job (`config.training.instanceCount`): an entry whose quota is below it cannot run. */
  instanceCount: z.number().int().min(1).default(1),
});
export type PreflightEvent = z.infer<typeof preflightEventSchema>;

/** Preflight's output (`$.preflight`): the digest-pinned image and the plan the account has quota for. */
export const preflightResultSchema = z.strictObject({
  /** `repository@sha256:...`, what CreateTrainingJob runs. */
  image: idSchema,
  imageDigest: idSchema,
  imageTag: z.string().optional(),
  /** The instance plan with every entry the account has no quota for removed. */
  plan: instancePlanSchema,
  quotas: z.array(quotaReadingSchema),
  warnings: z.array(z.string()),
});
export type PreflightResult = z.infer<typeof preflightResultSchema>;
