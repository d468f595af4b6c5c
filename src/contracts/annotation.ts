import * as z from 'zod';

/**
 * Contract 1 (docs/CONTRACTS.md): the annotation beside each document (`<name>.json`). One of four
 * kinds, exactly one per document:
 *   - `fields`: key-value fields (SROIE style), searched for among the OCR words of every page;
 *   - `boxes`:  labelled regions (Ground Truth bounding-box style), assigned to the OCR words they cover;
 *   - `words`:  labelled words (FUNSD style), matched to OCR words by position (when they carry a box)
 *               and text;
 *   - `class`:  the document's class (task classification: RVL-CDIP style, `"invoice"`), for every page.
 */
export const ANNOTATION_SCHEMA_VERSION = 1 as const;

export const FIELD_KEY_PATTERN = /^[a-z][a-z0-9_]*$/;
/** Labels of boxes and words follow the same rule as field keys: `total_amount` -> `B-TOTAL_AMOUNT`. */
export const LABEL_KEY_PATTERN = FIELD_KEY_PATTERN;
/** Class names too (`purchase_order`): they name metrics (`val_recall_<class>`) and folders of an import. */
export const CLASS_NAME_PATTERN = FIELD_KEY_PATTERN;
export const classNameSchema = z.string().regex(CLASS_NAME_PATTERN, { message: 'class names must match ^[a-z][a-z0-9_]*$' });

export const fieldValueSchema = z.union([z.string(), z.array(z.string())]);

export const fieldsSchema = z.record(
  z.string().regex(FIELD_KEY_PATTERN, { message: 'field keys must match ^[a-z][a-z0-9_]*$' }),
  fieldValueSchema,
);

const labelKeySchema = z.string().regex(LABEL_KEY_PATTERN, { message: 'labels must match ^[a-z][a-z0-9_]*$' });

/** 1-based page number; absent means page 1. */
export const pageNumberSchema = z.number().int().min(1);

const ratio = z.number().min(0).max(1);
/** Slack for the float sum `left + width` of a box drawn up to the page's edge. */
const EDGE_TOLERANCE = 1e-6;

/** A rectangle in page ratios (0..1 of the page's width and height, origin top left), as Textract writes them. */
export const pageBoxSchema = z
  .strictObject({
    left: ratio,
    top: ratio,
    width: ratio.positive(),
    height: ratio.positive(),
  })
  .refine((b) => b.left + b.width <= 1 + EDGE_TOLERANCE && b.top + b.height <= 1 + EDGE_TOLERANCE, {
    message: 'box must lie within the page (left + width <= 1 and top + height <= 1)',
  });

export const labelledBoxSchema = z.strictObject({
  label: labelKeySchema,
  page: pageNumberSchema.optional(),
  box: pageBoxSchema,
});

export const labelledWordSchema = z.strictObject({
  text: z.string().refine((text) => text.trim() !== '', { message: 'word text must not be blank' }),
  label: labelKeySchema,
  box: pageBoxSchema.optional(),
  page: pageNumberSchema.optional(),
  /**
   * Words with the same entity id form one entity (B- on its first word in reading order, I- on the
   * rest). Without ids, consecutive words of the same label form one entity.
   */
  entity: z.union([z.string().min(1), z.number().int()]).optional(),
});

const schemaVersion = z.literal(ANNOTATION_SCHEMA_VERSION);
export const fieldsAnnotationSchema = z.strictObject({ schemaVersion, fields: fieldsSchema });
export const boxesAnnotationSchema = z.strictObject({ schemaVersion, boxes: z.array(labelledBoxSchema) });
export const wordsAnnotationSchema = z.strictObject({ schemaVersion, words: z.array(labelledWordSchema) });
export const classAnnotationSchema = z.strictObject({ schemaVersion, class: classNameSchema });

const ANNOTATION_KINDS = ['fields', 'boxes', 'words', 'class'] as const;

/**
 * One object with the three kinds optional (unknown keys rejected, so errors name the bad field), then
 * exactly one kind present, which narrows it to the kind's own type.
 */
export const annotationSchema = z
  .strictObject({
    schemaVersion,
    fields: fieldsSchema.optional(),
    boxes: z.array(labelledBoxSchema).optional(),
    words: z.array(labelledWordSchema).optional(),
    class: classNameSchema.optional(),
  })
  .transform((value, ctx): FieldsAnnotation | BoxesAnnotation | WordsAnnotation | ClassAnnotation => {
    const present = ANNOTATION_KINDS.filter((kind) => value[kind] !== undefined);
    if (value.fields !== undefined && present.length === 1) return { schemaVersion: value.schemaVersion, fields: value.fields };
    if (value.boxes !== undefined && present.length === 1) return { schemaVersion: value.schemaVersion, boxes: value.boxes };
    if (value.words !== undefined && present.length === 1) return { schemaVersion: value.schemaVersion, words: value.words };
    if (value.class !== undefined && present.length === 1) return { schemaVersion: value.schemaVersion, class: value.class };
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: `an annotation needs exactly one of "fields", "boxes", "words" or "class"; it has ${present.length === 0 ? 'none' : present.map((k) => `"${k}"`).join(' and ')}`,
    });
    return z.NEVER;
  });

export type FieldValue = z.infer<typeof fieldValueSchema>;
export type PageBox = z.infer<typeof pageBoxSchema>;
export type LabelledBox = z.infer<typeof labelledBoxSchema>;
export type LabelledWord = z.infer<typeof labelledWordSchema>;
export type FieldsAnnotation = z.infer<typeof fieldsAnnotationSchema>;
export type BoxesAnnotation = z.infer<typeof boxesAnnotationSchema>;
export type WordsAnnotation = z.infer<typeof wordsAnnotationSchema>;
export type ClassAnnotation = z.infer<typeof classAnnotationSchema>;
export type Annotation = z.infer<typeof annotationSchema>;
export type AnnotationKind = (typeof ANNOTATION_KINDS)[number];
/** Field key -> value(s); arrays are repeated fields (one entity per element). */
export type Fields = Readonly<Record<string, string | readonly string[]>>;

/** `item_name` -> `ITEM_NAME`. */
export function labelForField(key: string): string {
  if (!FIELD_KEY_PATTERN.test(key)) throw new RangeError(`invalid field key: ${JSON.stringify(key)}`);
  return key.toUpperCase();
}

export function annotationKind(annotation: Annotation): AnnotationKind {
  if ('fields' in annotation) return 'fields';
  if ('class' in annotation) return 'class';
  return 'boxes' in annotation ? 'boxes' : 'words';
}

/** The label keys an annotation uses (field keys, or the labels of its boxes or words), each once; none for a class. */
export function annotationLabelKeys(annotation: Annotation): string[] {
  if ('fields' in annotation) return Object.keys(annotation.fields);
  if ('class' in annotation) return [];
  const labels = 'boxes' in annotation ? annotation.boxes.map((b) => b.label) : annotation.words.map((w) => w.label);
  return [...new Set(labels)];
}
