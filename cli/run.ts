/**
 * `doctrain run <folder | s3://doctrain-local/prefix/>`: the whole pipeline on your own documents, on
 * the embedded local runtime with a persistent local stage: DynamoDB (dynalite) on disk and S3 (s3rver)
 * in `.doctrain/stages/<stage>/`, so run records, uploads and the OCR cache outlive the command (a
 * second run of unchanged documents hits the OCR cache). A folder is uploaded under
 * `uploads/<folder name>/` (mirrored: objects of an earlier upload that the folder no longer has are
 * removed), either as it is (documents layout) or imported first with --format.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listKeys, parseS3Uri, putBody } from '../src/aws/s3-objects';
import { InvalidInputError } from '../src/contracts/errors';
import { uploadsPrefix } from '../src/contracts/s3-layout';
import { contentTypeFor, importFormat, s3Sink } from '../src/importers';
import { SUPPORTED_DOCUMENT_EXTENSIONS, pairDocuments } from '../src/steps/plan-batches/documents';
import { CliError } from './exit-codes';
import { asPrefix, importInto, type ImportSourceOptions } from './import';
import { runNarrated } from './pipeline-progress';
import { checkStageName, stageDir } from './target';

export interface RunFolderOptions extends ImportSourceOptions {
  root: string;
  /** A local folder (or, with --format, the file or folder the importer reads), or `s3://<bucket>/<prefix>/` in the stage's S3. */
  source: string;
  format?: string | undefined;
  stage: string;
  /** Default `<root>/.doctrain/stages/<stage>`. */
  dataDir?: string | undefined;
  /** Where a local folder is uploaded; default `uploads/<folder name>/`. */
  prefix?: string | undefined;
  hyperparameters: Record<string, string | number>;
  budgetUsd?: number | undefined;
  /** Train even when nothing changed (execution input force). */
  force?: boolean | undefined;
  modelName?: string | undefined;
}

/** Every file under `dir` as a `/`-separated relative key; hidden files (.DS_Store, .git) left out. */
const filesUnder = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((key) => !key.split('/').some((segment) => segment.startsWith('.')))
    .sort();
};

/**
 * Refuses a source with no usable document before anything starts, naming it as the user wrote it: the
 * pipeline's own pairing (PlanBatches), so what passes here is what the run will read.
 */
const checkDocuments = (keys: readonly string[], where: string, fix: string): void => {
  if (keys.length === 0) throw new CliError(`${where} is empty: ${fix}`, 'usage');
  const { documents, quarantined } = pairDocuments(keys, '');
  if (documents.length > 0) return;
  const unannotated = quarantined.filter((entry) => entry.reason.startsWith('no annotation')).length;
  const examples = quarantined
    .slice(0, 3)
    .map((entry) => `${entry.documentKey}: ${entry.reason}`)
    .join('; ');
  throw new CliError(
    `${where} has no usable document (${keys.length} file(s)${unannotated > 0 ? `, ${unannotated} document(s) without an annotation` : ''}; e.g. ${examples}): ${fix}`,
    'usage',
  );
};

const DOCUMENTS_FIX = `each document (${SUPPORTED_DOCUMENT_EXTENSIONS.join(', ')}) needs its annotation <id>.json beside it (docs/CONTRACTS.md section 1), or use --format FORMAT to import a labelling tool's output`;

const uploadFolder = async (s3: S3Client, dir: string, bucket: string, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for (const relative of await filesUnder(dir)) {
    const key = `${prefix}${relative}`;
    await putBody(s3, { bucket, key }, await readFile(path.join(dir, ...relative.split('/'))), contentTypeFor(relative));
    keys.push(key);
  }
  return keys;
};

export const runOnFolder = async (options: RunFolderOptions): Promise<number> => {
  checkStageName(options.stage);
  const fromS3 = options.source.startsWith('s3://') ? parseS3Uri(options.source) : undefined;
  if (fromS3 !== undefined && options.format !== undefined) {
    throw new InvalidInputError('--format imports local files; an s3:// prefix of the local stage is read as it is (documents layout)');
  }
  if (fromS3 === undefined) {
    if (!existsSync(options.source)) throw new CliError(`${options.source} does not exist`, 'notFound');
    if (options.format === undefined && !statSync(options.source).isDirectory()) {
      throw new InvalidInputError(
        `${options.source} is not a folder: give a folder in the documents layout, or --format FORMAT to import it`,
      );
    }
    if (options.format !== undefined)
      importFormat(options.format); // unknown formats fail before anything starts
    else checkDocuments(await filesUnder(options.source), `folder ${options.source}`, DOCUMENTS_FIX);
  }
  const dataDir = path.resolve(options.dataDir ?? stageDir(options.root, options.stage));
  console.log(`local stage "${options.stage}": ${dataDir} (kept between runs)`);
  return runNarrated({
    root: options.root,
    dataDir,
    persistent: true,
    title: `doctrain run (stage ${options.stage})`,
    runIdPrefix: 'run',
    hyperparameters: options.hyperparameters,
    budgetUsd: options.budgetUsd,
    force: options.force ?? false,
    modelName: options.modelName,
    prepare: async (pipeline, { log, phase }) => {
      const s3 = pipeline.services.clients.s3;
      const bucket = pipeline.services.bucket;
      if (fromS3 !== undefined) {
        if (fromS3.bucket !== bucket) throw new InvalidInputError(`the local stage has one bucket, ${bucket}; got s3://${fromS3.bucket}/`);
        const prefix = asPrefix(fromS3.key);
        const keys = await listKeys(s3, bucket, prefix);
        checkDocuments(keys, `s3://${bucket}/${prefix} in local stage "${options.stage}" (${dataDir})`, DOCUMENTS_FIX);
        log(`reading ${keys.length} object(s) already under s3://${bucket}/${prefix}`);
        return { documentsPrefix: prefix };
      }
      const name = path.basename(path.resolve(options.source), options.format === undefined ? '' : path.extname(options.source));
      const prefix = asPrefix(options.prefix ?? uploadsPrefix(name));
      const before = await listKeys(s3, bucket, prefix);
      const format = options.format;
      const written =
        format === undefined
          ? await phase('upload documents', () => uploadFolder(s3, options.source, bucket, prefix))
          : await phase(`import (${format}) + upload`, async () => {
              const result = await importInto(format, options.source, s3Sink(s3, bucket, prefix), options, log);
              if (result.written.length === 0) {
                throw new CliError(`nothing could be imported from ${options.source} (${format}); the reasons are above`, 'usage');
              }
              return result.written.flatMap((doc) => [`${prefix}${doc.documentKey}`, `${prefix}${doc.annotationKey}`]);
            });
      const kept = new Set(written);
      const stale = before.filter((key) => !kept.has(key));
      for (const key of stale) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      log(
        `uploaded ${written.length} file(s) to s3://${bucket}/${prefix}${stale.length > 0 ? ` (removed ${stale.length} left from an earlier upload)` : ''}`,
      );
      return { documentsPrefix: prefix, folder: options.source };
    },
  });
};
