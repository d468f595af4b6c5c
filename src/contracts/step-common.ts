/**
 * What several steps' events and outputs are built from: the id and bucket shapes, the run's S3 objects
 * every step that works on them is told, and the error a Catch hands a state. Each step's own event and
 * output schemas live beside it, in src/steps/<step>/schema.ts.
 */
import * as z from 'zod';

export const bucketSchema = z.string().min(3);
export const idSchema = z.string().min(1);
export const count = z.number().int().min(0);

/** What every step that works on a run's S3 objects is told: where they are. */
export const runObjects = { bucket: bucketSchema, runId: idSchema, runPrefix: idSchema };

/** A Catch's error output ({Error, Cause}). */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof caughtErrorSchema>;

/** A Lambda error's Cause: JSON `{errorType, errorMessage, trace}` (a service integration's Cause is plain text). */
export const lambdaErrorCauseSchema = z.object({ errorMessage: z.string() });
