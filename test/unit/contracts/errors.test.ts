/**
 * The error names are a contract between the code and the state machine: every name an `ErrorEquals`
 * list matches must be an error the code throws (or one Step Functions, Lambda or SageMaker raises), and
 * every error the state machine is meant to retry or catch must be matched somewhere.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as errors from '../../../src/contracts/errors';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ASL = parse(readFileSync(path.join(ROOT, 'statemachines/train-pipeline.asl.yml'), 'utf8')) as unknown;

/** Every name in every ErrorEquals list of the definition, nested Map states included. */
const matchedNames = (node: unknown, found = new Set<string>()): Set<string> => {
  if (Array.isArray(node)) for (const item of node) matchedNames(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'ErrorEquals' && Array.isArray(value)) for (const name of value) found.add(String(name));
      else matchedNames(value, found);
    }
  }
  return found;
};

/** Names other services raise: Step Functions' own, Lambda's service errors, SageMaker's exceptions. */
const foreign = (name: string): boolean => /^(States|Lambda|SageMaker)\.[A-Za-z.]+$/.test(name);

describe('error names shared by the code and the state machine', () => {
  const matched = matchedNames(ASL);

  it('matches only errors the code defines, or errors of Step Functions, Lambda and SageMaker', () => {
    const ours = [...matched].filter((name) => !foreign(name));
    expect(ours.length).toBeGreaterThan(0);
    for (const name of ours) expect(errors.ERROR_NAMES, `ErrorEquals names ${name}`).toContain(name);
  });

  it('retries or catches by name every error meant for it', () => {
    for (const name of errors.ASL_MATCHED_ERRORS) expect([...matched], name).toContain(name);
  });

  it('gives each error class the literal name it is listed under, whatever its identifier becomes', () => {
    const instances = [
      new errors.InvalidInputError('x'),
      new errors.BadDocumentError('x', 'documents/a.png'),
      new errors.ThrottlingError('x'),
      new errors.EmptyDatasetError('x'),
      new errors.QuarantineShareExceededError('x'),
      new errors.StatusRegressionError('x'),
      new errors.RunConflictError('x'),
      new errors.TrainingImageNotFoundError('x'),
      new errors.InstanceQuotaError('x'),
      new errors.InstancePlanExhaustedError('x'),
      new errors.TrainingJobRejectedError('x'),
      new errors.NotificationError('x'),
      new errors.NoChampionError('x'),
      new errors.ClassListError('x'),
    ];
    expect(instances.map((e) => e.name)).toEqual([...errors.ERROR_NAMES]);
    // A minifier renames the class, never the string: a subclass keeps the name it inherits.
    const Renamed = class extends errors.ThrottlingError {};
    expect(new Renamed('x').name).toBe('ThrottlingError');
    expect(new errors.ThrottlingError('x', { cause: 'sdk' }).cause).toBe('sdk');
  });
});
