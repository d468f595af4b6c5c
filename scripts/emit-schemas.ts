/**
 * Writes the JSON Schemas the trainer reads, emitted from the zod contracts in src/contracts/ (the one
 * definition): the dataset record (one line of train-*.jsonl / validation-*.jsonl) and labels.json.
 * test/unit/contracts/trainer-schemas.test.ts fails when a committed file differs from what this emits.
 *
 *   npx tsx scripts/emit-schemas.ts          # rewrite training-image/doctrain_trainer/schemas/*.schema.json
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainerSchemaFiles } from '../src/contracts/trainer-schemas';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const [file, text] of Object.entries(trainerSchemaFiles())) {
  writeFileSync(path.join(root, file), text);
  console.log(`wrote ${file}`);
}
