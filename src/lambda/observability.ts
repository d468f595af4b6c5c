/**
 * Powertools Logger and Metrics for the handlers. On Lambda both are built once per module from the
 * function's environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE: src/contracts/settings.ts);
 * the local runtime builds its own (local/observability.ts) and hands them to the handler factories.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { DEPLOYMENT_SETTINGS } from '../contracts/settings';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

const observabilitySettingsSchema = z.object({
  POWERTOOLS_SERVICE_NAME: DEPLOYMENT_SETTINGS.POWERTOOLS_SERVICE_NAME.schema,
  POWERTOOLS_METRICS_NAMESPACE: DEPLOYMENT_SETTINGS.POWERTOOLS_METRICS_NAMESPACE.schema,
});

/** Logger and Metrics as on Lambda: JSON lines and EMF on stdout, named by the function's environment. */
export const observabilityFromEnv = (env: Readonly<Record<string, string | undefined>>): Observability => {
  const settings = observabilitySettingsSchema.parse(env);
  const logger = new Logger({ serviceName: settings.POWERTOOLS_SERVICE_NAME });
  // Metrics' own warnings (e.g. an invocation with no metric to publish) go through the same JSON logger.
  return {
    logger,
    metrics: new Metrics({ serviceName: settings.POWERTOOLS_SERVICE_NAME, namespace: settings.POWERTOOLS_METRICS_NAMESPACE, logger }),
  };
};
