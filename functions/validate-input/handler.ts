/** ValidateInput: the first state. Rejects a bad execution input before anything costs money. */
import * as z from 'zod';
import { readDeploymentSettings, resolveRunConfig } from '../../src/config/run-config';
import { defineHandler } from '../../src/lambda/handler';

const eventSchema = z.object({ input: z.unknown(), executionName: z.string().min(1) });

export const handler = defineHandler('ValidateInput', eventSchema, (event) => ({
  config: resolveRunConfig(readDeploymentSettings(), event.input, event.executionName),
}));
