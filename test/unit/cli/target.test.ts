/** Where a command looks: a local stage folder, a deployed stage, or the environment (cli/target.ts). */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../cli/exit-codes';
import { resolveTarget } from '../../../cli/target';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'doctrain-target-'));
  await mkdir(path.join(root, '.doctrain', 'stages', 'dev'), { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveTarget', () => {
  it('a --stage whose folder exists is that local stage', () => {
    expect(resolveTarget(root, { stage: 'dev' })).toEqual({
      kind: 'local',
      stage: 'dev',
      dataDir: path.join(root, '.doctrain', 'stages', 'dev'),
      table: undefined,
    });
  });

  it('--data-dir is a local stage wherever it is', () => {
    expect(resolveTarget(root, { dataDir: 'some/where', table: 't' })).toEqual({
      kind: 'local',
      stage: 'local',
      dataDir: path.resolve('some/where'),
      table: 't',
    });
  });

  it('a --stage with no local folder is the deployed stage, with --region and --profile', () => {
    expect(resolveTarget(root, { stage: 'prod', region: 'eu-west-1', profile: 'ops' })).toEqual({
      kind: 'aws',
      stage: 'prod',
      aws: { region: 'eu-west-1', profile: 'ops' },
      table: undefined,
    });
  });

  it('no --stage is the environment', () => {
    expect(resolveTarget(root, { table: 'runs' })).toEqual({ kind: 'aws', stage: undefined, aws: {}, table: 'runs' });
  });

  it.each([
    ['--region with a local stage', { stage: 'dev', region: 'eu-west-1' }, '--region and --profile are for AWS'],
    ['a stage name that is a path', { stage: '../prod' }, '--stage must be letters, digits'],
  ])('refuses %s as a usage error', (_name, options, message) => {
    expect(() => resolveTarget(root, options)).toThrow(message);
    try {
      resolveTarget(root, options);
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({ exitCode: 2 });
    }
  });
});
