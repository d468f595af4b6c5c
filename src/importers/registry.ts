/**
 * The import formats `doctrain import <format>` and `doctrain run --format <format>` know. Adding a
 * format is one entry here (plus its import line): a module under src/importers/ whose reader has the
 * Importer signature (types.ts).
 */
import { InvalidInputError } from '../contracts/errors';
import { readClassDocuments } from './classes';
import { readFunsdFolder } from './funsd';
import { readGroundTruthManifest } from './ground-truth';
import { readLabelledWords } from './labelled-words';
import { readSroieFolder } from './sroie';
import type { Importer } from './types';

export interface ImportFormat {
  /** What `<path>` must be, in one line for the CLI's help. */
  readonly input: string;
  readonly read: Importer;
}

export const IMPORT_FORMATS = {
  classes: {
    input:
      'task classification: a folder of class folders (<class>/<document>) or an RVL-CDIP labels file (<document path> <class or index>)',
    read: readClassDocuments,
  },
  'ground-truth': { input: 'a SageMaker Ground Truth bounding-box output manifest (JSON Lines)', read: readGroundTruthManifest },
  funsd: { input: 'a FUNSD-style folder with annotations/*.json and images/', read: readFunsdFolder },
  sroie: { input: 'a SROIE folder: img/<id>.jpg + key/<id>.json (company, date, address, total)', read: readSroieFolder },
  words: { input: 'a CSV or JSON file of labelled words per document', read: readLabelledWords },
} as const satisfies Record<string, ImportFormat>;

export type ImportFormatName = keyof typeof IMPORT_FORMATS;

export const importFormatNames = (): string[] => Object.keys(IMPORT_FORMATS).sort();

export function importFormat(name: string): ImportFormat {
  const entry = (IMPORT_FORMATS as Record<string, ImportFormat>)[name];
  if (entry === undefined) throw new InvalidInputError(`unknown import format "${name}": known are ${importFormatNames().join(', ')}`);
  return entry;
}
