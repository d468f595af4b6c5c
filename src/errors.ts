/**
 * Typed errors. Each `name` is stable: the state machine's Retry/Catch `ErrorEquals` lists match on it,
 * so renaming one is a breaking change to `statemachines/train-pipeline.asl.yml`.
 */
export class DoctrainError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The execution input (or a handler's event) does not match its schema. Never retried. */
export class InvalidInputError extends DoctrainError {}

/** One document cannot be used (unsupported type, corrupt, OCR refused it). It is quarantined, the run goes on. */
export class BadDocumentError extends DoctrainError {
  public constructor(
    message: string,
    public readonly documentKey: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An AWS API throttled us. Kept unwrapped so the ASL can retry it with backoff. */
export class ThrottlingError extends DoctrainError {}

/** Nothing trainable was left after OCR and alignment. */
export class EmptyDatasetError extends DoctrainError {}

/**
 * More of the run's documents were quarantined than `dataset.maxQuarantineShare` allows: training on
 * the rest would hide that something is wrong with the input (wrong annotations, an OCR outage, a
 * folder of unsupported files). Raised by BuildDataset before any training job starts; the run ends FAILED.
 */
export class QuarantineShareExceededError extends DoctrainError {}

/** A status write would move a run record backwards; the write is refused, the record is unchanged. */
export class StatusRegressionError extends DoctrainError {}

/**
 * The run id already belongs to another execution. Nothing of that run is touched: this execution ends
 * at once, without recording a failure on a record that is not its own or stopping its training job.
 */
export class RunConflictError extends DoctrainError {}
