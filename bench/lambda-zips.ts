/**
 * The Lambda zips that `sls package` writes, as the deployed stack sees them: which zip belongs to which
 * function (from the packaged CloudFormation template), what each zip holds, and which AWS SDK clients a
 * bundle carries. Shared by bench/lambdas.ts and test/unit/template/package-after-invoke.test.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import yauzl from 'yauzl';

const templateSchema = z.object({
  Resources: z.record(z.string(), z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).optional() })),
});

const functionPropertiesSchema = z.object({
  Handler: z.string().regex(/^[\w/.-]+\.\w+$/),
  Code: z.object({ S3Key: z.string().endsWith('.zip') }),
});

export interface PackagedLambda {
  /** The function's key in serverless.yml (`ocrBatch`), as the zip is named. */
  readonly functionName: string;
  readonly logicalId: string;
  readonly zipPath: string;
  readonly zipBytes: number;
  readonly entries: readonly string[];
  /** The file the Lambda runtime loads (`functions/ocr-batch/handler`), without its extension. */
  readonly handlerModule: string;
}

/** The entry names of a zip (stored uncompressed in its central directory). */
export const zipEntries = async (zipPath: string): Promise<string[]> => {
  const zip = await yauzl.openPromise(zipPath);
  const names: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) names.push(entry.fileName);
  } finally {
    zip.close();
  }
  return names;
};

/** One entry's content, decompressed. */
export const zipEntryBytes = async (zipPath: string, name: string): Promise<Buffer> => {
  const zip = await yauzl.openPromise(zipPath);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== name) continue;
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
  } finally {
    zip.close();
  }
  throw new Error(`${zipPath} has no entry ${name}`);
};

/** Every function of a `sls package` output folder (`--package DIR` or `.serverless/`), with its zip. */
export const readPackagedLambdas = async (packageDir: string): Promise<PackagedLambda[]> => {
  const templateFile = path.join(packageDir, 'cloudformation-template-update-stack.json');
  const template = templateSchema.parse(JSON.parse(await readFile(templateFile, 'utf8')));
  const lambdas: PackagedLambda[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const { Handler, Code } = functionPropertiesSchema.parse(resource.Properties);
    const zipName = path.posix.basename(Code.S3Key);
    const zipPath = path.join(packageDir, zipName);
    lambdas.push({
      functionName: zipName.slice(0, -'.zip'.length),
      logicalId,
      zipPath,
      zipBytes: (await stat(zipPath)).size,
      entries: await zipEntries(zipPath),
      handlerModule: Handler.slice(0, Handler.lastIndexOf('.')),
    });
  }
  return lambdas.sort((a, b) => a.functionName.localeCompare(b.functionName));
};

/**
 * The AWS SDK v3 clients a bundle holds, by the `serviceId` each client's runtime config defaults to
 * (`serviceId: config?.serviceId ?? "SageMaker"`, minified or not): one per client package bundled.
 */
export const sdkServiceIds = (code: string): string[] => {
  const ids = new Set<string>();
  for (const match of code.matchAll(/serviceId\s*:\s*[\w$]+\?\.serviceId\s*\?\?\s*"([^"]+)"/g)) {
    if (match[1] !== undefined) ids.add(match[1]);
  }
  return [...ids].sort();
};

/**
 * The clients the SDK's default credential chain bundles into every client (SSO, web identity, login):
 * not chosen by a function, present wherever one client is.
 */
export const CREDENTIAL_CHAIN_SERVICE_IDS: readonly string[] = ['SSO', 'SSO OIDC', 'STS', 'Signin'];
