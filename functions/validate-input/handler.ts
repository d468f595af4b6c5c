/** ValidateInput: the first state. Rejects a bad execution input before anything costs money. */
import { readDeploymentSettings, resolveRunConfig } from '../../src/config/run-config';
import { defineHandler } from '../../src/lambda/handler';
import { validateInputEventSchema } from '../../src/contracts/step-events';

export const handler = defineHandler('ValidateInput', validateInputEventSchema, (event) => ({
  config: resolveRunConfig(readDeploymentSettings(), event.input, event.executionName),
}));
