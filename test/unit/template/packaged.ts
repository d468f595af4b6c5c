/**
 * The CloudFormation that `sls package` produces (offline, no credentials), for the dev and the prod stage,
 * and the helpers the template tests (test/unit/template/*.test.ts, one concern per file, as
 * serverless-step-functions' fixtures/<feature>/verify.test.js) read it with.
 *
 * Each stage is packaged in its own copy of the service (symlinked node_modules): serverless-esbuild
 * builds in, and afterwards deletes, `<service>/.esbuild`, which would pull the rug from under any other
 * `sls` command (an `sls invoke local` test, a developer's shell) running in the checkout at the same time.
 *
 * Packaging takes most of a minute, so it happens once for all the template test files: the result is kept
 * under `.doctrain/packaged/<hash of the service's files>/`, written by whichever file asks first (a lock
 * directory keeps the others waiting) and reused while no packaged file changes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// The functions bundle the trainer's hyperparameter schema (src/contracts/hyperparameters.ts) and its value table
// (src/contracts/value-rules.ts) from training-image/.
export const SERVICE_FILES = [
  'serverless.yml',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'statemachines',
  'functions',
  'src',
  'scripts/esbuild-plugins.cjs',
  'scripts/tidy-function-roles.cjs',
  'scripts/invoke-local-target.cjs',
  'training-image/doctrain_trainer/hyperparameters.schema.json',
  'training-image/doctrain_trainer/value-rules.json',
];
const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];
const CACHE = path.join(ROOT, '.doctrain', 'packaged');
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';

export const execFileAsync = promisify(execFile);
const SLS_ENV = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };

/** Runs `sls <args>` in `cwd`; a failure carries the command's output. */
export const sls = async (cwd: string, args: string[]): Promise<void> => {
  try {
    await execFileAsync('npx', ['sls', ...args], { cwd, timeout: 180_000, maxBuffer: 16 * 1024 * 1024, env: SLS_ENV });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`sls ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
};

/** A copy of the service in `service` (its files, and `extra` ones), node_modules symlinked. */
export const copyService = (service: string, extra: readonly string[] = []): void => {
  for (const entry of [...SERVICE_FILES, ...extra])
    if (existsSync(path.join(ROOT, entry))) cpSync(path.join(ROOT, entry), path.join(service, entry), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(service, 'node_modules'), 'dir');
};

const filesUnder = (entry: string): string[] => {
  const full = path.join(ROOT, entry);
  if (!existsSync(full)) return [];
  return statSync(full).isDirectory()
    ? readdirSync(full)
        .sort()
        .flatMap((name) => filesUnder(path.join(entry, name)))
    : [entry];
};

/** What the packages are built from: every service file's path and bytes. */
const serviceHash = (): string => {
  const hash = createHash('sha256');
  for (const file of SERVICE_FILES.flatMap(filesUnder))
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(ROOT, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
};

const packageStage = async (workDir: string, stage: Stage, out: string): Promise<void> => {
  const service = path.join(workDir, `service-${stage}`);
  copyService(service);
  await sls(service, ['package', '--stage', stage, '--region', 'us-east-1', '--package', out]);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Packages both stages into `dir` (built aside, then renamed into place, so a reader never sees half of it). */
const build = async (dir: string): Promise<void> => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'doctrain-package-'));
  try {
    const staged = path.join(workDir, 'out');
    await Promise.all(STAGES.map((stage) => packageStage(workDir, stage, path.join(staged, stage))));
    for (const stale of existsSync(CACHE) ? readdirSync(CACHE) : [])
      if (!stale.endsWith('.lock')) rmSync(path.join(CACHE, stale), { recursive: true, force: true });
    renameSync(staged, dir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
};

export interface Packaged {
  template: Template;
  /** The `--package` folder: the template, the function zips. */
  dir: string;
}

/** Both stages' packages for the service as it is now: built by the first caller, reused by the rest. */
export const packagedStages = async (): Promise<Record<Stage, Packaged>> => {
  const dir = path.join(CACHE, serviceHash());
  const lock = `${dir}.lock`;
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 600_000;
  while (!existsSync(path.join(dir, 'prod', TEMPLATE_FILE))) {
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      // Another test file is packaging: wait for its result (or for its lock to go, if it failed).
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${lock} to go: remove it if no test run is packaging`);
      await sleep(1000);
    }
    if (mine) {
      try {
        if (!existsSync(path.join(dir, 'prod', TEMPLATE_FILE))) await build(dir);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
  }
  const read = (stage: Stage): Packaged => ({
    template: JSON.parse(readFileSync(path.join(dir, stage, TEMPLATE_FILE), 'utf8')) as Template,
    dir: path.join(dir, stage),
  });
  return { dev: read('dev'), prod: read('prod') };
};

export type Json = Record<string, unknown>;
export interface Resource {
  Type: string;
  Properties: Json;
}
export interface Template {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, Json>;
}
export interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}
export interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Retry?: { ErrorEquals: string[] }[];
  Parameters?: Json;
  ItemSelector?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  OutputPath?: string | null;
  ErrorPath?: string;
  CausePath?: string;
  ItemProcessor?: { States: Record<string, State>; ProcessorConfig?: Json };
  [field: string]: unknown;
}
export interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

export const resourcesOfType = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

export const onlyResourceOfType = (template: Template, type: string): [string, Resource] => {
  const found = resourcesOfType(template, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0] as [string, Resource];
};

export const resource = (template: Template, logicalId: string): Resource => {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`template has no resource ${logicalId}`);
  return found;
};

/** `{Fn::GetAtt: [X, Arn]}` or `{Ref: X}` -> X. */
export const referencedId = (value: unknown): string | undefined => {
  const v = value as { 'Fn::GetAtt'?: unknown; Ref?: unknown } | undefined;
  if (Array.isArray(v?.['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  if (typeof v?.['Fn::GetAtt'] === 'string') return v['Fn::GetAtt'].split('.')[0];
  if (typeof v?.Ref === 'string') return v.Ref;
  return undefined;
};

/** The state machine definition, whether DefinitionString is a string, a Fn::Sub string or a Fn::Sub [string, vars]. */
export const stateMachine = (template: Template): { logicalId: string; definition: Definition; vars: Json; properties: Json } => {
  const [logicalId, machine] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
  const raw = machine.Properties['DefinitionString'] ?? machine.Properties['Definition'];
  let text: string;
  let vars: Json = {};
  if (typeof raw === 'string') text = raw;
  else if (raw && typeof raw === 'object' && 'Fn::Sub' in raw) {
    const sub = raw['Fn::Sub'];
    if (typeof sub === 'string') text = sub;
    else {
      [text, vars] = sub as [string, Json];
    }
  } else if (raw && typeof raw === 'object') {
    return { logicalId, definition: raw as Definition, vars, properties: machine.Properties };
  } else throw new Error('state machine has no definition');
  // ${...} placeholders sit inside JSON strings, so the text parses as it is.
  return { logicalId, definition: JSON.parse(text) as Definition, vars, properties: machine.Properties };
};

/** A Task's Resource as the logical id of the Lambda it invokes, when it is one of our functions. */
export const lambdaOf = (state: State, vars: Json): string | undefined => {
  const placeholder = /^\$\{([^}]+)\}$/.exec(state.Resource ?? '')?.[1];
  return placeholder === undefined ? undefined : referencedId(vars[placeholder]);
};

export const statementsOf = (role: Resource): Statement[] =>
  ((role.Properties['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );

export const actionsOf = (statement: Statement): string[] =>
  statement.Action === undefined ? [] : Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** The role a function runs with (its `Role: Fn::GetAtt`). */
export const functionRole = (template: Template, functionId: string): Resource =>
  resource(template, referencedId(resource(template, functionId).Properties['Role']) ?? '');

/**
 * One describe per stage over that stage's packaged template: `template()` inside a test is the stage's
 * template, `packaged()` its whole package (the function zips beside it).
 */
export const describeEachStage = (
  title: string,
  body: (template: () => Template, stage: Stage, packaged: () => Packaged) => void,
): void => {
  describe.each(STAGES)(`${title}: sls package --stage %s`, (stage) => {
    let stages: Record<Stage, Packaged> | undefined;
    beforeAll(async () => {
      stages = await packagedStages();
    }, 600_000);
    const packaged = (): Packaged => {
      if (stages === undefined) throw new Error('the packages are not built yet (read them inside a test)');
      return stages[stage];
    };
    body(() => packaged().template, stage, packaged);
  });
};
