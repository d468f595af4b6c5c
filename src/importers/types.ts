import type { Annotation } from '../contracts/annotation';

/**
 * What every importer yields: one document on local disk and its annotation in contract 1. The
 * importers are pure readers of local files; writing the documents layout is documents-layout.ts' job.
 */
export interface ImportedDocument<A extends Annotation = Annotation> {
  /** Document id: the base name in the documents layout (`<id>.<ext>` + `<id>.json`); may contain `/`. */
  readonly id: string;
  /** Absolute path of the document file (image, PDF, TIFF). */
  readonly documentPath: string;
  readonly annotation: A;
}

export interface ImportOptions {
  /**
   * Where the images of a manifest whose `source-ref`s are `s3://` URIs were downloaded to; each is
   * looked up by its object key, then `<bucket>/<key>`, then its file name.
   */
  readonly imagesDir?: string;
  /** Ground Truth: the label attribute to read, when a manifest has several. */
  readonly labelAttribute?: string;
  /** Told about each item left out (a line, a file, a box) and why; the import goes on. */
  readonly onSkip?: (item: string, reason: string) => void;
}

export type Importer = (path: string, options?: ImportOptions) => AsyncIterable<ImportedDocument>;
