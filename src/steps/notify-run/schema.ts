/** NotifyRun's event and output. */
import * as z from 'zod';
import { NOTIFICATION_DETAIL_TYPES } from '../../contracts/notification';
import { bucketSchema, idSchema } from '../../contracts/step-common';

export const notifyRunEventSchema = z.strictObject({ runId: idSchema, bucket: bucketSchema });
export type NotifyRunEvent = z.infer<typeof notifyRunEventSchema>;

export const notifyRunResultSchema = z.strictObject({ sent: z.array(z.enum(NOTIFICATION_DETAIL_TYPES)), eventIds: z.array(z.string()) });
export type NotifyRunResult = z.infer<typeof notifyRunResultSchema>;
