import { createHash } from 'node:crypto';
import { compareStrings } from './normalize';

export interface FingerprintDocument {
  readonly id: string;
  /** sha256 of the document bytes. */
  readonly contentHash: string;
  /** sha256 of the annotation bytes (or of its canonical JSON). */
  readonly annotationHash: string;
}

export interface FingerprintInput {
  readonly schemaVersion: number;
  readonly documents: readonly FingerprintDocument[];
  /** Everything else that changes the output: split, aligner settings, record layout... (JSON-able). */
  readonly labelling: unknown;
}

/** Length of the hex fingerprint (64 bits: ample for a per-bucket dataset folder name). */
export const FINGERPRINT_LENGTH = 16;

/**
 * The dataset's identity: same documents, annotations and labelling config give the same fingerprint
 * whatever the input order, so an unchanged corpus maps onto the existing `datasets/<fingerprint>/`.
 */
export function datasetFingerprint(input: FingerprintInput): string {
  const documents = [...input.documents].sort((a, b) => compareStrings(a.id, b.id)).map((d) => [d.id, d.contentHash, d.annotationHash]);
  const canonical = canonicalJson({ schemaVersion: input.schemaVersion, documents, labelling: input.labelling });
  return createHash('sha256').update(canonical).digest('hex').slice(0, FINGERPRINT_LENGTH);
}

/** JSON with object keys sorted at every level, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareStrings(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
