/**
 * Request validation the way AWS's JSON services answer it: zod schemas built from a service model's
 * lengths, ranges, patterns and enums, and a parser whose refusal is the services' own
 * `ValidationException` message ("1 validation error detected: Value 'x' at 'a.b' failed to satisfy
 * constraint: ..."). The local SageMaker and EventBridge both validate with these.
 */
import { z } from 'zod';
import { JsonProtocolError } from './json-protocol-server';

export const NOT_NULL = 'Member must not be null';

export const validationError = (message: string): JsonProtocolError => new JsonProtocolError('ValidationException', message);

/** The constraint message of a `pattern`: the regex's source, or the model's spelling of it. */
export const patternMessage = (regex: RegExp | string): string =>
  `Member must satisfy regular expression pattern: ${typeof regex === 'string' ? regex : regex.source}`;

/** Absent: "must not be null"; another type: "must be <what>". */
export const typeError = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined || issue.input === null ? NOT_NULL : `Member must be ${what}`;

/** The services' messages for a broken bound: one for each side. */
const atLeast = (what: 'length' | 'value', min: number): string => `Member must have ${what} greater than or equal to ${min}`;
const atMost = (what: 'length' | 'value', max: number): string => `Member must have ${what} less than or equal to ${max}`;

/** A string member with the model's length bounds. */
export const member = (max: number, min = 1) =>
  z
    .string({ error: typeError('a string') })
    .min(min, atLeast('length', min))
    .max(max, atMost('length', max));

/**
 * A string member with the model's length bounds and pattern. `model` is the pattern as the service
 * model writes it (the message quotes it); it is matched whole, as the services' validators do, with
 * Unicode property classes (`\p{L}`). `js` is the JavaScript spelling where the model's does not compile
 * as JavaScript (e.g. Java's quantified `$`).
 */
export const patterned = (max: number, min: number, model: string, js = model) =>
  member(max, min).regex(new RegExp(`^(?:${js})$`, 'u'), patternMessage(model));

/** An enum member, refused with the service's message naming the allowed values. */
export const enumMember = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `Member must satisfy enum value set: [${values.join(', ')}]` });

export const int = (min: number, max: number) =>
  z
    .number({ error: typeError('a number') })
    .int('Member must be an integer')
    .min(min, atLeast('value', min))
    .max(max, atMost('value', max));

/** A structure member; members not in `shape` are kept (the emulators echo what they do not read). */
export const object = <S extends z.core.$ZodLooseShape>(shape: S) => z.looseObject(shape, { error: typeError('a structure') });

/** A list member with the model's length bounds (`max` absent: the model sets none). */
export const list = <T extends z.ZodType>(item: T, max?: number, min = 0) => {
  const bounded = z.array(item, { error: typeError('a list') }).min(min, atLeast('length', min));
  return max === undefined ? bounded : bounded.max(max, atMost('length', max));
};

/** A map of string to string: key and value schemas, and the model's bound on the number of entries. */
export const stringMap = (key: z.ZodString, value: z.ZodString, maxEntries?: number, minEntries = 0) =>
  z
    .record(key, value, { error: typeError('a map of string to string') })
    .refine((map) => Object.keys(map).length >= minEntries, atLeast('length', minEntries))
    .refine((map) => maxEntries === undefined || Object.keys(map).length <= maxEntries, atMost('length', maxEntries ?? 0));

/** The services' member path: lowerCamelCase names, list items as `<n>.member` counted from 1, user map keys as written. */
const memberPath = (path: readonly PropertyKey[], mapMembers: ReadonlySet<string>): string =>
  path
    .map((segment, index) => {
      if (typeof segment === 'number') return `${segment + 1}.member`;
      const name = String(segment);
      return mapMembers.has(String(path[index - 1])) ? name : `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
    })
    .join('.');

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );

/**
 * The parser of one service's requests: the parsed request, or a ValidationException naming the first
 * constraint the request breaks, as the services report it. `mapMembers` names the members that are
 * maps of the caller's keys (kept as written in a member path, e.g. `hyperParameters.epochs`).
 */
export const awsRequestParser =
  (mapMembers: Iterable<string> = []) =>
  <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
    const parsed = schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const [issue] = parsed.error.issues;
    const path = issue?.path ?? [];
    // A bad map key: the key is the value shown, its own constraint the one named.
    const badKey = issue?.code === 'invalid_key';
    const value = badKey ? path.at(-1) : valueAt(input, path);
    const message = (badKey ? issue.issues[0]?.message : issue?.message) ?? NOT_NULL;
    const shown = typeof value === 'string' ? `'${value}' ` : value === undefined ? 'null ' : '';
    throw validationError(
      `1 validation error detected: Value ${shown}at '${memberPath(path, new Set(mapMembers))}' failed to satisfy constraint: ${message}`,
    );
  };
