/**
 * Pre-flight, training image: the image the run would train with exists in ECR. Resolves the configured
 * tag (or a pinned digest) to `repository@sha256:...`, which CreateTrainingJob then uses, so every attempt
 * of the run and any retrain that pins the digest runs exactly these bytes, whatever the tag points to later.
 */
import { DescribeImagesCommand, ImageNotFoundException, RepositoryNotFoundException, type ECRClient } from '@aws-sdk/client-ecr';
import { TrainingImageNotFoundError } from '../../contracts/errors';
import { rethrowThrottling } from './throttling';

export interface ImageReference {
  /** `<account>.dkr.ecr.<region>.amazonaws.com`, or '' for a bare local name such as `doctrain-trainer:local`. */
  registry: string;
  /** The account id of an ECR registry host, when the host names one. */
  registryId?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * `[registry/]repository[:tag][@sha256:digest]`, docker's reference grammar reduced to what ECR holds
 * (written by hand: the grammar is three lines here, and no maintained npm package parses it without
 * pulling in a container runtime client).
 */
export const parseImageReference = (image: string): ImageReference => {
  const [name = '', digest] = image.split('@', 2);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  // A first component with a dot or a port, or `localhost`, is a registry host (docker's rule).
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : '';
  const path = hasRegistry ? name.slice(slash + 1) : name;
  const colon = path.lastIndexOf(':');
  const repository = colon < 0 ? path : path.slice(0, colon);
  const tag = colon < 0 ? undefined : path.slice(colon + 1);
  const registryId = /^(\d{12})\.dkr\.ecr\./.exec(registry)?.[1];
  return {
    registry,
    repository,
    ...(registryId === undefined ? {} : { registryId }),
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
};

const repositoryUri = (ref: ImageReference): string => (ref.registry === '' ? ref.repository : `${ref.registry}/${ref.repository}`);

/** The exact commands that build and push the trainer to the configured repository and tag. */
export const pushCommands = (ref: ImageReference, region: string): string => {
  const target = `${repositoryUri(ref)}:${ref.tag ?? 'latest'}`;
  return [
    ...(ref.registry === ''
      ? []
      : [`aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${ref.registry}`]),
    'docker build -t doctrain-trainer training-image',
    `docker tag doctrain-trainer ${target}`,
    `docker push ${target}`,
  ].join('\n  ');
};

export interface ResolvedImage {
  /** `repository@sha256:...`: what CreateTrainingJob runs. */
  image: string;
  imageDigest: string;
  /** The tag the digest was resolved from; absent when the digest was pinned. */
  imageTag?: string;
}

export const resolveTrainingImage = async (
  ecr: ECRClient,
  params: { image: string; pinnedDigest: string | null; region: string },
): Promise<ResolvedImage> => {
  const ref = parseImageReference(params.image);
  const digest = params.pinnedDigest ?? ref.digest;
  const wanted = digest !== undefined ? `${repositoryUri(ref)}@${digest}` : `${repositoryUri(ref)}:${ref.tag ?? 'latest'}`;
  let found;
  try {
    const result = await ecr.send(
      new DescribeImagesCommand({
        ...(ref.registryId === undefined ? {} : { registryId: ref.registryId }),
        repositoryName: ref.repository,
        imageIds: [digest !== undefined ? { imageDigest: digest } : { imageTag: ref.tag ?? 'latest' }],
      }),
    );
    found = result.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    rethrowThrottling(error, 'ECR DescribeImages');
    if (error instanceof RepositoryNotFoundException || error instanceof ImageNotFoundException) {
      throw new TrainingImageNotFoundError(
        digest !== undefined
          ? `Training image ${wanted} is not in ECR (${error.name}): pin a digest that \`aws ecr describe-images --repository-name ${ref.repository} --region ${params.region}\` lists, or leave imageDigest empty to use ${repositoryUri(ref)}:${ref.tag ?? 'latest'}; to push the trainer:\n  ${pushCommands(ref, params.region)}`
          : `Training image ${wanted} is not in ECR (${error.name}): nothing was OCR'd or trained. Push the trainer, then start the run again:\n  ${pushCommands(ref, params.region)}`,
        { cause: error },
      );
    }
    throw error;
  }
  if (found === undefined) {
    throw new TrainingImageNotFoundError(`ECR described no image for ${wanted}; push the trainer:\n  ${pushCommands(ref, params.region)}`);
  }
  return {
    image: `${repositoryUri(ref)}@${found}`,
    imageDigest: found,
    ...(digest === undefined ? { imageTag: ref.tag ?? 'latest' } : {}),
  };
};
