/**
 * The execution input (StartExecution / schedule / CLI): what a run may ask for. Parsed strictly by
 * ValidateInput (src/steps/validate-input/step.ts resolves it against the deployment settings); apart from the
 * step events so that only ValidateInput loads the hyperparameter checker.
 */
import * as z from 'zod';
import { fieldNamesSchema, localeSchema } from './value-rules';
import { checkHyperparameters } from './hyperparameters';
import { instancePlanEntrySchema } from './instance-plan';
import { MIN_POLL_SECONDS } from './poll-pace';
import { G5_INSTANCE_TYPES, MAX_INSTANCE_COUNT, WARM_START_POLICIES, s3UriSchema } from './settings';
import { TRIGGERS } from './run-config';
import { tuningInputSchema } from './tuning';
import { classListSchema, taskSchema } from './task';

const hyperparameterValue = z.union([z.string(), z.number(), z.boolean()]);
const hyperparameterName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'hyperparameter names are snake_case');

/** What an execution input may say. Every key is optional; unknown keys are rejected. */
export const executionInputSchema = z
  .strictObject({
    runId: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,47}$/,
        'lowercase letters, digits and dashes, at most 48 characters (it names the SageMaker job, whose names ignore case)',
      )
      .optional(),
    trigger: z.enum(TRIGGERS).optional(),
    /**
     * The schedule time of a scheduled retrain (the EventBridge event's `time`, passed by the rule's input
     * transformer): without a runId, the run id is derived from it, so a retried delivery is the same run.
     */
    scheduledAt: z.iso.datetime({ offset: true }).optional(),
    /** What the run trains (src/contracts/task.ts); default token-classification, or classification when the documents carry class annotations. */
    task: taskSchema.optional(),
    /** Train even when the training fingerprint equals the champion's or the last COMPLETED run's (no skip). */
    force: z.boolean().optional(),
    /** The promotion rule of this run (src/retrain/promotion.ts); default the promotionMargin/fieldTolerance settings. */
    promotion: z
      .strictObject({
        margin: z.number().min(0).max(1).optional(),
        fieldTolerance: z.number().min(0).max(1).optional(),
      })
      .optional(),
    modelName: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a lowercase letter or digit, then lowercase letters, digits and dashes; at most 32 characters')
      .optional(),
    documentsPrefix: z
      .string()
      .min(1)
      .regex(/^[^/].*\/$/, 'a key prefix ending with "/" and not starting with "/" (e.g. "documents/")')
      .optional(),
    dataset: z
      .strictObject({
        validationFraction: z.number().gt(0).lt(1).optional(),
        batchSize: z.number().int().min(1).max(100).optional(),
        /** Largest share of the documents that may be quarantined before the run fails (1 = never fails). */
        maxQuarantineShare: z.number().min(0).max(1).optional(),
        /** Copy each PNG/JPEG document as its page image for the trainer's `images` channel (LayoutLMv3). */
        pageImages: z.boolean().optional(),
        /** The documents' locale (BCP 47): the day/month order of numeric dates the documents do not settle. */
        locale: localeSchema.optional(),
        /** Field names added to the value table's, per field key (`{"total": ["Endsumme"]}`). */
        fieldNames: fieldNamesSchema.optional(),
        /** Task classification: the class list, in class-id order; every document's class must be one, every one needs documents. */
        classes: classListSchema.optional(),
      })
      .optional(),
    training: z
      .strictObject({
        instanceType: z.enum(G5_INSTANCE_TYPES).optional(),
        spot: z.boolean().optional(),
        /** Instances per training job (ResourceConfig.InstanceCount); default the instanceCount setting. */
        instanceCount: z.number().int().min(1).max(MAX_INSTANCE_COUNT).optional(),
        /** The plan entries after instanceType/spot, in order ([] = no fallback); default the instanceFallbacks setting. */
        instanceFallbacks: z.array(instancePlanEntrySchema).max(7).optional(),
        /** Pin the training image to this digest (a retrain of an earlier run: its record's imageDigest). */
        imageDigest: z
          .string()
          .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>')
          .optional(),
        maxRuntimeSeconds: z
          .number()
          .int()
          .min(60)
          .max(28 * 24 * 3600)
          .optional(),
        maxWaitSeconds: z
          .number()
          .int()
          .min(60)
          .max(28 * 24 * 3600)
          .optional(),
        volumeSizeGb: z.number().int().min(1).max(512).optional(),
        /** Checked against the trainer's schema and SageMaker's limits (src/contracts/hyperparameters.ts). */
        hyperparameters: z.record(hyperparameterName, hyperparameterValue).superRefine(checkHyperparameters).optional(),
        /** `champion`: start from the lineage champion's weights (when there is one); default the warmStart setting. */
        warmStart: z.enum(WARM_START_POLICIES).optional(),
        /** A saved pretrained model (folder prefix or .tar.gz) passed to the job as its `model` channel. */
        modelChannelUri: s3UriSchema.optional(),
      })
      .optional(),
    /**
     * Hyperparameter search (./tuning.ts): the run's job is the best trial of a SageMaker tuning job over
     * these ranges instead of one training job; the best trial's model goes through the same promotion.
     */
    tuning: tuningInputSchema.optional(),
    /** Cost budget of this run in USD (null: none, whatever the stage's budgetUsd); the poll loop stops the job past it (src/cost/ledger.ts). */
    budgetUsd: z.number().positive().max(1_000_000).nullable().optional(),
    /** The poll loop's shortest wait; the floor keeps the loop inside its history budget (src/polling/schedule.ts). */
    pollSeconds: z.number().int().min(MIN_POLL_SECONDS).max(3600).optional(),
  })
  .refine((input) => input.dataset?.classes === undefined || input.task !== 'token-classification', {
    message: 'dataset.classes is the class list of task classification; the run says "task": "token-classification"',
    path: ['dataset', 'classes'],
  });
export type ExecutionInput = z.infer<typeof executionInputSchema>;
