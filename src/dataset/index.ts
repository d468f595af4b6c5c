export { alignFields, DEFAULT_MIN_SIMILARITY } from './align';
export type { AlignOptions, AlignedSpan, Alignment, UnalignedField, UnalignedReason } from './align';
export {
  ANNOTATION_SCHEMA_VERSION,
  FIELD_KEY_PATTERN,
  annotationSchema,
  fieldValueSchema,
  labelForField,
} from './annotations';
export type { Annotation, FieldValue, Fields } from './annotations';
export {
  bioLabels,
  buildDataset,
  DATASET_SCHEMA_VERSION,
  documentWords,
  DEFAULT_MAX_RECORDS_PER_SHARD,
  LABELLING_VERSION,
} from './build';
export type {
  BBox,
  BuildDatasetInput,
  BuiltDataset,
  DatasetDocument,
  DatasetFile,
  DatasetManifest,
  DatasetRecord,
  DocumentUnaligned,
  QuarantinedDocument,
} from './build';
export { canonicalJson, datasetFingerprint, FINGERPRINT_LENGTH } from './fingerprint';
export type { FingerprintDocument, FingerprintInput } from './fingerprint';
export { normalizeToken, similarity, levenshtein } from './normalize';
export { splitDocuments, splitPosition } from './split';
export type { Split, SplitOptions } from './split';
