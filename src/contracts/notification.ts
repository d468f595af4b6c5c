/**
 * The run notifications (docs/CONTRACTS.md section 7): EventBridge events `source: doctrain` put on the
 * stack's bus when a run ends, one per outcome plus one for the promotion decision of a COMPLETED run.
 * Rules match them by detail-type (the stack's own rule sends every one to its SNS topic).
 */
import * as z from 'zod';
import { PROMOTION_RULES } from './lineage';
import { RUN_STATUSES } from './run-status';

export const NOTIFICATION_SOURCE = 'doctrain';

export const NOTIFICATION_DETAIL_TYPES = [
  'Run Completed',
  'Run Failed',
  'Run Skipped',
  'Run Stopped',
  'Budget Exceeded',
  'Model Promoted',
  'Promotion Rejected',
] as const;
export type NotificationDetailType = (typeof NOTIFICATION_DETAIL_TYPES)[number];

/** The event's `detail`: a summary a person can act on without opening the console. */
export const notificationDetailSchema = z.strictObject({
  schemaVersion: z.literal(1),
  runId: z.string().min(1),
  modelName: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  trigger: z.string().optional(),
  at: z.string().min(1),
  /** Why: the skip reason, the failure message, the promotion decision's reason. */
  reason: z.string().optional(),
  /** The challenger's entity F1 and exact-match share per field (val_f1, val_exact_<field>). */
  metrics: z.strictObject({ entityF1: z.number().nullable(), fields: z.record(z.string(), z.number()) }),
  champion: z.strictObject({ before: z.string().nullable(), after: z.string().nullable() }),
  promotion: z
    .strictObject({ decision: z.enum(['promoted', 'rejected']), rule: z.enum(PROMOTION_RULES), modelPackageArn: z.string().optional() })
    .optional(),
  cost: z
    .strictObject({ totalUsd: z.number(), trainingUsd: z.number(), textractPages: z.number(), spotSavingsPercent: z.number().nullable() })
    .optional(),
  /** Where to look next. */
  report: z.strictObject({
    command: z.string(),
    modelArtifactUri: z.string().optional(),
    datasetUri: z.string().optional(),
    promotionUri: z.string().optional(),
  }),
});
export type NotificationDetail = z.infer<typeof notificationDetailSchema>;
