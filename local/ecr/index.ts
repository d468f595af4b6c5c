/**
 * Local Amazon ECR, as much of it as pre-flight uses: DescribeImages on the AWS JSON 1.1 protocol, so an
 * unmodified `ECRClient` at its endpoint (local/clients.ts) talks to it. It holds image records (repository, tag,
 * digest), not layers: the local SageMaker runs the trainer from the working tree (or a local docker image),
 * and `localReference` maps a pinned `repo@sha256:...` back to the tag docker knows.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { JsonProtocolError, requestParser, startJsonProtocolServer, type LocalServer } from '../http/json-protocol-server';

export interface LocalImage {
  repository: string;
  tag: string;
  /** sha256:<64 hex>. */
  digest: string;
}

export interface LocalEcr extends LocalServer {
  /** Pushes (or re-points) `repository:tag`. */
  putImage(image: LocalImage): void;
  /** Deletes `repository:tag` (a missing image, as after a fresh `sls deploy`). */
  deleteImage(repository: string, tag: string): void;
  images(): LocalImage[];
  /** `repo@sha256:...` of a local image -> `repo:tag` (for docker, which knows local images by tag). */
  localReference(image: string): string;
}

const parseRequest = requestParser('InvalidParameterException');

/** The DescribeImages members the emulator reads (ECR's model: repositoryName required, imageIds optional). */
const describeImagesSchema = z.looseObject({
  repositoryName: z.string().min(1),
  imageIds: z.array(z.looseObject({ imageTag: z.string().nullish(), imageDigest: z.string().nullish() })).nullish(),
});

/**
 * A content digest of the trainer's sources (what a `docker build` of training-image/ would be built
 * from), so the local "pushed" image changes digest when the trainer changes, as a real push would.
 */
export const trainerSourceDigest = async (trainerDir: string): Promise<string> => {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === '__pycache__' || entry.name === 'tests' || entry.name === 'bench') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        hash
          .update(path.relative(trainerDir, full))
          .update('\0')
          .update(await readFile(full))
          .update('\0');
    }
  };
  await walk(trainerDir);
  return `sha256:${hash.digest('hex')}`;
};

export const startLocalEcr = async (options: { port?: number; account?: string; images?: LocalImage[] } = {}): Promise<LocalEcr> => {
  const account = options.account ?? '000000000000';
  const images: LocalImage[] = [...(options.images ?? [])];
  const repositories = new Set(images.map((image) => image.repository));
  const detail = (repository: string, digest: string) => ({
    registryId: account,
    repositoryName: repository,
    imageDigest: digest,
    imageTags: images.filter((i) => i.repository === repository && i.digest === digest).map((i) => i.tag),
    imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  });
  const server = await startJsonProtocolServer({
    targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
    ...(options.port === undefined ? {} : { port: options.port }),
    handlers: {
      DescribeImages: (input) => {
        const request = parseRequest(describeImagesSchema, input);
        const repository = request.repositoryName;
        if (!repositories.has(repository)) {
          throw new JsonProtocolError(
            'RepositoryNotFoundException',
            `The repository with name '${repository}' does not exist in the registry with id '${account}'`,
          );
        }
        const ids = request.imageIds ?? undefined;
        if (ids === undefined) {
          const digests = [...new Set(images.filter((i) => i.repository === repository).map((i) => i.digest))];
          return { imageDetails: digests.map((digest) => detail(repository, digest)) };
        }
        return {
          imageDetails: ids.map((id) => {
            const tag = id.imageTag ?? undefined;
            const digest = id.imageDigest ?? undefined;
            const found = images.find(
              (i) => i.repository === repository && (tag === undefined || i.tag === tag) && (digest === undefined || i.digest === digest),
            );
            if (found === undefined) {
              throw new JsonProtocolError(
                'ImageNotFoundException',
                `The image with imageId {imageDigest:'${digest ?? 'null'}', imageTag:'${tag ?? 'null'}'} does not exist within the repository with name '${repository}' in the registry with id '${account}'`,
              );
            }
            return detail(repository, found.digest);
          }),
        };
      },
    },
  });
  return {
    ...server,
    putImage: (image) => {
      const at = images.findIndex((i) => i.repository === image.repository && i.tag === image.tag);
      if (at >= 0) images.splice(at, 1);
      images.push(image);
      repositories.add(image.repository);
    },
    deleteImage: (repository, tag) => {
      const at = images.findIndex((i) => i.repository === repository && i.tag === tag);
      if (at >= 0) images.splice(at, 1);
    },
    images: () => images.map((image) => ({ ...image })),
    localReference: (image) => {
      const [name = '', digest] = image.split('@', 2);
      if (digest === undefined) return image;
      const repository = name.slice(name.indexOf('/') + 1);
      const found = images.find((i) => i.digest === digest && (i.repository === name || i.repository === repository));
      return found === undefined ? image : `${name}:${found.tag}`;
    },
  };
};
