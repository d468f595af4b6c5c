/** Preflight: the training image is in ECR (resolved to its digest) and the instance plan has quota, before any OCR. */
import { ecrClient } from '../../src/aws/ecr-client';
import { serviceQuotasClient } from '../../src/aws/service-quotas-client';
import { readDeploymentSettings } from '../../src/config/run-config';
import { preflightEventSchema } from '../../src/contracts/step-events';
import { defineHandler } from '../../src/lambda/handler';
import { runPreflight } from '../../src/preflight';

export const handler = defineHandler('Preflight', preflightEventSchema, (event) =>
  runPreflight({ ecr: ecrClient(), serviceQuotas: serviceQuotasClient() }, { ...event, region: readDeploymentSettings().AWS_REGION }),
);
