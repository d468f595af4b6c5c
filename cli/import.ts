/** `doctrain import <format> <path>`: a labelling tool's output -> the documents layout (folder or S3). */
import { createS3Client } from '../src/aws/clients';
import { InvalidInputError } from '../src/contracts/errors';
import { DEFAULT_DOCUMENTS_PREFIX } from '../src/contracts/s3-layout';
import { folderSink, importFormat, s3Sink, writeDocumentsLayout, type DocumentsSink, type WrittenDocument } from '../src/importers';

export interface ImportSourceOptions {
  images?: string | undefined;
  labelAttribute?: string | undefined;
}

/** `documents` -> `documents/`; '' stays '' (the bucket's root). */
export const asPrefix = (prefix: string): string => {
  if (prefix.startsWith('/')) throw new InvalidInputError(`--prefix must not start with "/", got "${prefix}"`);
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
};

/** Imports `source` in `format` into `sink`, printing each item left out and a one-line result. */
export const importInto = async (
  format: string,
  source: string,
  sink: DocumentsSink,
  options: ImportSourceOptions,
  log: (message: string) => void = console.log,
): Promise<{ written: WrittenDocument[]; skipped: number }> => {
  const reader = importFormat(format);
  let skipped = 0;
  const documents = reader.read(source, {
    ...(options.images === undefined ? {} : { imagesDir: options.images }),
    ...(options.labelAttribute === undefined ? {} : { labelAttribute: options.labelAttribute }),
    onSkip: (item, reason) => {
      skipped++;
      log(`skipped ${item}: ${reason}`);
    },
  });
  const written = await writeDocumentsLayout(documents, sink);
  log(
    `imported ${written.length} document(s) with their annotations (${format}) to ${sink.where}${skipped > 0 ? `; ${skipped} item(s) skipped, reasons above` : ''}`,
  );
  return { written, skipped };
};

export const importCommand = async (
  format: string,
  source: string,
  options: ImportSourceOptions & { out?: string | undefined; bucket?: string | undefined; prefix?: string | undefined },
): Promise<number> => {
  if ((options.out === undefined) === (options.bucket === undefined)) {
    throw new InvalidInputError('import needs one destination: --out DIR, or --bucket NAME [--prefix PREFIX]');
  }
  if (options.out !== undefined && options.prefix !== undefined) {
    throw new InvalidInputError('--prefix goes with --bucket');
  }
  const sink =
    options.bucket === undefined
      ? folderSink(options.out ?? '.')
      : s3Sink(createS3Client(), options.bucket, asPrefix(options.prefix ?? DEFAULT_DOCUMENTS_PREFIX));
  const { written } = await importInto(format, source, sink, options);
  return written.length > 0 ? 0 : 1;
};
