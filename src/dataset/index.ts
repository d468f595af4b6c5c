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
} from '../contracts/annotation';
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
} from '../contracts/annotation';
export { alignAnnotation } from './align-annotation';
export type { AnnotationAlignment, AlignAnnotationOptions, UnalignedAnnotation } from './align-annotation';
export { alignBoxes, alignWords, DEFAULT_MIN_BOX_COVERAGE, DEFAULT_MIN_WORD_TEXT_SIMILARITY } from './align-regions';
export type { AlignedRegion, RegionAlignOptions, RegionAlignment, RegionUnalignedReason, UnalignedRegion } from './align-regions';
export { bioLabels, buildTokenDataset, documentPages, DEFAULT_MAX_RECORDS_PER_SHARD, LABELLING_VERSION } from './build';
export { buildClassificationDataset, checkClassList } from './build-classification';
export { buildDataset } from './build-for-task';
export type { BuildDatasetInput, BuiltDataset, DatasetDocument, DatasetFile, PageWords } from './build';
export { canonicalJson, datasetFingerprint, FINGERPRINT_LENGTH } from './fingerprint';
export type { FingerprintDocument, FingerprintInput } from './fingerprint';
export { normalizeToken, similarity, levenshtein } from './normalize';
export { splitDocuments, splitPosition } from './split';
export type { Split, SplitOptions } from './split';
