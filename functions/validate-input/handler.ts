/** ValidateInput: the first state. Rejects a bad execution input before anything costs money. */
import { resolveRunConfig } from '../../src/steps/validate-input/step';
import type { DeploymentSettings } from '../../src/contracts/settings';
import { validateInputEventSchema } from '../../src/steps/validate-input/schema';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import { deploymentSettingsFromEnv, type LambdaEnvironment } from '../../src/lambda/wiring';

export interface ValidateInputDeps extends Observability {
  settings: () => DeploymentSettings;
}

export const createValidateInputHandler = (deps: ValidateInputDeps) =>
  defineHandler(
    {
      name: 'ValidateInput',
      eventSchema: validateInputEventSchema,
      run: (event) => ({ config: resolveRunConfig(deps.settings(), event.input, event.executionName) }),
    },
    deps,
  );

export const validateInputDepsFromEnv = (env: LambdaEnvironment): ValidateInputDeps => ({
  settings: deploymentSettingsFromEnv(env),
  ...observabilityFromEnv(env),
});

export const handler = createValidateInputHandler(validateInputDepsFromEnv(process.env));
