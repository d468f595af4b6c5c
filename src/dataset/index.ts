export { alignFields, DEFAULT_MIN_SIMILARITY } from './align';
export type { AlignOptions, AlignedSpan, Alignment, UnalignedField, UnalignedReason } from './align';
export {
  ANNOTATION_SCHEMA_VERSION,
  FIELD_KEY_PATTERN,
  LABEL_KEY_PATTERN,
  annotationKind,
  annotationLabelKeys,
  annotationSchema,
  boxesAnnotationSchema,
  fieldValueSchema,
  fieldsAnnotationSchema,
  labelForField,
  labelledBoxSchema,
  labelledWordSchema,
  pageBoxSchema,
  wordsAnnotationSchema,
} from './annotations';
export type {
  Annotation,
  AnnotationKind,
  BoxesAnnotation,
  FieldValue,
  Fields,
  FieldsAnnotation,
  LabelledBox,
  LabelledWord,
  PageBox,
  WordsAnnotation,
} from './annotations';
export { alignAnnotation } from './align-annotation';
export type { AnnotationAlignment, AlignAnnotationOptions, UnalignedAnnotation } from './align-annotation';
export { alignBoxes, alignWords, DEFAULT_MIN_BOX_COVERAGE, DEFAULT_MIN_WORD_TEXT_SIMILARITY } from './align-regions';
export type { AlignedRegion, RegionAlignOptions, RegionAlignment, RegionUnalignedReason, UnalignedRegion } from './align-regions';
export {
  bioLabels,
  buildDataset,
  DATASET_SCHEMA_VERSION,
  documentPages,
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
  PageWords,
  DocumentUnaligned,
  QuarantinedDocument,
} from './build';
export { canonicalJson, datasetFingerprint, FINGERPRINT_LENGTH } from './fingerprint';
export type { FingerprintDocument, FingerprintInput } from './fingerprint';
export { normalizeToken, similarity, levenshtein } from './normalize';
export { splitDocuments, splitPosition } from './split';
export type { Split, SplitOptions } from './split';
