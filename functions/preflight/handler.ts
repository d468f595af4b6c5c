/** Preflight: the training image is in ECR (resolved to its digest) and the instance plan has quota, before any OCR. */
import * as z from 'zod';
import { ecrClient } from '../../src/aws/ecr-client';
import { serviceQuotasClient } from '../../src/aws/service-quotas-client';
import { instancePlanSchema } from '../../src/config/instance-plan';
import { readDeploymentSettings } from '../../src/config/run-config';
import { defineHandler } from '../../src/lambda/handler';
import { runPreflight } from '../../src/preflight';

const eventSchema = z.strictObject({
  image: z.string().min(1),
  imageDigest: z.string().nullable(),
  plan: instancePlanSchema,
});

export const handler = defineHandler('Preflight', eventSchema, (event) =>
  runPreflight({ ecr: ecrClient(), serviceQuotas: serviceQuotasClient() }, { ...event, region: readDeploymentSettings().AWS_REGION }),
);
