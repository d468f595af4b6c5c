/**
 * `metrics.json` of a trained model (docs/CONTRACTS.md section 4; written by the trainer's
 * training-image/doctrain_trainer/artifacts.py `write_model`, inside model.tar.gz): the best evaluation
 * (`final`), every evaluation in order (`history`, one per epoch and a last one when training stopped
 * mid-epoch) and the champion's scores on the same validation documents. The run record keeps only the
 * final metric line's numbers (`metrics`); the per-epoch curves and per-label scores are here. Loose
 * objects: a later trainer may add keys, which readers ignore.
 */
import * as z from 'zod';

const score = z.number();

/** One entity type's scores (seqeval style, over the validation documents' words). */
export const typeScoresSchema = z.looseObject({ precision: score, recall: score, f1: score, support: z.number().int().min(0) });

/** One annotated field's scores (per document: the most confident predicted value against the annotated one). */
export const fieldScoresSchema = typeScoresSchema.extend({ exact: score });

/** The validation scores of one evaluation (evaluation.py `score_entry`). */
export const scoreEntryShape = {
  val_loss: score,
  val_precision: score,
  val_recall: score,
  val_f1: score,
  val_field_exact: score,
  val_field_f1: score,
  val_per_type: z.record(z.string(), typeScoresSchema),
  val_per_field: z.record(z.string(), fieldScoresSchema),
};

/** One evaluation of the history (evaluation.py `metrics_entry`). */
export const historyEntrySchema = z.looseObject({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  train_loss: score,
  ...scoreEntryShape,
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const modelMetricsSchema = z.looseObject({
  schemaVersion: z.literal(1),
  /** The evaluation whose model was written (the best val_f1). */
  final: historyEntrySchema,
  history: z.array(historyEntrySchema).min(1),
  /** Documents per split the trainer read. */
  documents: z.record(z.string(), z.number().int().min(0)),
  seconds: z.number(),
  /** The champion scored on this job's validation documents (champion.py), or null: no champion channel. */
  champion: z.looseObject({ comparable: z.boolean() }).nullable().optional(),
});
export type ModelMetrics = z.infer<typeof modelMetricsSchema>;

/** The file's name inside model.tar.gz. */
export const MODEL_METRICS_FILE = 'metrics.json';

/** `predictions.json` of a trained model: the model's tags on its validation records, for the report. */
export const MODEL_PREDICTIONS_FILE = 'predictions.json';

/** At most this many validation records are kept in predictions.json (the first ones, in validation order). */
export const MODEL_PREDICTIONS_MAX_RECORDS = 200;

/**
 * predictions.json (artifacts.py `write_predictions`): per validation record id, the written model's BIO
 * tag of each of the record's words (the labels' vocabulary, in the record's word order).
 */
export const modelPredictionsSchema = z.strictObject({
  schemaVersion: z.literal(1),
  records: z
    .record(z.string().min(1), z.array(z.string().min(1)))
    .refine((records) => Object.keys(records).length <= MODEL_PREDICTIONS_MAX_RECORDS, {
      message: `at most ${MODEL_PREDICTIONS_MAX_RECORDS} records`,
    })
    // In the emitted JSON Schema too: the trainer reads its cap from there (artifacts.py).
    .meta({ maxProperties: MODEL_PREDICTIONS_MAX_RECORDS }),
});
export type ModelPredictions = z.infer<typeof modelPredictionsSchema>;
