import { z } from 'zod';

/** Contract 1: the annotation beside each document (`<name>.json`). */
export const ANNOTATION_SCHEMA_VERSION = 1 as const;

export const FIELD_KEY_PATTERN = /^[a-z][a-z0-9_]*$/;

export const fieldValueSchema = z.union([z.string(), z.array(z.string())]);

export const annotationSchema = z.strictObject({
  schemaVersion: z.literal(ANNOTATION_SCHEMA_VERSION),
  fields: z.record(
    z.string().regex(FIELD_KEY_PATTERN, { message: 'field keys must match ^[a-z][a-z0-9_]*$' }),
    fieldValueSchema,
  ),
});

export type FieldValue = z.infer<typeof fieldValueSchema>;
export type Annotation = z.infer<typeof annotationSchema>;
/** Field key -> value(s); arrays are repeated fields (one entity per element). */
export type Fields = Readonly<Record<string, string | readonly string[]>>;

/** `item_name` -> `ITEM_NAME`. */
export function labelForField(key: string): string {
  if (!FIELD_KEY_PATTERN.test(key)) throw new RangeError(`invalid field key: ${JSON.stringify(key)}`);
  return key.toUpperCase();
}
