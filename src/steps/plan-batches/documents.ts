/** Which objects under the documents prefix are documents, and where their annotations are. */
import path from 'node:path/posix';
import type { DocumentRef, QuarantineEntry } from '../../contracts/objects';
import { ANNOTATION_EXTENSION, annotationKeyFor, documentIdFor } from '../../contracts/s3-layout';

/**
 * Names listed as documents. The name only selects candidates: what a file is, and whether Textract can
 * read it, is decided by its bytes in OcrBatch (src/documents), so a mislabelled file is caught there.
 */
export const SUPPORTED_DOCUMENT_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.pdf', '.tif', '.tiff'] as const;

export interface DocumentListing {
  documents: DocumentRef[];
  quarantined: QuarantineEntry[];
}

/**
 * Pairs documents with their annotations. Anything else under the prefix is quarantined with a reason
 * rather than silently ignored, so the user sees every file that did not make it into the dataset.
 */
export const pairDocuments = (keys: readonly string[], documentsPrefix: string): DocumentListing => {
  const keySet = new Set(keys);
  const documents: DocumentRef[] = [];
  const quarantined: QuarantineEntry[] = [];
  const annotationsUsed = new Set<string>();
  const documentByAnnotation = new Map<string, DocumentRef>();
  for (const key of keys) {
    if (key.endsWith('/')) continue; // folder placeholder objects
    const extension = path.extname(key).toLowerCase();
    if (extension === ANNOTATION_EXTENSION) continue;
    if (!(SUPPORTED_DOCUMENT_EXTENSIONS as readonly string[]).includes(extension)) {
      quarantined.push({
        documentKey: key,
        stage: 'plan',
        reason: `unsupported document type "${extension || '(none)'}": supported are ${SUPPORTED_DOCUMENT_EXTENSIONS.join(', ')}; convert it or move it out of ${documentsPrefix}`,
      });
      continue;
    }
    const annotationKey = annotationKeyFor(key);
    if (!keySet.has(annotationKey)) {
      quarantined.push({
        documentKey: key,
        stage: 'plan',
        reason: `no annotation: expected ${annotationKey} beside the document (see docs/CONTRACTS.md section 1)`,
      });
      continue;
    }
    const sharing = documentByAnnotation.get(annotationKey);
    if (sharing !== undefined) {
      // Same base name (e.g. a.png and a.jpg): one annotation, one document id; two would collide in the dataset.
      quarantined.push({
        documentKey: key,
        stage: 'plan',
        reason: `${sharing.key} already uses ${annotationKey} (same base name, so the same document id); rename one of them`,
      });
      continue;
    }
    annotationsUsed.add(annotationKey);
    const document = { id: documentIdFor(key, documentsPrefix), key, annotationKey };
    documentByAnnotation.set(annotationKey, document);
    documents.push(document);
  }
  for (const key of keys) {
    if (path.extname(key).toLowerCase() === ANNOTATION_EXTENSION && !annotationsUsed.has(key)) {
      quarantined.push({ documentKey: key, stage: 'plan', reason: 'annotation without a document beside it' });
    }
  }
  return { documents, quarantined };
};

export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
};
