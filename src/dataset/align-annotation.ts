import type { OcrPage } from '../contracts/ocr-document';
import { alignFields, type AlignMatch, type AlignOptions, type UnalignedField } from './align';
import type { Annotation } from '../contracts/annotation';
import { InvalidInputError } from '../contracts/errors';
import { alignBoxes, alignWords, type AlignedRegion, type RegionAlignOptions, type UnalignedRegion } from './align-regions';

/**
 * The one dispatch from an annotation (any kind of contract 1) to word labels: key fields go to
 * alignFields (searched over the words of every page, in page order), boxes and words to align-regions.
 * Every kind reports the same way: what was aligned, and each annotation it could not align and why.
 */
export type UnalignedAnnotation = UnalignedField | UnalignedRegion;

export interface AnnotationAlignment {
  /** One BIO label per OCR word of `pages`, concatenated in the order given. */
  readonly labels: string[];
  /** Each annotated value, box or word that labelled at least one OCR word. */
  readonly aligned: readonly (Pick<AlignedRegion, 'field' | 'value'> & { readonly match?: AlignMatch })[];
  readonly unaligned: readonly UnalignedAnnotation[];
}

export interface AlignAnnotationOptions extends RegionAlignOptions, Pick<AlignOptions, 'dateOrder' | 'fieldNames'> {
  /** Key fields' text similarity (alignFields); also the text threshold for words without a box. */
  readonly minSimilarity?: number;
}

export function alignAnnotation(
  pages: readonly OcrPage[],
  annotation: Annotation,
  options: AlignAnnotationOptions = {},
): AnnotationAlignment {
  if ('fields' in annotation) {
    const words = pages.flatMap((page) => page.words);
    const result = alignFields(words, annotation.fields, {
      ...(options.minSimilarity !== undefined && { minSimilarity: options.minSimilarity }),
      ...(options.dateOrder !== undefined && { dateOrder: options.dateOrder }),
      ...(options.fieldNames !== undefined && { fieldNames: options.fieldNames }),
    });
    return { labels: result.labels, aligned: result.spans, unaligned: result.unaligned };
  }
  if ('boxes' in annotation) return alignBoxes(pages, annotation.boxes, options);
  if ('class' in annotation) {
    // A class labels the document, not its words (src/dataset/build-classification.ts builds its records).
    throw new InvalidInputError(`a class annotation ("${annotation.class}") has no words to align`);
  }
  return alignWords(pages, annotation.words, options);
}
