/** ValidateInput's event and output (test/unit/contracts/step-events.test.ts checks them against the ASL). */
import * as z from 'zod';
import { runConfigSchema } from '../../contracts/run-config';
import { idSchema } from '../../contracts/step-common';

/** ValidateInput's event: the raw execution input (parsed by executionInputSchema, ./execution-input.ts, inside the step). */
export const validateInputEventSchema = z.object({ input: z.unknown(), executionName: idSchema });

export const validateInputOutputSchema = z.strictObject({ config: runConfigSchema });
