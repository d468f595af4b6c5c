/**
 * serverless.yml and docs/CONFIGURATION.md cannot import src/contracts/settings.ts, so this test holds them to it: every
 * setting's default, its environment mapping, no unknown DOCTRAIN_* variable, and the
 * configuration table of docs/CONFIGURATION.md. Renaming or re-defaulting a setting on one side only fails here, naming it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  DEPLOYMENT_SETTINGS,
  STAGE_SETTINGS,
  TEMPLATE_ENVIRONMENT,
  TEMPLATE_SETTINGS,
  deploymentSettingsSchema,
  type SettingDefinition,
} from '../../../src/contracts/settings';
import { parseYaml } from '../../../local/serverless-project';
import { deploymentEnvironment, localSettingsEnvironment } from '../../../local/services';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const mapping = z.record(z.string(), z.unknown());
/** The parts of serverless.yml that carry settings. */
const template = z
  .object({
    custom: z.object({
      doctrain: z.object({ defaults: mapping, stages: z.record(z.string(), mapping).default({}) }),
      targets: z.record(z.string(), mapping),
    }),
    provider: z.object({ environment: mapping.default({}) }),
    functions: z.record(z.string(), z.object({ environment: mapping.optional() })),
  })
  .parse(parseYaml(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')));

const { defaults, stages } = template.custom.doctrain;
const settings = Object.entries(DEPLOYMENT_SETTINGS) as [string, SettingDefinition][];
const templateSettings = Object.entries(TEMPLATE_SETTINGS);
const stageKeys = new Set<string>([...STAGE_SETTINGS.map(({ key }) => key), ...Object.keys(TEMPLATE_SETTINGS)]);

/** Each function's environment as Lambda gets it: the provider's, overridden by the function's own. */
const functionEnvironments = Object.entries(template.functions).map(
  ([name, fn]) => [name, { ...template.provider.environment, ...fn.environment }] as const,
);

/** The rows of docs/CONFIGURATION.md's configuration table, each cell trimmed and stripped of its backticks. */
const readmeRows = (): { setting: string; env: string; defaultValue: string }[] => {
  const lines = readFileSync(path.join(ROOT, 'docs/CONFIGURATION.md'), 'utf8').split('\n');
  const header = lines.findIndex((line) => /^\|\s*Setting \(serverless\.yml\)\s*\|\s*Env\s*\|/.test(line));
  expect(header, 'docs/CONFIGURATION.md: the configuration table (header "| Setting (serverless.yml) | Env | ...")').toBeGreaterThanOrEqual(
    0,
  );
  const cells = (line: string): string[] =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1'));
  const columns = cells(lines[header] ?? '');
  const at = (name: string): number => {
    const index = columns.indexOf(name);
    expect(index, `docs/CONFIGURATION.md configuration table: column "${name}"`).toBeGreaterThanOrEqual(0);
    return index;
  };
  const [settingColumn, envColumn, defaultColumn] = [at('Setting (serverless.yml)'), at('Env'), at('Default')];
  const body: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    body.push(line);
  }
  return body.map(cells).map((row) => ({
    setting: row[settingColumn] ?? '',
    env: row[envColumn] ?? '',
    defaultValue: row[defaultColumn] ?? '',
  }));
};

describe('settings.ts against serverless.yml', () => {
  it.each(STAGE_SETTINGS.map((s) => [s.env, s] as const))(
    '%s: its key is under custom.doctrain.defaults, with the default the code applies',
    (_env, { key, setting }) => {
      // Assess
      expect(Object.keys(defaults), `custom.doctrain.defaults.${key}`).toContain(key);
      // serverless.yml hands the value over as a string; '' (the TPS quotas) parses to absent, which is
      // the code's default too (the region's quota).
      expect(setting.schema.parse(String(defaults[key])), `custom.doctrain.defaults.${key}`).toEqual(setting.default);
    },
  );

  it.each(templateSettings)('%s (used by serverless.yml only): its default is the one documented in settings.ts', (key, setting) => {
    // Assess
    expect(Object.keys(defaults)).toContain(key);
    expect(setting.schema.parse(defaults[key])).toEqual(setting.default);
  });

  it('has no key under custom.doctrain.defaults or any stage that settings.ts does not define', () => {
    // Act
    const unknown = [defaults, ...Object.values(stages)].flatMap((config) => Object.keys(config).filter((key) => !stageKeys.has(key)));
    // Assess
    expect(unknown).toEqual([]);
  });

  it.each(Object.keys(stages))('stage %s: every setting it gives parses with its definition', (stage) => {
    // Arrange
    const config = { ...defaults, ...stages[stage] };
    // Act
    const bad = [
      ...STAGE_SETTINGS.filter(({ key, setting }) => !setting.schema.safeParse(String(config[key])).success).map(({ key }) => key),
      ...templateSettings.filter(([key, setting]) => !setting.schema.safeParse(config[key]).success).map(([key]) => key),
    ];
    // Assess
    expect(bad).toEqual([]);
  });

  it.each(functionEnvironments)(
    "function %s: every setting's env var is in its environment, from the setting's source",
    (_name, environment) => {
      // Act
      const expected = Object.fromEntries(
        settings.flatMap(([env, { source }]): [string, string][] => {
          if (source.from === 'stage') return [[env, `\${self:custom.config.${source.key}}`]];
          if (source.from === 'stack') return [[env, `\${self:custom.target.${env}}`]];
          if (source.from === 'template') return [[env, source.value]];
          return [];
        }),
      );
      const runtimeSet = settings.filter(([env, { source }]) => source.from === 'runtime' && env in environment).map(([env]) => env);
      // Assess
      expect(environment).toMatchObject(expected);
      expect(runtimeSet, 'set by Lambda, never by serverless.yml').toEqual([]);
    },
  );

  it.each(Object.keys(template.custom.targets))('target %s: gives every stack setting, and nothing else named DOCTRAIN_*', (target) => {
    // Arrange
    const given = template.custom.targets[target] ?? {};
    const stackSettings = settings.filter(([, { source }]) => source.from === 'stack').map(([env]) => env);
    // Assess
    expect(Object.keys(given)).toEqual(expect.arrayContaining(stackSettings));
    expect(Object.keys(given).filter((key) => key.startsWith('DOCTRAIN_') && !stackSettings.includes(key))).toEqual([]);
  });

  it('has no DOCTRAIN_* variable in any environment that settings.ts does not define', () => {
    // Act
    const unknown = functionEnvironments.flatMap(([name, environment]) =>
      Object.keys(environment)
        .filter((env) => env.startsWith('DOCTRAIN_') && !(env in DEPLOYMENT_SETTINGS))
        .map((env) => `${name}: ${env}`),
    );
    // Assess
    expect(unknown).toEqual([]);
  });
});

describe('settings.ts against the local runtime', () => {
  it("maps each stage's config to exactly the stage settings' env vars, which parse", () => {
    // Act
    const environment = deploymentEnvironment({ ...defaults, ...stages['dev'] });
    // Assess
    expect(Object.keys(environment).sort()).toEqual(STAGE_SETTINGS.map(({ env }) => env).sort());
    const stackEnvironment = {
      DOCTRAIN_BUCKET: 'doctrain-local',
      DOCTRAIN_TABLE: 'doctrain-local-runs',
      DOCTRAIN_TRAINING_IMAGE: 'doctrain-trainer:local',
      DOCTRAIN_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::000000000000:role/doctrain-local-sagemaker',
      DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX: 'doctrain-local-',
    };
    expect(deploymentSettingsSchema.safeParse({ ...environment, ...stackEnvironment }).success).toBe(true);
  });

  it('gives the functions every setting serverless.yml gives them (not the runtime ones but the region), each parsing', () => {
    // Act
    const environment = localSettingsEnvironment({ ...defaults, ...stages['dev'] });
    // Assess
    const expected = settings.filter(([env, { source }]) => source.from !== 'runtime' || env === 'AWS_REGION').map(([env]) => env);
    expect(Object.keys(environment).sort()).toEqual(expected.sort());
    expect(environment).toMatchObject(TEMPLATE_ENVIRONMENT);
    expect(deploymentSettingsSchema.safeParse(environment).success).toBe(true);
  });
});

describe('settings.ts against the configuration table of docs/CONFIGURATION.md', () => {
  const rows = readmeRows();

  it.each(STAGE_SETTINGS.map((s) => [s.key, s] as const))('%s: a row with its env var and its default', (key, { env, setting }) => {
    // Act
    const row = rows.find((r) => r.setting === key);
    // Assess
    expect(row, `docs/CONFIGURATION.md row for ${key}`).toBeDefined();
    expect(row?.env).toBe(env);
    if (setting.default !== undefined)
      expect(row?.defaultValue).toBe(String(z.union([z.string(), z.number(), z.boolean()]).parse(setting.default)));
  });

  it.each(templateSettings)('%s: a row, with no env var', (key) => {
    // Assess
    expect(rows.find((r) => r.setting === key)?.env).toBe('—');
  });

  it('lists no setting or env var that settings.ts does not define', () => {
    // Act
    const unknown = rows.flatMap((row) => [
      ...(row.setting === '—' || stageKeys.has(row.setting) ? [] : [row.setting]),
      ...(row.env === '—' || row.env in DEPLOYMENT_SETTINGS ? [] : [row.env]),
    ]);
    // Assess
    expect(unknown).toEqual([]);
  });
});
