/**
 * Uploads imported documents (any importer's output: a file on disk + its contract 1 annotation) to the
 * documents prefix of a bucket: `<prefix><id><ext>` beside `<prefix><id>.json`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { putBody } from '../src/aws/s3-objects';
import type { ImportedDocument } from '../src/importers/sroie';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

/** Uploads each document and its annotation; returns the document keys in upload order. */
export const uploadDocuments = async (
  s3: S3Client,
  bucket: string,
  documents: Iterable<ImportedDocument> | AsyncIterable<ImportedDocument>,
  prefix = 'documents/',
): Promise<string[]> => {
  const keys: string[] = [];
  for await (const document of documents) {
    const ext = path.extname(document.documentPath).toLowerCase();
    const key = `${prefix}${document.id}${ext}`;
    await putBody(s3, { bucket, key }, await readFile(document.documentPath), CONTENT_TYPES[ext] ?? 'application/octet-stream');
    await putBody(s3, { bucket, key: `${prefix}${document.id}.json` }, JSON.stringify(document.annotation), 'application/json');
    keys.push(key);
  }
  return keys;
};
