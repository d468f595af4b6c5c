/** FinalizeRun's event and output. */
import * as z from 'zod';
import { priceTableSchema } from '../../contracts/prices';
import { idSchema } from '../../contracts/step-common';
import { tuningConfigSchema } from '../../contracts/tuning';

export const finalizeRunEventSchema = z.strictObject({
  runId: idSchema,
  executionName: idSchema,
  trainingJobName: idSchema,
  /**
   * Sent by the ASL's FinalizeRun Parameters and not read by the step. Kept accepted: the schema is
   * strict, so dropping it would reject the packaged state machine's event (statemachines/ owns that).
   */
  datasetFingerprint: z.string().optional(),
  /** The run's tuning job (config.tuning), null when the run trained one job per attempt; trainingJobName is then its best trial. */
  tuning: tuningConfigSchema.nullable().optional(),
  /** The run's price table (config.prices), for the final cost ledger. */
  prices: priceTableSchema,
});
export type FinalizeRunEvent = z.infer<typeof finalizeRunEventSchema>;

/** FinalizeRun's output (`$.outcome`): the execution's output when the run COMPLETED. */
export const runOutcomeSchema = z.strictObject({
  /**
   * STOPPED: the job ended Stopped after a stop request on the run (`doctrain stop`); BUDGET_EXCEEDED: the
   * poll loop stopped it because the projected cost passed the run's budget; FAILED: any other non-completion.
   */
  status: z.enum(['COMPLETED', 'FAILED', 'STOPPED', 'BUDGET_EXCEEDED']),
  trainingJobStatus: z.string(),
  failureReason: z.string().optional(),
  metrics: z.record(z.string(), z.number()),
  modelArtifactUri: z.string().optional(),
});
export type RunOutcome = z.infer<typeof runOutcomeSchema>;
