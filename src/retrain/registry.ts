/**
 * The SageMaker model registry: one model package group per lineage (`<prefix><modelName>`), one versioned
 * model package per registered model, with its inference container (the artifact's own code/inference.py
 * on the AWS PyTorch inference image), its model.tar.gz, its metrics (the promotion decision as the
 * package's ModelQuality statistics) and an approval status. Idempotent: the package's ClientToken is the
 * run id and approval, so a retried registration returns the same package.
 */
import { createHash } from 'node:crypto';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  type ModelApprovalStatus,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';

/** The AWS deep learning container the model.tar.gz's code/inference.py runs in (training-image/README.md, "Serving"). */
export const defaultInferenceImage = (region: string): string =>
  `763104351884.dkr.ecr.${region}.amazonaws.com/pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker`;

export const modelPackageGroupName = (prefix: string, modelName: string): string => `${prefix}${modelName}`;

export interface ModelRegistration {
  group: string;
  modelName: string;
  runId: string;
  modelArtifactUri: string;
  inferenceImage: string;
  approval: ModelApprovalStatus;
  /** s3:// URI of the JSON the package's ModelQuality statistics point at. */
  statisticsUri: string;
  description: string;
  /** Shown with the package (CustomerMetadataProperties: string values). */
  metadata: Record<string, string>;
}

const isNotFound = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'ResourceNotFound' || (error.name === 'ValidationException' && /does not exist|not found/i.test(error.message)));

const isAlreadyExists = (error: unknown): boolean => error instanceof Error && /already exists/i.test(error.message);

/** The lineage's model package group, created on first use. */
export const ensureModelPackageGroup = async (sagemaker: SageMakerClient, group: string, modelName: string): Promise<void> => {
  try {
    await sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group }));
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await sagemaker.send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: group,
        ModelPackageGroupDescription: `doctrain model lineage ${modelName}: one package per registered model`,
      }),
    );
  } catch (error) {
    if (!isAlreadyExists(error)) throw error; // another run created it first
  }
};

/** Registers one model; returns its package ARN. */
export const registerModel = async (sagemaker: SageMakerClient, registration: ModelRegistration): Promise<string> => {
  await ensureModelPackageGroup(sagemaker, registration.group, registration.modelName);
  const created = await sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: registration.group,
      ModelPackageDescription: registration.description.slice(0, 1024),
      InferenceSpecification: {
        Containers: [
          {
            Image: registration.inferenceImage,
            ModelDataUrl: registration.modelArtifactUri,
            // The artifact carries its handler: code/inference.py (sagemaker-pytorch-inference-toolkit).
            Environment: { SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' },
          },
        ],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      },
      ModelApprovalStatus: registration.approval,
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: registration.statisticsUri } } },
      CustomerMetadataProperties: registration.metadata,
      // At most 36 of [a-zA-Z0-9-]: a hash of the run and approval (a forced promotion of a rejected package is a new one).
      ClientToken: createHash('sha256').update(`${registration.runId}:${registration.approval}`).digest('hex').slice(0, 36),
    }),
  );
  if (created.ModelPackageArn === undefined)
    throw new Error(`CreateModelPackage for run ${registration.runId} returned no ModelPackageArn`);
  return created.ModelPackageArn;
};
