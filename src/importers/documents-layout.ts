/**
 * Writes imported documents in the documents layout the pipeline reads (docs/CONTRACTS.md section 1):
 * `<id>.<ext>` (the document's own bytes, its extension lower-cased) with `<id>.json` beside it, into a
 * local folder or under an S3 prefix. Each annotation is parsed against contract 1 before it is written.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { putBody } from '../aws/s3-objects';
import { annotationSchema } from '../contracts/annotation';
import { InvalidInputError } from '../contracts/errors';
import { annotationKeyFor, documentKey } from '../contracts/s3-layout';
import { describeIssues } from '../validation';
import type { ImportedDocument } from './types';

export interface DocumentsSink {
  /** Where the objects go, for messages (`./out/` or `s3://bucket/prefix/`). */
  readonly where: string;
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.pdf': 'application/pdf',
};

/** Content type of a document by its extension (S3 metadata only: the pipeline reads the bytes). */
export const contentTypeFor = (key: string): string => CONTENT_TYPES[path.extname(key).toLowerCase()] ?? 'application/octet-stream';

export const folderSink = (dir: string): DocumentsSink => ({
  where: `${path.resolve(dir)}${path.sep}`,
  put: async (key, body) => {
    const target = path.join(dir, ...key.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, body);
  },
});

export const s3Sink = (s3: S3Client, bucket: string, prefix: string): DocumentsSink => ({
  where: `s3://${bucket}/${prefix}`,
  put: (key, body, contentType) => putBody(s3, { bucket, key: `${prefix}${key}` }, body, contentType),
});

/** Ids become keys and file names: relative, `/`-separated, no `.`/`..` segments, no backslash. */
function checkId(id: string): void {
  const segments = id.split('/');
  if (id === '' || id.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidInputError(`document id ${JSON.stringify(id)} cannot name a file in the documents layout`);
  }
}

export interface WrittenDocument {
  readonly id: string;
  readonly documentKey: string;
  readonly annotationKey: string;
}

export async function writeDocumentsLayout(
  documents: Iterable<ImportedDocument> | AsyncIterable<ImportedDocument>,
  sink: DocumentsSink,
  onWritten: (written: WrittenDocument) => void = () => undefined,
): Promise<WrittenDocument[]> {
  const written: WrittenDocument[] = [];
  const seen = new Map<string, string>();
  for await (const document of documents) {
    checkId(document.id);
    const earlier = seen.get(document.id);
    if (earlier !== undefined) {
      throw new InvalidInputError(`two documents would both be "${document.id}": ${earlier} and ${document.documentPath}; rename one`);
    }
    seen.set(document.id, document.documentPath);
    const annotation = annotationSchema.safeParse(document.annotation);
    if (!annotation.success) {
      throw new InvalidInputError(
        `the annotation imported for ${document.documentPath} breaks the contract: ${describeIssues(annotation.error.issues)}`,
      );
    }
    const extension = path.extname(document.documentPath).toLowerCase();
    const key = documentKey('', document.id, extension);
    const entry = { id: document.id, documentKey: key, annotationKey: annotationKeyFor(key) };
    await sink.put(entry.documentKey, await readFile(document.documentPath), contentTypeFor(entry.documentKey));
    await sink.put(entry.annotationKey, `${JSON.stringify(annotation.data, null, 2)}\n`, 'application/json');
    written.push(entry);
    onWritten(entry);
  }
  return written;
}
