/**
 * The model registry's requests (CreateModelPackageGroup, DescribeModelPackageGroup, CreateModelPackage,
 * DescribeModelPackage, ListModelPackages, UpdateModelPackage) as zod schemas with SageMaker's own
 * constraints: the lengths, patterns and enums of botocore's sagemaker service model (2017-07-24), so a
 * request the local SageMaker accepts is one SageMaker accepts. Members the local registry does not read
 * are kept as sent (loose objects) and echoed back by DescribeModelPackage.
 */
import { z } from 'zod';
import { enumMember, int, list, member, object, patterned, stringMap } from '../http/aws-validation';
import { ENTITY_NAME, entityName, mlInstanceType, nameContains } from './validate';

// The model's patterns, as it writes them (the messages quote them).
const ENTITY_DESCRIPTION = '[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*';
const ARN_OR_NAME = '(arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)';
const VERSIONED_ARN_OR_NAME = `${ARN_OR_NAME}(\\/[0-9]{1,9})?`;
const MODEL_PACKAGE_ARN = 'arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]{9,16}:[0-9]{12}:model-package/[\\S]{1,2048}';
const TAG = '([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)';
const S3_URI = '(https|s3)://([^/]+)/?(.*)';
/** CustomerMetadataKey/Value: Java's `${1,128}` (a quantified end anchor) does not compile in JavaScript; it means `$`. */
const CUSTOMER_METADATA = (max: number) => ({
  model: `([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)\${1,${max}}`,
  js: '([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)$',
});

export const MODEL_APPROVAL_STATUSES = ['Approved', 'Rejected', 'PendingManualApproval'] as const;
export type ModelApprovalStatus = (typeof MODEL_APPROVAL_STATUSES)[number];

const entityDescription = patterned(1024, 0, ENTITY_DESCRIPTION);
const arnOrName = patterned(170, 1, ARN_OR_NAME);
const approvalStatus = enumMember(MODEL_APPROVAL_STATUSES);
const metadataKey = patterned(128, 1, CUSTOMER_METADATA(128).model, CUSTOMER_METADATA(128).js);
const metadataValue = patterned(256, 1, CUSTOMER_METADATA(256).model, CUSTOMER_METADATA(256).js);
const customerMetadata = stringMap(metadataKey, metadataValue, 50, 1);
const s3Uri = patterned(1024, 0, S3_URI);
const tags = list(object({ Key: patterned(128, 1, TAG), Value: patterned(256, 0, TAG) }), 50);
const metricsSource = object({
  ContentType: patterned(256, 0, '.*'),
  ContentDigest: patterned(72, 0, '[Ss][Hh][Aa]256:[0-9a-fA-F]{64}').optional(),
  S3Uri: s3Uri,
});

export const createModelPackageGroupSchema = object({
  ModelPackageGroupName: entityName,
  ModelPackageGroupDescription: entityDescription.optional(),
  Tags: tags.optional(),
});

export const describeModelPackageGroupSchema = object({ ModelPackageGroupName: arnOrName });

export const createModelPackageSchema = object({
  ModelPackageName: entityName.optional(),
  ModelPackageGroupName: arnOrName.optional(),
  ModelPackageDescription: entityDescription.optional(),
  ModelPackageRegistrationType: enumMember(['Logged', 'Registered']).optional(),
  InferenceSpecification: object({
    Containers: list(
      object({
        ContainerHostname: patterned(63, 0, ENTITY_NAME).optional(),
        Image: patterned(255, 0, '[\\S]+').optional(),
        ImageDigest: patterned(72, 0, '[Ss][Hh][Aa]256:[0-9a-fA-F]{64}').optional(),
        ModelDataUrl: s3Uri.optional(),
        Environment: stringMap(patterned(1024, 0, '[a-zA-Z_][a-zA-Z0-9_]*'), patterned(1024, 0, '[\\S\\s]*'), 100).optional(),
        Framework: z.string().optional(),
        FrameworkVersion: patterned(10, 3, '[0-9]\\.[A-Za-z0-9.-]+').optional(),
      }),
      15,
      1,
    ),
    SupportedTransformInstanceTypes: list(mlInstanceType, undefined, 1).optional(),
    SupportedRealtimeInferenceInstanceTypes: list(mlInstanceType).optional(),
    SupportedContentTypes: list(patterned(256, 0, '.*')).optional(),
    SupportedResponseMIMETypes: list(patterned(1024, 0, '[-\\w]+\\/.+')).optional(),
  }).optional(),
  ModelApprovalStatus: approvalStatus.optional(),
  ModelMetrics: object({
    ModelQuality: object({ Statistics: metricsSource.optional(), Constraints: metricsSource.optional() }).optional(),
  }).optional(),
  CustomerMetadataProperties: customerMetadata.optional(),
  ClientToken: patterned(36, 1, '[a-zA-Z0-9-]+').optional(),
  SamplePayloadUrl: s3Uri.optional(),
  Domain: z.string().optional(),
  Task: z.string().optional(),
  Tags: tags.optional(),
});
export type CreateModelPackageRequest = z.output<typeof createModelPackageSchema>;

export const describeModelPackageSchema = object({ ModelPackageName: patterned(176, 1, VERSIONED_ARN_OR_NAME) });

/** Epoch seconds, as the JSON protocol sends timestamps. */
const timestamp = z.number({ error: 'Member must be a timestamp' });

export const listModelPackagesSchema = object({
  CreationTimeAfter: timestamp.optional(),
  CreationTimeBefore: timestamp.optional(),
  MaxResults: int(1, 100).optional(),
  NameContains: nameContains.optional(),
  ModelApprovalStatus: approvalStatus.optional(),
  ModelPackageGroupName: arnOrName.optional(),
  ModelPackageType: enumMember(['Versioned', 'Unversioned', 'Both']).optional(),
  NextToken: member(8192, 0).optional(),
  SortBy: enumMember(['Name', 'CreationTime']).optional(),
  SortOrder: enumMember(['Ascending', 'Descending']).optional(),
});
export type ListModelPackagesRequest = z.output<typeof listModelPackagesSchema>;

export const updateModelPackageSchema = object({
  ModelPackageArn: patterned(2048, 1, MODEL_PACKAGE_ARN),
  ModelApprovalStatus: approvalStatus.optional(),
  ApprovalDescription: patterned(1024, 0, '.*').optional(),
  CustomerMetadataProperties: customerMetadata.optional(),
  CustomerMetadataPropertiesToRemove: list(metadataKey).optional(),
});
export type UpdateModelPackageRequest = z.output<typeof updateModelPackageSchema>;
