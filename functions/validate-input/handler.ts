/** ValidateInput: the first state. Rejects a bad execution input before anything costs money. */
import { z } from 'zod';
import { resolveRunConfig } from '../../src/config/run-config';
import type { DeploymentSettings } from '../../src/config/settings';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import { deploymentSettingsFromEnv, type LambdaEnvironment } from '../../src/lambda/wiring';

const eventSchema = z.object({ input: z.unknown(), executionName: z.string().min(1) });

export interface ValidateInputDeps extends Observability {
  settings: () => DeploymentSettings;
}

export const createValidateInputHandler = (deps: ValidateInputDeps) =>
  defineHandler(
    {
      name: 'ValidateInput',
      eventSchema,
      run: (event) => ({ config: resolveRunConfig(deps.settings(), event.input, event.executionName) }),
    },
    deps,
  );

export const validateInputDepsFromEnv = (env: LambdaEnvironment): ValidateInputDeps => ({
  settings: deploymentSettingsFromEnv(env),
  ...observabilityFromEnv(env),
});

export const handler = createValidateInputHandler(validateInputDepsFromEnv(process.env));
