/**
 * What a handler module builds at module scope from its function's environment, as Lambda runs it
 * (`export const handler = createXHandler(xDepsFromEnv(process.env))`): AWS clients from the SDK's own
 * environment lookup (region, credentials, AWS_ENDPOINT_URL_<SERVICE>), Logger and Metrics, and the
 * deployment settings. The settings are parsed on first use, not on import: a module imported only for
 * its factory (the local runtime builds every handler with its own clients and settings) never needs
 * the environment's.
 */
import { readDeploymentSettings } from '../steps/validate-input/step';
import type { DeploymentSettings } from '../contracts/settings';

export type LambdaEnvironment = Readonly<Record<string, string | undefined>>;

/** The deployment settings of `env`, parsed once, on first use; a bad environment fails the invocation, naming the variable. */
export const deploymentSettingsFromEnv = (env: LambdaEnvironment): (() => DeploymentSettings) => {
  let settings: DeploymentSettings | undefined;
  return () => (settings ??= readDeploymentSettings(env));
};
