/**
 * The registry and notification requests the pipeline's own code builds (src/retrain/registry.ts,
 * src/steps/notify-run/step.ts), captured from mocked clients at their most extreme (the longest model
 * name and run id ValidateInput accepts, a long reason, every field) and validated against botocore's
 * service models (scripts/validate_aws_requests.py).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { runRecordSchema } from '../../../src/contracts/run-record';
import { defaultInferenceImage, modelPackageGroupName, registerModel } from '../../../src/retrain/registry';
import { notificationsFor } from '../../../src/steps/notify-run/step';
import { toJson, validate, type ApiRequest } from './botocore-validator';

const MODEL = 'm'.repeat(32); // the longest modelName ValidateInput accepts
const RUN = `r${'9'.repeat(47)}`; // the longest runId
const AT = '2026-12-06T12:00:00.000Z';

describe("the pipeline's registry and notification requests against botocore", () => {
  it('CreateModelPackageGroup, CreateModelPackage (a long reason, every metadata key) and PutEvents validate', async () => {
    // Prepare: capture what registerModel and NotifyRun send
    const sagemaker = mockClient(SageMakerClient);
    sagemaker
      .on(DescribeModelPackageGroupCommand)
      .rejects(Object.assign(new Error('ModelPackageGroup x does not exist.'), { name: 'ValidationException' }));
    sagemaker.on(CreateModelPackageGroupCommand).resolves({ ModelPackageGroupArn: 'arn:g' });
    sagemaker.on(CreateModelPackageCommand).resolves({ ModelPackageArn: 'arn:p' });
    await registerModel(new SageMakerClient({ region: 'eu-west-1' }), {
      group: modelPackageGroupName('doctrain-prod-', MODEL),
      modelName: MODEL,
      runId: RUN,
      modelArtifactUri: `s3://doctrain-prod-documentsbucket-abc/models/${MODEL}/doctrain-${RUN}-a9/output/model.tar.gz`,
      inferenceImage: defaultInferenceImage('eu-west-1'),
      approval: 'PendingManualApproval',
      statisticsUri: `s3://doctrain-prod-documentsbucket-abc/lineages/${MODEL}/${RUN}/promotion.json`,
      description: `doctrain run ${RUN}: promoted (better): ${'entity F1 0.9000 vs 0.8000; '.repeat(60)}`,
      metadata: {
        runId: RUN,
        fingerprint: 'f'.repeat(64),
        decision: 'promoted',
        rule: 'better',
        entityF1: '0.9000',
        championEntityF1: '0.8000',
        comparedWith: RUN,
      },
    });
    const run = runRecordSchema.parse({
      pk: `RUN#${RUN}`,
      sk: 'RUN',
      runId: RUN,
      status: 'COMPLETED',
      statusRank: 4,
      createdAt: AT,
      updatedAt: AT,
      executionName: RUN,
      modelName: MODEL,
      metrics: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`val_exact_field_${i}`, 0.5])),
    });
    const events = notificationsFor(run, RUN, 'doctrain-prod-documentsbucket-abc', AT);
    const putEvents = new PutEventsCommand({
      Entries: events.map(({ detailType, detail }) => ({
        EventBusName: 'default',
        Source: 'doctrain',
        DetailType: detailType,
        Detail: JSON.stringify(detail),
      })),
    });
    const requests: ApiRequest[] = [
      ...sagemaker.commandCalls(CreateModelPackageGroupCommand).map((call) => ({
        label: 'CreateModelPackageGroup',
        service: 'sagemaker' as const,
        operation: 'CreateModelPackageGroup',
        params: toJson(call.args[0].input),
      })),
      ...sagemaker.commandCalls(CreateModelPackageCommand).map((call) => ({
        label: 'CreateModelPackage',
        service: 'sagemaker' as const,
        operation: 'CreateModelPackage',
        params: toJson(call.args[0].input),
      })),
      { label: 'PutEvents', service: 'events', operation: 'PutEvents', params: toJson(putEvents.input) },
    ];
    // Act
    const verdicts = validate(requests);
    // Assess
    expect(requests.map((r) => r.label)).toEqual(['CreateModelPackageGroup', 'CreateModelPackage', 'PutEvents']);
    expect(verdicts).toEqual({ CreateModelPackageGroup: [], CreateModelPackage: [], PutEvents: [] });
  });
});
