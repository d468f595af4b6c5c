import type { z } from 'zod';
import { InvalidInputError } from './contracts/errors';

/**
 * Renders zod issues as `path.to.field: what is wrong` so the message names each bad field; an unknown
 * key is named with its full path, since a typo is its most likely cause.
 */
export const describeIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const names = issue.keys.map((key) => (path ? `${path}.${key}` : key));
        return `${names.join(', ')}: unknown ${names.length === 1 ? 'key' : 'keys'} (check the spelling; unknown keys are rejected)`;
      }
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');

/** Parses `value` with `schema`, throwing an InvalidInputError that names every bad field. */
export const parseOrThrow = <S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> => {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidInputError(`Invalid ${what}: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
};
