/**
 * The model registry and notification requests (SageMaker CreateModelPackageGroup and CreateModelPackage,
 * EventBridge PutEvents), each with every member the pipeline sets, validated against botocore's service
 * models (scripts/validate_aws_requests.py); and the local SageMaker and EventBridge judged by the same
 * requests: they accept what botocore accepts, and refuse (ValidationException) what it refuses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  SageMakerClient,
  type CreateModelPackageCommandInput,
  type CreateModelPackageGroupCommandInput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createS3Client } from '../../../src/aws/clients';
import { localClientConfig, localS3Config } from '../../../local/clients';
import { startLocalEventBridge, type LocalEventBridge } from '../../../local/eventbridge';
import { startLocalSageMaker, type LocalSageMaker } from '../../../local/sagemaker';
import { toJson, validate, type ApiRequest, type Json } from './botocore-validator';

const GROUP = 'doctrain-dev-models';
const RUN = 'run-20250601-0001';
const BUCKET = 'doctrain-dev-documentsbucket-1x2y3z4w5v6u';

const createGroup: CreateModelPackageGroupCommandInput = {
  ModelPackageGroupName: GROUP,
  ModelPackageGroupDescription: 'doctrain models promoted by the dev stage',
};

/** A promoted model, every member the pipeline sets. */
const createPackage: CreateModelPackageCommandInput = {
  ModelPackageGroupName: GROUP,
  ModelPackageDescription: `doctrain run ${RUN}: val_f1 0.912 (champion 0.887)`,
  InferenceSpecification: {
    Containers: [
      {
        Image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/doctrain-dev-trainer@sha256:${'0123456789abcdef'.repeat(4)}`,
        ModelDataUrl: `s3://${BUCKET}/models/${RUN}/output/model.tar.gz`,
      },
    ],
    SupportedContentTypes: ['application/json'],
    SupportedResponseMIMETypes: ['application/json'],
    SupportedRealtimeInferenceInstanceTypes: ['ml.g5.xlarge', 'ml.g5.2xlarge'],
    SupportedTransformInstanceTypes: ['ml.g5.xlarge'],
  },
  ModelApprovalStatus: 'Approved',
  ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${BUCKET}/models/${RUN}/metrics.json` } } },
  CustomerMetadataProperties: { runId: RUN, valF1: '0.912', datasetFingerprint: 'f'.repeat(64), instanceType: 'ml.g5.xlarge' },
  ClientToken: RUN,
};

/** A notification, every member the pipeline sets. */
const putEvents: PutEventsCommandInput = {
  Entries: [
    {
      Source: 'doctrain',
      DetailType: 'Model Promoted',
      Detail: JSON.stringify({ runId: RUN, modelPackageArn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/${GROUP}/1` }),
      EventBusName: 'doctrain-dev',
      Resources: [`arn:aws:sagemaker:us-east-1:123456789012:model-package/${GROUP}/1`],
      Time: new Date('2025-06-01T12:00:00Z'),
    },
    { Source: 'doctrain', DetailType: 'Run Completed', Detail: JSON.stringify({ runId: RUN, status: 'SUCCEEDED' }) },
  ],
};

const VALID: ApiRequest[] = [
  { label: 'CreateModelPackageGroup', service: 'sagemaker', operation: 'CreateModelPackageGroup', params: toJson(createGroup) },
  { label: 'CreateModelPackage', service: 'sagemaker', operation: 'CreateModelPackage', params: toJson(createPackage) },
  { label: 'PutEvents', service: 'events', operation: 'PutEvents', params: toJson(putEvents) },
];

/** Variants of the requests above that botocore refuses, each for one constraint of the model. */
const jsonObject = (value: unknown): { [key: string]: Json } => {
  const json = toJson(value);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
  return json;
};
const withPackage = (changes: Record<string, Json>): Json => ({ ...jsonObject(createPackage), ...changes });
const container = (changes: Record<string, Json>): Record<string, Json> => ({
  InferenceSpecification: { ...jsonObject(createPackage.InferenceSpecification), ...changes },
});
const event = (changes: Record<string, Json>): Json => ({
  Entries: [{ Source: 'doctrain', DetailType: 'Run Failed', Detail: '{}', ...changes }],
});
const INVALID: ApiRequest[] = [
  {
    label: 'group name pattern',
    service: 'sagemaker',
    operation: 'CreateModelPackageGroup',
    params: { ModelPackageGroupName: 'doctrain_dev' },
  },
  {
    label: 'group description control character',
    service: 'sagemaker',
    operation: 'CreateModelPackageGroup',
    params: { ModelPackageGroupName: GROUP, ModelPackageGroupDescription: 'bell \u0007' },
  },
  {
    label: 'approval status enum',
    service: 'sagemaker',
    operation: 'CreateModelPackage',
    params: withPackage({ ModelApprovalStatus: 'Accepted' }),
  },
  { label: 'client token pattern', service: 'sagemaker', operation: 'CreateModelPackage', params: withPackage({ ClientToken: 'run_1' }) },
  {
    label: 'metadata entries',
    service: 'sagemaker',
    operation: 'CreateModelPackage',
    params: withPackage({ CustomerMetadataProperties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }),
  },
  {
    label: 'model data URL pattern',
    service: 'sagemaker',
    operation: 'CreateModelPackage',
    params: withPackage(container({ Containers: [{ Image: 'img:1', ModelDataUrl: 'ftp://bucket/model.tar.gz' }] })),
  },
  {
    label: 'response MIME type pattern',
    service: 'sagemaker',
    operation: 'CreateModelPackage',
    params: withPackage(container({ SupportedResponseMIMETypes: ['json'] })),
  },
  { label: 'no containers', service: 'sagemaker', operation: 'CreateModelPackage', params: withPackage(container({ Containers: [] })) },
  {
    label: '11 entries',
    service: 'events',
    operation: 'PutEvents',
    params: { Entries: Array.from({ length: 11 }, () => ({ Source: 'doctrain', DetailType: 'Run Failed', Detail: '{}' })) },
  },
  { label: 'no entries', service: 'events', operation: 'PutEvents', params: { Entries: [] } },
  { label: 'bus name pattern', service: 'events', operation: 'PutEvents', params: event({ EventBusName: 'doctrain dev' }) },
  { label: 'resource length', service: 'events', operation: 'PutEvents', params: event({ Resources: ['r'.repeat(2049)] }) },
];

let workDir: string;
let sagemaker: LocalSageMaker;
let eventBridge: LocalEventBridge;
const s3 = createS3Client(localS3Config('http://127.0.0.1:9'));

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-registry-requests-'));
  sagemaker = await startLocalSageMaker({ s3, workDir, trainerDir: workDir, runner: 'process' });
  eventBridge = await startLocalEventBridge();
});

afterAll(async () => {
  await sagemaker?.close();
  await eventBridge?.close();
  s3.destroy();
  rmSync(workDir, { recursive: true, force: true });
});

const errorSchema = z.object({ __type: z.string(), message: z.string() });
/** The local server's answer to `params` sent as they are (the JSON botocore judged), no SDK in between. */
const postRaw = async (request: ApiRequest): Promise<{ status: number; body: unknown }> => {
  const [endpoint, prefix] = request.service === 'events' ? [eventBridge.endpoint, 'AWSEvents'] : [sagemaker.endpoint, 'SageMaker'];
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${prefix}.${request.operation}` },
    body: JSON.stringify(request.params),
  });
  return { status: response.status, body: await response.json() };
};

describe('model registry and notification requests', () => {
  it('are valid for botocore, and the local SageMaker and EventBridge accept them', async () => {
    expect(validate(VALID)).toEqual(Object.fromEntries(VALID.map((r) => [r.label, []])));
    const sm = new SageMakerClient({ ...localClientConfig(sagemaker.endpoint), maxAttempts: 1 });
    const events = new EventBridgeClient({ ...localClientConfig(eventBridge.endpoint), maxAttempts: 1 });
    try {
      await expect(sm.send(new CreateModelPackageGroupCommand(createGroup))).resolves.toMatchObject({
        ModelPackageGroupArn: expect.any(String),
      });
      await expect(sm.send(new CreateModelPackageCommand(createPackage))).resolves.toMatchObject({
        ModelPackageArn: `arn:aws:sagemaker:us-east-1:000000000000:model-package/${GROUP}/1`,
      });
      await expect(events.send(new PutEventsCommand(putEvents))).resolves.toMatchObject({ FailedEntryCount: 0 });
      expect(eventBridge.events().map((e) => e['detail-type'])).toEqual(['Model Promoted', 'Run Completed']);
    } finally {
      sm.destroy();
      events.destroy();
    }
  });

  it('that botocore refuses, the local SageMaker and EventBridge refuse too', async () => {
    const verdicts = validate(INVALID);
    for (const request of INVALID) {
      expect(verdicts[request.label], request.label).not.toEqual([]);
      const answer = await postRaw(request);
      expect({ label: request.label, status: answer.status }).toEqual({ label: request.label, status: 400 });
      expect(errorSchema.parse(answer.body)).toMatchObject({
        __type: 'ValidationException',
        message: expect.stringContaining('1 validation error detected'),
      });
    }
    expect(eventBridge.events()).toHaveLength(2);
  });
});
