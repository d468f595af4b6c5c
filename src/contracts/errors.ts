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
  'TrainingImageNotFoundError',
  'InstanceQuotaError',
  'InstancePlanExhaustedError',
  'TrainingJobRejectedError',
  'NotificationError',
  'NoChampionError',
  'ClassListError',
] as const;
export type DoctrainErrorName = (typeof ERROR_NAMES)[number];

/** The errors the state machine retries or catches by name (the others end a run through States.ALL). */
export const ASL_MATCHED_ERRORS: readonly DoctrainErrorName[] = [
  'ThrottlingError',
  'EmptyDatasetError',
  'QuarantineShareExceededError',
  'RunConflictError',
  'TrainingImageNotFoundError',
  'InstanceQuotaError',
  'InstancePlanExhaustedError',
  'TrainingJobRejectedError',
  'NotificationError',
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

/**
 * Pre-flight: the training image (repository + tag, or a pinned digest) is not in ECR. Raised before any
 * OCR, so a run after a fresh `sls deploy` fails in seconds instead of after the dataset is built. The
 * message holds the exact commands that push the image.
 */
export class TrainingImageNotFoundError extends DoctrainError {
  public override readonly name = 'TrainingImageNotFoundError';
}

/**
 * Pre-flight: the account's SageMaker quota is 0 for every entry of the instance plan (new accounts often
 * have no spot training quota). The message holds the `aws service-quotas` command that requests one.
 */
export class InstanceQuotaError extends DoctrainError {
  public override readonly name = 'InstanceQuotaError';
}

/** Every entry of the instance plan failed for capacity: no entry is left to fall back to. */
export class InstancePlanExhaustedError extends DoctrainError {
  public override readonly name = 'InstancePlanExhaustedError';
}

/**
 * SageMaker refused CreateTrainingJob for a reason retrying cannot fix (a validation error, an unknown
 * error code). Never retried; the run ends FAILED with SageMaker's message.
 */
export class TrainingJobRejectedError extends DoctrainError {
  public override readonly name = 'TrainingJobRejectedError';
}

/** A run notification could not be put on the bus (the ASL retries it; the run's outcome stands either way). */
export class NotificationError extends DoctrainError {
  public override readonly name = 'NotificationError';
}

/** `doctrain promote|rollback`: the lineage or run cannot be changed as asked (no champion to roll back to, a run that did not complete). */
export class NoChampionError extends DoctrainError {
  public override readonly name = 'NoChampionError';
}

/**
 * Task classification: the documents' classes cannot train the classifier asked for (a class name not in
 * `dataset.classes`, a listed class without documents, one class only, class annotations mixed with
 * others). Raised before the training job.
 */
export class ClassListError extends DoctrainError {
  public override readonly name = 'ClassListError';
}
