/**
 * The local SageMaker model registry: model package groups and their versioned model packages, answering
 * as SageMaker does (ARNs, version numbers from 1 in each group, approval statuses, ClientToken
 * idempotency, the "does not exist" and "already exists" ValidationExceptions).
 *
 * Training jobs live in memory only, but a registry outlives its runs: it is kept in one JSON file (the
 * local SageMaker's `<workDir>/model-registry.json`), rewritten after every change, so a restarted local
 * stage keeps its registered models. The file is parsed with its schema when the registry opens.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../../src/validation';
import { validationError } from '../http/aws-validation';
import type { JsonObject } from '../http/json-protocol-server';
import { pageOf } from './pagination';
import {
  MODEL_APPROVAL_STATUSES,
  type CreateModelPackageRequest,
  type ListModelPackagesRequest,
  type UpdateModelPackageRequest,
} from './registry-requests';

const groupSchema = z.object({
  name: z.string(),
  arn: z.string(),
  description: z.string().optional(),
  /** Epoch milliseconds. */
  creationTime: z.number(),
});

const packageSchema = z.object({
  groupName: z.string(),
  version: z.int().min(1),
  arn: z.string(),
  creationTime: z.number(),
  lastModifiedTime: z.number(),
  approvalStatus: z.enum(MODEL_APPROVAL_STATUSES),
  approvalDescription: z.string().optional(),
  clientToken: z.string().optional(),
  customerMetadata: z.record(z.string(), z.string()).optional(),
  /** The members of CreateModelPackage echoed by DescribeModelPackage (InferenceSpecification, ModelMetrics, ...). */
  echo: z.record(z.string(), z.unknown()),
});
type ModelPackage = z.output<typeof packageSchema>;

/** The registry file. */
const registryFileSchema = z.object({
  groups: z.array(groupSchema),
  packages: z.array(packageSchema),
});

export const MODEL_REGISTRY_FILE = 'model-registry.json';

const epochSeconds = (ms: number): number => ms / 1000;
/** A group's key: SageMaker ARNs spell names in lower case, so names differing only in case are one group. */
const keyOf = (name: string): string => name.toLowerCase();
/** The resource name of a name or an ARN (`arn:...:model-package-group/<name>`). */
const nameOf = (arnOrName: string): string => (arnOrName.startsWith('arn:') ? arnOrName.slice(arnOrName.lastIndexOf('/') + 1) : arnOrName);
const defined = (o: Record<string, unknown>): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export class ModelRegistry {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly arnPrefix: string,
    private readonly groups: Map<string, z.output<typeof groupSchema>>,
    private readonly packages: ModelPackage[],
  ) {}

  /** Opens the registry kept in `<dir>/model-registry.json` (empty when there is none yet). */
  public static async open(options: { dir: string; region: string; account: string }): Promise<ModelRegistry> {
    const file = path.join(options.dir, MODEL_REGISTRY_FILE);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const stored = text === undefined ? { groups: [], packages: [] } : parseOrThrow(registryFileSchema, JSON.parse(text), file);
    return new ModelRegistry(
      file,
      `arn:aws:sagemaker:${options.region}:${options.account}`,
      new Map(stored.groups.map((g) => [keyOf(g.name), g])),
      stored.packages,
    );
  }

  public async createGroup(request: {
    ModelPackageGroupName: string;
    ModelPackageGroupDescription?: string | undefined;
  }): Promise<JsonObject> {
    const name = request.ModelPackageGroupName;
    const arn = `${this.arnPrefix}:model-package-group/${keyOf(name)}`;
    if (this.groups.has(keyOf(name))) throw validationError(`Model Package Group already exists: ${arn}`);
    this.groups.set(keyOf(name), {
      name,
      arn,
      ...(request.ModelPackageGroupDescription === undefined ? {} : { description: request.ModelPackageGroupDescription }),
      creationTime: Date.now(),
    });
    await this.save();
    return { ModelPackageGroupArn: arn };
  }

  public describeGroup(arnOrName: string): JsonObject {
    const group = this.group(arnOrName);
    return defined({
      ModelPackageGroupName: group.name,
      ModelPackageGroupArn: group.arn,
      ModelPackageGroupDescription: group.description,
      CreationTime: epochSeconds(group.creationTime),
      CreatedBy: {},
      ModelPackageGroupStatus: 'Completed',
    });
  }

  /** A versioned model package: the group's next version (a repeated ClientToken: the package it created). */
  public async createPackage(request: CreateModelPackageRequest): Promise<JsonObject> {
    if (request.ModelPackageGroupName === undefined) {
      throw validationError(
        request.ModelPackageName === undefined
          ? 'Either ModelPackageName or ModelPackageGroupName must be specified'
          : 'Unversioned model packages (ModelPackageName) are not supported by the local SageMaker: use ModelPackageGroupName',
      );
    }
    if (request.ModelPackageName !== undefined) {
      throw validationError('ModelPackageName and ModelPackageGroupName cannot both be specified');
    }
    const group = this.group(request.ModelPackageGroupName);
    const inGroup = this.packages.filter((p) => p.groupName === group.name);
    const repeated = request.ClientToken === undefined ? undefined : inGroup.find((p) => p.clientToken === request.ClientToken);
    if (repeated !== undefined) return { ModelPackageArn: repeated.arn };

    const version = Math.max(0, ...inGroup.map((p) => p.version)) + 1;
    const now = Date.now();
    const { ClientToken, Tags: _tags, ModelPackageGroupName: _group, ModelApprovalStatus, CustomerMetadataProperties, ...echo } = request;
    const created: ModelPackage = {
      groupName: group.name,
      version,
      arn: `${this.arnPrefix}:model-package/${keyOf(group.name)}/${version}`,
      creationTime: now,
      lastModifiedTime: now,
      approvalStatus: ModelApprovalStatus ?? 'PendingManualApproval',
      ...(ClientToken === undefined ? {} : { clientToken: ClientToken }),
      ...(CustomerMetadataProperties === undefined ? {} : { customerMetadata: CustomerMetadataProperties }),
      echo,
    };
    this.packages.push(created);
    await this.save();
    return { ModelPackageArn: created.arn };
  }

  /** By ARN or by name (`<group>/<version>`). */
  public describePackage(arnOrName: string): JsonObject {
    const found = this.package(arnOrName);
    return defined({
      ModelPackageName: found.groupName,
      ModelPackageGroupName: found.groupName,
      ModelPackageVersion: found.version,
      ModelPackageArn: found.arn,
      ...found.echo,
      CreationTime: epochSeconds(found.creationTime),
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      CertifyForMarketplace: false,
      ModelApprovalStatus: found.approvalStatus,
      ApprovalDescription: found.approvalDescription,
      CustomerMetadataProperties: found.customerMetadata,
      CreatedBy: {},
      LastModifiedTime: epochSeconds(found.lastModifiedTime),
      LastModifiedBy: {},
    });
  }

  public listPackages(request: ListModelPackagesRequest): JsonObject {
    const groupName = request.ModelPackageGroupName === undefined ? undefined : keyOf(nameOf(request.ModelPackageGroupName));
    const nameContains = request.NameContains?.toLowerCase();
    const { CreationTimeAfter: after, CreationTimeBefore: before } = request;
    const descending = (request.SortOrder ?? 'Descending') === 'Descending';
    const byName = request.SortBy === 'Name';
    const selected = this.packages
      // Every local package is versioned.
      .filter(() => request.ModelPackageType !== 'Unversioned')
      .filter((p) => groupName === undefined || keyOf(p.groupName) === groupName)
      .filter((p) => nameContains === undefined || p.groupName.toLowerCase().includes(nameContains))
      .filter((p) => request.ModelApprovalStatus === undefined || p.approvalStatus === request.ModelApprovalStatus)
      .filter((p) => after === undefined || epochSeconds(p.creationTime) > after)
      .filter((p) => before === undefined || epochSeconds(p.creationTime) < before)
      .sort((a, b) => {
        // Packages made in the same millisecond keep their version order.
        const c = byName
          ? a.groupName.localeCompare(b.groupName) || a.version - b.version
          : a.creationTime - b.creationTime || a.version - b.version;
        return descending ? -c : c;
      });
    const page = pageOf(selected, request.MaxResults ?? 10, request.NextToken);
    return defined({
      ModelPackageSummaryList: page.items.map((p) =>
        defined({
          ModelPackageName: p.groupName,
          ModelPackageGroupName: p.groupName,
          ModelPackageVersion: p.version,
          ModelPackageArn: p.arn,
          ModelPackageDescription: p.echo['ModelPackageDescription'],
          CreationTime: epochSeconds(p.creationTime),
          ModelPackageStatus: 'Completed',
          ModelApprovalStatus: p.approvalStatus,
        }),
      ),
      NextToken: page.nextToken,
    });
  }

  public async updatePackage(request: UpdateModelPackageRequest): Promise<JsonObject> {
    const found = this.package(request.ModelPackageArn);
    if (request.ModelApprovalStatus !== undefined) found.approvalStatus = request.ModelApprovalStatus;
    if (request.ApprovalDescription !== undefined) found.approvalDescription = request.ApprovalDescription;
    const metadata = { ...found.customerMetadata, ...request.CustomerMetadataProperties };
    for (const key of request.CustomerMetadataPropertiesToRemove ?? []) delete metadata[key];
    if (Object.keys(metadata).length > 0) found.customerMetadata = metadata;
    else delete found.customerMetadata;
    found.lastModifiedTime = Date.now();
    await this.save();
    return { ModelPackageArn: found.arn };
  }

  private group(arnOrName: string): z.output<typeof groupSchema> {
    const group = this.groups.get(keyOf(nameOf(arnOrName)));
    if (group === undefined) throw validationError(`ModelPackageGroup ${arnOrName} does not exist.`);
    return group;
  }

  private package(arnOrName: string): ModelPackage {
    // `<group>/<version>`, alone or after the ARN's `...:model-package/`.
    const match = /^(?:arn:[^:]+:sagemaker:[^:]*:\d{12}:model-package\/)?([^/]+)\/(\d+)$/.exec(arnOrName);
    const found =
      match === null
        ? undefined
        : this.packages.find((p) => keyOf(p.groupName) === keyOf(match[1] ?? '') && p.version === Number(match[2]));
    if (found === undefined) throw validationError(`ModelPackage ${arnOrName} does not exist.`);
    return found;
  }

  /** Writes the registry file (whole, through a temporary file: a reader never sees half of it), one write at a time. */
  private save(): Promise<void> {
    const write = async (): Promise<void> => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ groups: [...this.groups.values()], packages: this.packages }, null, 2)}\n`);
      await rename(temporary, this.file);
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }
}
