/**
 * The trainer validates dataset records and labels.json against JSON Schemas emitted from the zod contracts
 * (src/contracts/trainer-schemas.ts). The committed files must be exactly what the contracts emit today:
 * run `npx tsx scripts/emit-schemas.ts` after changing a contract.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetRecordSchema } from '../../../src/contracts/objects';
import { trainerSchemaFiles } from '../../../src/contracts/trainer-schemas';

const ROOT = path.resolve(__dirname, '../../..');

describe('trainer schemas emitted from the zod contracts', () => {
  for (const [file, emitted] of Object.entries(trainerSchemaFiles())) {
    it(`${file} is what the contract emits (npx tsx scripts/emit-schemas.ts)`, () => {
      expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(emitted);
    });
  }

  it('the dataset record schema rejects unknown keys and out-of-range boxes, as zod does', () => {
    const file = Object.entries(trainerSchemaFiles()).find(([name]) => name.endsWith('dataset-record.schema.json'));
    const json = JSON.parse(file?.[1] ?? '{}') as { additionalProperties?: unknown; required?: unknown };
    expect(json.additionalProperties).toBe(false);
    expect(json.required).toEqual(['id', 'documentId', 'words', 'bboxes', 'labels', 'page', 'source']);
    expect(
      datasetRecordSchema.safeParse({
        id: 'a',
        documentId: 'a',
        words: [],
        bboxes: [[0, 0, 0, 1001]],
        labels: [],
        page: { number: 1, width: 1, height: 1 },
        source: 's',
      }).success,
    ).toBe(false);
  });
});
