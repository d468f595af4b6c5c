import { createHash } from 'node:crypto';
import { InvalidInputError } from '../contracts/errors';
import { compareStrings } from './normalize';

export interface SplitOptions {
  /** Share of documents for validation, in [0, 1). */
  readonly validationFraction: number;
  /** Changes the assignment without changing the documents. */
  readonly seed?: string;
}

export interface Split {
  readonly train: string[];
  readonly validation: string[];
}

/** Position of a document in [0, 1), stable across runs and independent of the other documents. */
export function splitPosition(id: string, seed = ''): number {
  const digest = createHash('sha256').update(`${seed}\u0000${id}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/**
 * Deterministic train/validation split by hash of the document id: adding a document never moves
 * another one between sets. With two or more documents each set gets at least one (the document closest
 * to the boundary moves); a single document goes to train, so the validation channel is never empty when it can be filled.
 */
export function splitDocuments(ids: readonly string[], options: SplitOptions): Split {
  const { validationFraction, seed = '' } = options;
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new InvalidInputError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  }
  const duplicates = [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
  if (duplicates.length > 0) {
    throw new InvalidInputError(
      `document ids must be unique; repeated: ${duplicates.slice(0, 5).join(', ')} (ids are file names without extension: rename one of each pair)`,
    );
  }
  const placed = [...ids].sort(compareStrings).map((id) => ({ id, position: splitPosition(id, seed) }));
  const validation = new Set(placed.filter((d) => d.position < validationFraction).map((d) => d.id));
  const byPosition = [...placed].sort((a, b) => a.position - b.position || compareStrings(a.id, b.id));
  if (placed.length >= 2 && validation.size === 0) validation.add((byPosition[0] as { id: string }).id);
  // Training needs a document more than validation does: a lone document always trains.
  if (placed.length >= 1 && validation.size === placed.length) {
    validation.delete((byPosition[byPosition.length - 1] as { id: string }).id);
  }
  return {
    train: placed.filter((d) => !validation.has(d.id)).map((d) => d.id),
    validation: placed.filter((d) => validation.has(d.id)).map((d) => d.id),
  };
}
