/** Preflight: the training image is in ECR (resolved to its digest) and the instance plan has quota, before any OCR. */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { createEcrClient } from '../../src/aws/ecr-client';
import { createServiceQuotasClient } from '../../src/aws/service-quotas-client';
import type { DeploymentSettings } from '../../src/contracts/settings';
import { preflightEventSchema } from '../../src/steps/preflight/schema';
import { defineHandler } from '../../src/lambda/handler';
import { observabilityFromEnv, type Observability } from '../../src/lambda/observability';
import { deploymentSettingsFromEnv, type LambdaEnvironment } from '../../src/lambda/wiring';
import { runPreflight } from '../../src/steps/preflight/step';

export interface PreflightDeps extends Observability {
  ecr: ECRClient;
  serviceQuotas: ServiceQuotasClient;
  /** The region the image and quotas are looked up in is AWS_REGION of the deployment settings. */
  settings: () => DeploymentSettings;
}

export const createPreflightHandler = (deps: PreflightDeps) =>
  defineHandler(
    {
      name: 'Preflight',
      eventSchema: preflightEventSchema,
      run: (event) => runPreflight({ ecr: deps.ecr, serviceQuotas: deps.serviceQuotas }, { ...event, region: deps.settings().AWS_REGION }),
    },
    deps,
  );

export const preflightDepsFromEnv = (env: LambdaEnvironment): PreflightDeps => ({
  ecr: createEcrClient(),
  serviceQuotas: createServiceQuotasClient(),
  settings: deploymentSettingsFromEnv(env),
  ...observabilityFromEnv(env),
});

export const handler = createPreflightHandler(preflightDepsFromEnv(process.env));
