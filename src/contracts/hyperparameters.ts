/**
 * Training hyperparameters, checked before anything costs money against the trainer's own schema
 * (training-image/doctrain_trainer/hyperparameters.schema.json; a pytest test keeps it equal to the
 * trainer's parser) and against SageMaker's limits on CreateTrainingJob's HyperParameters.
 *
 * SageMaker passes every value as a string, so each value is checked in the string form the job gets
 * (String(value)), parsed as the trainer parses it (Python's int()/float() of the stripped string,
 * enums case-insensitively). Rules between keys (hidden_size divisible by num_heads, max_seq_len <= 512
 * for backend hf) stay with the trainer.
 */
import { closest, distance } from 'fastest-levenshtein';
import * as z from 'zod';
import trainerSchemaJson from '../../training-image/doctrain_trainer/hyperparameters.schema.json';

/** SageMaker CreateTrainingJob: HyperParameters holds at most 100 entries, keys <= 256, values <= 2,500 characters. */
export const SAGEMAKER_HYPERPARAMETER_LIMITS = { maxEntries: 100, maxKeyLength: 256, maxValueLength: 2500 } as const;

const described = { default: z.unknown(), description: z.string().min(1) };
const propertySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('integer'), minimum: z.number().int(), maximum: z.number().int(), ...described }),
  z.strictObject({
    type: z.literal('number'),
    minimum: z.number(),
    maximum: z.number().optional(),
    exclusiveMaximum: z.number().optional(),
    ...described,
  }),
  z.strictObject({
    type: z.literal('string'),
    enum: z.array(z.string()).min(1).optional(),
    pattern: z.string().optional(),
    maxLength: z.number().int().optional(),
    ...described,
  }),
]);
type Property = z.infer<typeof propertySchema>;

/** The subset of JSON Schema the trainer's file uses; anything else in it is an error here, not ignored. */
const trainerSchemaSchema = z.object({
  properties: z.record(z.string(), propertySchema),
  patternProperties: z.record(z.string(), z.object({ description: z.string() })),
  additionalProperties: z.literal(false),
});

const trainerSchema = trainerSchemaSchema.parse(trainerSchemaJson);
/** Every hyperparameter the trainer accepts, with its type, bounds, default and description. */
export const TRAINER_HYPERPARAMETERS: Readonly<Record<string, Property>> = trainerSchema.properties;
const KNOWN_KEYS = Object.keys(TRAINER_HYPERPARAMETERS).sort();
/** Keys SageMaker's SDK or tuning adds; the trainer ignores them. */
const IGNORED_KEYS = Object.keys(trainerSchema.patternProperties).map((pattern) => new RegExp(pattern));

// Python's int() and float() literal forms (digits may be grouped with underscores); inf and nan are
// outside every bound, so they need no form of their own.
const DIGITS = String.raw`\d+(?:_\d+)*`;
const INTEGER_FORM = new RegExp(String.raw`^[+-]?${DIGITS}$`);
const NUMBER_FORM = new RegExp(String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);

/** Why the trainer would reject `raw` for this key, or null when it accepts it. */
const problemWith = (property: Property, raw: string): string | null => {
  const text = raw.trim();
  switch (property.type) {
    case 'integer':
    case 'number': {
      const form = property.type === 'integer' ? INTEGER_FORM : NUMBER_FORM;
      const what = property.type === 'integer' ? 'an integer' : 'a number';
      if (!form.test(text)) return `must be ${what}, got ${JSON.stringify(raw)}`;
      const value = Number(text.replace(/_/g, ''));
      const exclusiveMaximum = property.type === 'number' ? property.exclusiveMaximum : undefined;
      const upper =
        property.maximum !== undefined
          ? { ok: value <= property.maximum, text: `${property.maximum}]` }
          : { ok: exclusiveMaximum === undefined || value < exclusiveMaximum, text: `${exclusiveMaximum ?? 'inf'})` };
      return value >= property.minimum && upper.ok ? null : `must be in [${property.minimum}, ${upper.text}, got ${text}`;
    }
    case 'string': {
      if (property.enum && !property.enum.includes(text.toLowerCase())) {
        return `must be one of: ${property.enum.join(', ')}; got ${JSON.stringify(raw)}`;
      }
      if (property.maxLength !== undefined && text.length > property.maxLength) {
        return `must be at most ${property.maxLength} characters, got ${text.length}`;
      }
      if (property.pattern !== undefined && !new RegExp(property.pattern).test(text)) {
        return `${JSON.stringify(raw)} is not valid: ${property.description}`;
      }
      return null;
    }
  }
};

const unknownKeyMessage = (key: string): string => {
  const guess = closest(key, KNOWN_KEYS);
  const hint = distance(key, guess) <= Math.max(2, Math.floor(key.length / 4)) ? ` (did you mean "${guess}"?)` : '';
  return `unknown hyperparameter "${key}"${hint}; known: ${KNOWN_KEYS.join(', ')}`;
};

/** Why the trainer would reject `raw` (the string SageMaker passes) for hyperparameter `key`, or null when it accepts it. */
export const hyperparameterValueProblem = (key: string, raw: string): string | null => {
  const property = TRAINER_HYPERPARAMETERS[key];
  return property === undefined ? unknownKeyMessage(key) : problemWith(property, raw);
};

/**
 * Adds one issue per bad entry (path: the key) to `ctx`: unknown keys, values the trainer rejects, and
 * SageMaker's limits on the stringified request. Used as a zod superRefine on the input's record.
 */
export const checkHyperparameters = (hyperparameters: Readonly<Record<string, string | number | boolean>>, ctx: z.RefinementCtx): void => {
  const entries = Object.entries(hyperparameters);
  const limits = SAGEMAKER_HYPERPARAMETER_LIMITS;
  if (entries.length > limits.maxEntries) {
    ctx.addIssue({ code: 'custom', message: `at most ${limits.maxEntries} hyperparameters (SageMaker's limit), got ${entries.length}` });
  }
  for (const [key, value] of entries) {
    const raw = String(value);
    const problems: string[] = [];
    if (key.length > limits.maxKeyLength) problems.push(`names are at most ${limits.maxKeyLength} characters (SageMaker's limit)`);
    if (raw.length > limits.maxValueLength) {
      problems.push(`values are at most ${limits.maxValueLength} characters (SageMaker's limit), got ${raw.length}`);
    }
    const property = TRAINER_HYPERPARAMETERS[key];
    if (property) {
      const problem = problemWith(property, raw);
      if (problem !== null) problems.push(problem);
    } else if (!IGNORED_KEYS.some((pattern) => pattern.test(key))) {
      problems.push(unknownKeyMessage(key));
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message, path: [key] });
  }
};
