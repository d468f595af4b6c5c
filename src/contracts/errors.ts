/**
 * Typed errors. Each `name` is a string literal, stable and independent of the class identifier (a
 * minifier renames classes, never strings): the state machine's Retry/Catch `ErrorEquals` lists match on
 * it, so renaming one is a breaking change to `statemachines/train-pipeline.asl.yml`.
 * test/unit/contracts/errors.test.ts checks that every name the ASL matches is one of these, and the reverse for
 * the errors the ASL must retry or catch.
 */
export const ERROR_NAMES = [
  'InvalidInputError',
  'BadDocumentError',
  'ThrottlingError',
  'EmptyDatasetError',
  'QuarantineShareExceededError',
  'StatusRegressionError',
  'RunConflictError',
] as const;
export type DoctrainErrorName = (typeof ERROR_NAMES)[number];

/** The errors the state machine retries or catches by name (the others end a run through States.ALL). */
export const ASL_MATCHED_ERRORS: readonly DoctrainErrorName[] = [
  'ThrottlingError',
  'EmptyDatasetError',
  'QuarantineShareExceededError',
  'RunConflictError',
];

export abstract class DoctrainError extends Error {
  public abstract override readonly name: DoctrainErrorName;
}

/** The execution input (or a handler's event) does not match its schema. Never retried. */
export class InvalidInputError extends DoctrainError {
  public override readonly name = 'InvalidInputError';
}

/** One document cannot be used (unsupported type, corrupt, OCR refused it). It is quarantined, the run goes on. */
export class BadDocumentError extends DoctrainError {
  public override readonly name = 'BadDocumentError';
  public constructor(
    message: string,
    public readonly documentKey: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An AWS API throttled us. Kept unwrapped so the ASL can retry it with backoff. */
export class ThrottlingError extends DoctrainError {
  public override readonly name = 'ThrottlingError';
}

/** Nothing trainable was left after OCR and alignment. */
export class EmptyDatasetError extends DoctrainError {
  public override readonly name = 'EmptyDatasetError';
}

/**
 * More of the run's documents were quarantined than `dataset.maxQuarantineShare` allows: training on
 * the rest would hide that something is wrong with the input (wrong annotations, an OCR outage, a
 * folder of unsupported files). Raised by BuildDataset before any training job starts; the run ends FAILED.
 */
export class QuarantineShareExceededError extends DoctrainError {
  public override readonly name = 'QuarantineShareExceededError';
}

/** A status write would move a run record backwards; the write is refused, the record is unchanged. */
export class StatusRegressionError extends DoctrainError {
  public override readonly name = 'StatusRegressionError';
}

/**
 * The run id already belongs to another execution. Nothing of that run is touched: this execution ends
 * at once, without recording a failure on a record that is not its own or stopping its training job.
 */
export class RunConflictError extends DoctrainError {
  public override readonly name = 'RunConflictError';
}
