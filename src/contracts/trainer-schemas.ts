/**
 * The dataset contracts the trainer (Python) reads, as JSON Schema emitted from their zod definitions in
 * ./objects.ts: defined once here, validated on both sides of the language boundary. The files live in the
 * trainer package (training-image/doctrain_trainer/schemas/); scripts/emit-schemas.ts writes them.
 */
import * as z from 'zod';
import { modelPredictionsSchema } from './model-metrics';
import { datasetLabelsSchema, datasetRecordSchema } from './objects';

/** Repository-relative folder of the emitted schemas. */
export const TRAINER_SCHEMA_DIR = 'training-image/doctrain_trainer/schemas';

const emitted = (id: string, title: string, schema: z.ZodType): string => {
  const json = {
    ...z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'throw' }),
    $id: `doctrain_trainer/schemas/${id}`,
    title,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
};

/** File path (repository-relative) -> its content. */
export const trainerSchemaFiles = (): Record<string, string> => ({
  [`${TRAINER_SCHEMA_DIR}/dataset-record.schema.json`]: emitted(
    'dataset-record.schema.json',
    'doctrain dataset record: one line of train-*.jsonl / validation-*.jsonl (docs/CONTRACTS.md section 3)',
    datasetRecordSchema,
  ),
  [`${TRAINER_SCHEMA_DIR}/labels.schema.json`]: emitted(
    'labels.schema.json',
    'doctrain labels.json: the BIO class list, index = class id',
    datasetLabelsSchema,
  ),
  [`${TRAINER_SCHEMA_DIR}/model-predictions.schema.json`]: emitted(
    'model-predictions.schema.json',
    "doctrain predictions.json: the written model's BIO tags on its validation records (docs/CONTRACTS.md section 4)",
    modelPredictionsSchema,
  ),
});
