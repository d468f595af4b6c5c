import type { z } from 'zod';
import { InvalidInputError } from './errors';

/** Renders zod issues as `path.to.field: what is wrong` so the message names the bad field. */
export const describeIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${path}: ${issue.message}${keys}`;
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
