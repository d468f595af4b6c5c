/**
 * A model lineage (docs/CONTRACTS.md section 6): every run of one `modelName`, its champion (the model to
 * use) and the append-only history of what changed it. In the runs table beside the run records:
 *
 * ```
 * pk = MODEL#<modelName>, sk = LINEAGE                  the champion pointer, the champions before it, the last COMPLETED run
 * pk = MODEL#<modelName>, sk = HISTORY#<at>#<runId>     one promotion decision, forced promotion or rollback
 * ```
 * The pointer is written with a condition on its `version` (src/status/lineage-store.ts), so two runs
 * finishing at once cannot both become champion: the second write fails and that run is rejected as
 * superseded. Parsed with these schemas, never cast.
 */
import * as z from 'zod';

export const lineagePk = (modelName: string): string => `MODEL#${modelName}`;
export const LINEAGE_SK = 'LINEAGE';
export const lineageHistorySk = (at: string, runId: string): string => `HISTORY#${at}#${runId}`;
export const LINEAGE_HISTORY_PREFIX = 'HISTORY#';
/** Champions kept for `doctrain rollback` (older ones stay in the history). */
export const MAX_PREVIOUS_CHAMPIONS = 20;

/** A model's scores as the promotion rule reads them: entity F1 and each field's exact-match share. */
export const modelScoresSchema = z.strictObject({
  entityF1: z.number(),
  fields: z.record(z.string(), z.number()),
});
export type ModelScores = z.infer<typeof modelScoresSchema>;

/** A model of the lineage: the run that trained it, its artifact, its fingerprint and its own scores. */
export const lineageModelSchema = z.strictObject({
  runId: z.string().min(1),
  modelArtifactUri: z.string().min(1),
  /** The run's training fingerprint (src/retrain/fingerprint.ts). */
  fingerprint: z.string().min(1),
  /** Its scores on its own run's validation documents. */
  scores: modelScoresSchema,
  /** When it became champion (each time: a rollback makes it champion again). */
  since: z.string().min(1),
  modelPackageArn: z.string().optional(),
});
export type LineageModel = z.infer<typeof lineageModelSchema>;

export const lineageItemSchema = z.looseObject({
  pk: z.string().min(1),
  sk: z.literal(LINEAGE_SK),
  modelName: z.string().min(1),
  /** Grows by one on every champion change; the conditional write compares it. */
  version: z.number().int().min(0),
  champion: lineageModelSchema.nullable(),
  /** Earlier champions, newest last: what `doctrain rollback` restores. */
  previous: z.array(lineageModelSchema),
  /** The lineage's last COMPLETED run (promoted or not): an unchanged retrain of it is skipped too. */
  lastCompleted: z.strictObject({ runId: z.string().min(1), fingerprint: z.string().min(1), at: z.string().min(1) }).optional(),
  updatedAt: z.string().min(1),
});
export type LineageItem = z.infer<typeof lineageItemSchema>;

export const LINEAGE_ACTIONS = ['promoted', 'rejected', 'forced', 'rolled-back'] as const;
export type LineageAction = (typeof LINEAGE_ACTIONS)[number];

/** One entry of the lineage's history (append-only). */
export const lineageHistoryItemSchema = z.looseObject({
  pk: z.string().min(1),
  sk: z.string().startsWith(LINEAGE_HISTORY_PREFIX),
  at: z.string().min(1),
  action: z.enum(LINEAGE_ACTIONS),
  runId: z.string().min(1),
  /** Who: the pipeline (`pipeline`) or the person/role of `doctrain promote|rollback`. */
  by: z.string().min(1),
  reason: z.string(),
  championBefore: z.string().nullable(),
  championAfter: z.string().nullable(),
});
export type LineageHistoryItem = z.infer<typeof lineageHistoryItemSchema>;

/** Why a challenger was promoted or not (src/retrain/promotion.ts decidePromotion). */
export const PROMOTION_RULES = [
  /** The lineage had no champion: the first model is promoted. */
  'first',
  /** Better entity F1 by the margin and no field beyond the tolerance. */
  'better',
  /** `doctrain promote --force`. */
  'forced',
  'not-better',
  'field-regression',
  /** The trainer could not score the champion on this run's validation documents (labels changed, unreadable artifact). */
  'not-comparable',
  /** Another run became champion while this one was decided (the conditional write lost). */
  'superseded',
] as const;
export type PromotionRule = (typeof PROMOTION_RULES)[number];

/** The run record's `promotion`: the decision and the figures that made it. */
export const promotionSchema = z.strictObject({
  decision: z.enum(['promoted', 'rejected']),
  rule: z.enum(PROMOTION_RULES),
  reason: z.string().min(1),
  margin: z.number(),
  tolerance: z.number(),
  challenger: modelScoresSchema,
  /** The champion's scores on this run's validation documents (the trainer's champion_* metrics), or null: none to compare. */
  champion: modelScoresSchema
    .extend({ runId: z.string().min(1) })
    .strict()
    .nullable(),
  /** challenger - champion exact-match per field the two share. */
  fieldDeltas: z.record(z.string(), z.number()),
  /** Fields whose exact-match dropped by more than the tolerance. */
  regressions: z.array(z.string()),
  championBefore: z.string().nullable(),
  championAfter: z.string().nullable(),
  modelPackageArn: z.string().optional(),
  decidedAt: z.string().min(1),
});
export type Promotion = z.infer<typeof promotionSchema>;
