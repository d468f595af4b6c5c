/**
 * The trainer's `[metric]` lines (training-image/doctrain_trainer/evaluation.py `metric_line`) as
 * SageMaker reads them: the metric names the trainer prints for a dataset's labels, and the
 * MetricDefinitions of its training job (BuildDataset derives them from the label list; the ASL's
 * CreateTrainingJob passes them on).
 *
 * The line per evaluation: `train_loss`, `val_loss`, `val_precision`, `val_recall`, `val_f1`,
 * `val_field_exact`, `val_field_f1`, then `val_exact_<field>` per field. After the final one, the champion
 * comparison: `champion_comparable=1 champion_val_f1=... champion_val_field_exact=...
 * champion_val_exact_<field>=...`. A field's name is the trainer's: the BIO label's entity type
 * (`B-TOTAL_AMOUNT` -> `TOTAL_AMOUNT`, metrics.split_tag) lowercased (fields.field_key), every character
 * but a letter, a digit or `_` made `_` (evaluation._metric_name). test/unit/contracts/metric-line.test.ts
 * runs the Python side to check this rule and the regexes on the trainer's own lines.
 */
import * as z from 'zod';

/** SageMaker's limits on AlgorithmSpecification.MetricDefinitions (CreateTrainingJob). */
export const METRIC_DEFINITION_LIMITS = { maxDefinitions: 40, maxNameLength: 255, maxRegexLength: 500 } as const;

/** Printed on every evaluation line, whatever the labels. */
export const CORE_METRICS = ['train_loss', 'val_loss', 'val_precision', 'val_recall', 'val_f1', 'val_field_exact', 'val_field_f1'] as const;
/** The champion comparison's line, whatever the labels (`champion_val_precision`/`_recall` are printed but not published). */
export const CHAMPION_CORE_METRICS = ['champion_comparable', 'champion_val_f1', 'champion_val_field_exact'] as const;

export const metricDefinitionSchema = z.strictObject({
  Name: z.string().min(1).max(METRIC_DEFINITION_LIMITS.maxNameLength),
  Regex: z.string().min(1).max(METRIC_DEFINITION_LIMITS.maxRegexLength),
});
export type MetricDefinition = z.infer<typeof metricDefinitionSchema>;

/** A BIO label's entity type (metrics.split_tag: `B-TOTAL_AMOUNT` -> `TOTAL_AMOUNT`); none for `O` or a tag without `-`. */
export const entityTypeOfLabel = (label: string): string | undefined => {
  const dash = label.indexOf('-');
  return label === 'O' || dash < 0 ? undefined : label.slice(dash + 1);
};

/** A metric name's stem for a field (evaluation._metric_name): a letter, a digit or `_` kept, anything else `_`. */
export const metricNameOfField = (fieldKey: string): string =>
  Array.from(fieldKey, (ch) => (/^[\p{L}\p{N}_]$/u.test(ch) ? ch : '_')).join('');

/** The field an entity type is scored as (fields.field_key: lowercased), as its metrics name it. */
export const fieldMetricName = (entityType: string): string => metricNameOfField(entityType.toLowerCase());

/** `val_exact_<field>`: the share of validation documents whose field was extracted exactly. */
export const fieldExactMetric = (field: string): string => `val_exact_${field}`;
/** `champion_val_exact_<field>`: the same for the champion model, on the same validation set. */
export const championFieldExactMetric = (field: string): string => `champion_val_exact_${field}`;

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The regex that reads `name`'s value: anchored at the line's start or a space before the name and at `=`
 * after it, so `val_f1` does not read `champion_val_f1=` and `val_exact_total` does not read
 * `val_exact_total_amount=`.
 */
export const metricRegex = (name: string): string => `(?:^|\\s)${escapeRegex(name)}=([0-9.]+)`;

export const metricDefinition = (name: string): MetricDefinition => metricDefinitionSchema.parse({ Name: name, Regex: metricRegex(name) });

/** The fields a label list is scored on, in the list's order, each once (two types may make one name). */
export const metricFieldsOfLabels = (labels: readonly string[]): string[] => [
  ...new Set(labels.flatMap((label) => (/^[BI]-/.test(label) ? [fieldMetricName(entityTypeOfLabel(label) ?? '')] : []))),
];

export interface LabelMetricDefinitions {
  /** Core, champion core, then per field `val_exact_<field>` and `champion_val_exact_<field>`, at most 40. */
  metricDefinitions: MetricDefinition[];
  /** Fields with no definitions: past SageMaker's 40, or a name longer than a definition may be. */
  metricFieldsOmitted: string[];
}

const fits = (name: string): boolean => metricDefinitionSchema.safeParse({ Name: name, Regex: metricRegex(name) }).success;

/** A training job's MetricDefinitions for a dataset's label list (labels.json: `O`, `B-X`, `I-X`, ...). */
export const metricDefinitionsForLabels = (labels: readonly string[]): LabelMetricDefinitions => {
  const metricDefinitions = [...CORE_METRICS, ...CHAMPION_CORE_METRICS].map(metricDefinition);
  const metricFieldsOmitted: string[] = [];
  for (const field of metricFieldsOfLabels(labels)) {
    const pair = [fieldExactMetric(field), championFieldExactMetric(field)];
    if (metricDefinitions.length + pair.length > METRIC_DEFINITION_LIMITS.maxDefinitions || !pair.every(fits)) {
      metricFieldsOmitted.push(field);
      continue;
    }
    metricDefinitions.push(...pair.map(metricDefinition));
  }
  return { metricDefinitions, metricFieldsOmitted };
};

// ---- task classification (training-image/doctrain_trainer/classification.py `class_metric_line`) ----------

/**
 * Printed on every evaluation line of a classifier: `train_loss`, `val_loss`, `val_accuracy`,
 * `val_macro_f1`, then `val_precision_<class>` and `val_recall_<class>` per class of the class list.
 */
export const CLASSIFICATION_CORE_METRICS = ['train_loss', 'val_loss', 'val_accuracy', 'val_macro_f1'] as const;
/** The champion comparison's line of a classifier (champion_comparable=0 alone when it cannot be scored). */
export const CLASSIFICATION_CHAMPION_CORE_METRICS = ['champion_comparable', 'champion_val_macro_f1'] as const;

export const classPrecisionMetric = (className: string): string => `val_precision_${metricNameOfField(className)}`;
export const classRecallMetric = (className: string): string => `val_recall_${metricNameOfField(className)}`;
export const championClassRecallMetric = (className: string): string => `champion_${classRecallMetric(className)}`;

/**
 * A classifier's MetricDefinitions for its class list: core, champion core, then per class its recall,
 * the champion's recall (the promotion guard reads both) and its precision, at most 40; the classes left
 * without (past 40) in `metricFieldsOmitted`.
 */
export const metricDefinitionsForClasses = (classes: readonly string[]): LabelMetricDefinitions => {
  const metricDefinitions = [...CLASSIFICATION_CORE_METRICS, ...CLASSIFICATION_CHAMPION_CORE_METRICS].map(metricDefinition);
  const metricFieldsOmitted: string[] = [];
  for (const className of classes) {
    const names = [classRecallMetric(className), championClassRecallMetric(className), classPrecisionMetric(className)];
    if (metricDefinitions.length + names.length > METRIC_DEFINITION_LIMITS.maxDefinitions || !names.every(fits)) {
      metricFieldsOmitted.push(className);
      continue;
    }
    metricDefinitions.push(...names.map(metricDefinition));
  }
  return { metricDefinitions, metricFieldsOmitted };
};
