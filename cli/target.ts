/**
 * Where a command that reads or writes run records looks (docs/CLI.md, "Where a command looks"):
 *
 *   --data-dir DIR            the local stage kept in DIR (as `doctrain run --data-dir` made it)
 *   --stage NAME              the local stage .doctrain/stages/NAME/ when that folder exists (`doctrain run
 *                             --stage NAME` makes it); otherwise the deployed stage NAME: the runs table of
 *                             the stack doctrain-NAME (`doctrain-NAME-RunsTable-*`, found by ListTables) in
 *                             the region of --region / --profile / the environment
 *   neither                   the environment: AWS, or the local AWS when AWS_ENDPOINT_URL_* point at it
 *                             (`doctrain local up`'s local.env), table --table or $DOCTRAIN_TABLE
 *
 * --table always names the table itself. --region and --profile apply to AWS only: with a local stage they
 * are a usage error rather than silently ignored.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { openStageTable } from '../local/stage-table';
import { createDynamoDocumentClient } from '../src/aws/clients';
import { RunStore } from '../src/status/run-store';
import { CliError } from './exit-codes';

export const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Where a named local stage keeps its data. */
export const stageDir = (root: string, stage: string): string => path.join(root, '.doctrain', 'stages', stage);

/** A stage name for a folder name: letters, digits, "-" and "_" only, so it can never be a path. */
export const checkStageName = (stage: string): string => {
  if (!STAGE_NAME.test(stage)) throw new CliError(`--stage must be letters, digits, "-" or "_" (at most 64), got "${stage}"`, 'usage');
  return stage;
};

export interface TargetOptions {
  stage?: string | undefined;
  dataDir?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
  table?: string | undefined;
}

/** Client settings for AWS from --region / --profile (absent: the SDK's own lookup). */
export interface AwsOptions {
  region?: string;
  profile?: string;
}

export type Target =
  | { kind: 'local'; stage: string; dataDir: string; table?: string | undefined }
  | { kind: 'aws'; stage?: string | undefined; aws: AwsOptions; table?: string | undefined };

export const awsOptionsOf = (options: { region?: string | undefined; profile?: string | undefined }): AwsOptions => ({
  ...(options.region === undefined ? {} : { region: options.region }),
  ...(options.profile === undefined ? {} : { profile: options.profile }),
});

export const resolveTarget = (root: string, options: TargetOptions): Target => {
  const stage = options.stage === undefined ? undefined : checkStageName(options.stage);
  const local = options.dataDir !== undefined || (stage !== undefined && existsSync(stageDir(root, stage)));
  if (local) {
    if (options.region !== undefined || options.profile !== undefined) {
      throw new CliError(
        `--region and --profile are for AWS; ${options.dataDir === undefined ? `"${stage}" is the local stage in ${stageDir(root, stage ?? '')}` : `--data-dir names a local stage`}`,
        'usage',
      );
    }
    return {
      kind: 'local',
      stage: stage ?? 'local',
      dataDir: path.resolve(options.dataDir ?? stageDir(root, stage ?? 'local')),
      table: options.table,
    };
  }
  return { kind: 'aws', stage, aws: awsOptionsOf(options), table: options.table };
};

/** Where AWS calls go, in words: `region eu-west-1, profile ops, endpoint http://…` ('' when nothing says). */
const awsLocation = (aws: AwsOptions): string => {
  const endpoint = process.env['AWS_ENDPOINT_URL_DYNAMODB'] ?? process.env['AWS_ENDPOINT_URL'];
  const region = aws.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  return [
    region === undefined ? undefined : `region ${region}`,
    aws.profile === undefined ? undefined : `profile ${aws.profile}`,
    endpoint === undefined ? undefined : `endpoint ${endpoint}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
};

/** A target in words, for messages: `local stage "x" (/path)`, `deployed stage "prod" (region eu-west-1)`, `AWS (...)`. */
export const describeTarget = (target: Target): string => {
  if (target.kind === 'local') return `local stage "${target.stage}" (${target.dataDir})`;
  const where = awsLocation(target.aws);
  return `${target.stage === undefined ? 'AWS' : `deployed stage "${target.stage}"`}${where === '' ? '' : ` (${where})`}`;
};

/** The runs table of the deployed stage: the one table named `doctrain-<stage>-RunsTable-*` (CloudFormation's name for it). */
const deployedRunsTable = async (db: DynamoDBDocumentClient, root: string, stage: string, aws: AwsOptions): Promise<string> => {
  const where = awsLocation(aws) || 'the default region';
  const prefix = `doctrain-${stage}-RunsTable-`;
  const names: string[] = [];
  let start: string | undefined;
  const noLocal = `no local stage "${stage}" (${stageDir(root, stage)} does not exist)`;
  const makeOne = `\`doctrain run <folder> --stage ${stage}\` makes a local one, \`sls deploy --stage ${stage}\` a deployed one`;
  do {
    const page = await db
      .send(new ListTablesCommand({ ...(start === undefined ? {} : { ExclusiveStartTableName: start }) }))
      .catch((error: unknown) => {
        if (error instanceof Error && error.message === 'Region is missing') {
          throw new CliError(`${noLocal}, and no AWS region to look for a deployed one: ${makeOne}; pass --region for AWS`, 'notFound');
        }
        throw error;
      });
    names.push(...(page.TableNames ?? []).filter((name) => name.startsWith(prefix)));
    start = page.LastEvaluatedTableName;
  } while (start !== undefined);
  if (names.length === 1 && names[0] !== undefined) return names[0];
  if (names.length === 0) {
    throw new CliError(
      `${noLocal} and no deployed stage "${stage}" in ${where} (no table ${prefix}*): ${makeOne}; or pass --region / --table`,
      'notFound',
    );
  }
  throw new CliError(`several tables of stage "${stage}" in ${where}: ${names.join(', ')}; pick one with --table`, 'usage');
};

export interface RunsTable {
  store: RunStore;
  tableName: string;
  /** Where, in words (messages name it). */
  where: string;
  close(): Promise<void>;
}

/** The AWS SDK's answer for a table that does not exist. */
const isMissingTable = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'name' in error && error.name === 'ResourceNotFoundException';

/** Opens the target's runs table; `owner` names the command to whoever else wants the local stage meanwhile. */
export const openRunsTable = async (root: string, target: Target, owner: string): Promise<RunsTable> => {
  const where = describeTarget(target);
  if (target.kind === 'local') {
    const table = await openStageTable(target.dataDir, owner);
    const tableName = target.table ?? table.tableName;
    return { store: new RunStore(table.dynamo, tableName), tableName, where, close: () => table.close() };
  }
  const db = createDynamoDocumentClient(target.aws);
  try {
    const tableName =
      target.table ??
      (target.stage === undefined ? process.env['DOCTRAIN_TABLE'] : await deployedRunsTable(db, root, target.stage, target.aws));
    if (tableName === undefined) {
      throw new CliError(
        'no runs table: pass --stage NAME (a local stage, or a deployed one), --table NAME (the stack output RunsTableName, `sls info --verbose`), or set DOCTRAIN_TABLE',
        'usage',
      );
    }
    return { store: new RunStore(db, tableName), tableName, where, close: () => Promise.resolve(db.destroy()) };
  } catch (error) {
    db.destroy();
    throw error;
  }
};

/** Runs `work` on the target's runs table and closes it; a missing table is a not-found error that names it. */
export const withRunsTable = async <T>(root: string, target: Target, owner: string, work: (table: RunsTable) => Promise<T>): Promise<T> => {
  const table = await openRunsTable(root, target, owner);
  try {
    return await work(table);
  } catch (error) {
    if (isMissingTable(error)) {
      throw new CliError(
        `table "${table.tableName}" does not exist in ${table.where}: check --table (the stack output RunsTableName, \`sls info --verbose\`), --region, or use --stage`,
        'notFound',
        { cause: error },
      );
    }
    throw error;
  } finally {
    await table.close();
  }
};
