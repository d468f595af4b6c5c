/**
 * Textract's fixed limits, checked before a document is sent (a refusal would cost a call and tell the
 * user less). Source: https://docs.aws.amazon.com/textract/latest/dg/limits-document.html
 *  - synchronous (DetectDocumentText): JPEG, PNG, PDF, TIFF up to 10 MB; PDF and TIFF 1 page;
 *  - asynchronous (StartDocumentTextDetection): JPEG and PNG up to 10 MB; PDF and TIFF up to 500 MB
 *    and 3,000 pages.
 * Route: images and one-page PDF/TIFF up to 10 MB go the synchronous way; PDF/TIFF with more pages, or
 * one page over 10 MB, the asynchronous way.
 */
import type { DocumentFileType } from './file-type';

const MB = 1024 * 1024;

export const TEXTRACT_LIMITS = {
  sync: { maxBytes: 10 * MB, maxPages: 1 },
  async: { maxBytes: 500 * MB, maxPages: 3000, maxImageBytes: 10 * MB },
} as const;

export type TextractApi = 'sync' | 'async';

export type TextractRoute = { readonly ok: true; readonly api: TextractApi } | { readonly ok: false; readonly reason: string };

const size = (bytes: number): string => (bytes >= MB ? `${(bytes / MB).toFixed(1)} MB` : `${bytes} bytes`);

export const routeForTextract = (document: {
  readonly type: DocumentFileType;
  readonly pages: number;
  readonly byteLength: number;
}): TextractRoute => {
  const { type, pages, byteLength } = document;
  if (type === 'png' || type === 'jpeg') {
    if (byteLength > TEXTRACT_LIMITS.sync.maxBytes) {
      return {
        ok: false,
        reason: `the ${type.toUpperCase()} image is ${size(byteLength)}, over Textract's 10 MB limit for images: downscale or recompress it`,
      };
    }
    return { ok: true, api: 'sync' };
  }
  const label = type.toUpperCase();
  if (pages > TEXTRACT_LIMITS.async.maxPages) {
    return { ok: false, reason: `the ${label} has ${pages} pages, over Textract's limit of 3,000 pages: split it` };
  }
  if (byteLength > TEXTRACT_LIMITS.async.maxBytes) {
    return { ok: false, reason: `the ${label} is ${size(byteLength)}, over Textract's 500 MB limit: split or compress it` };
  }
  if (pages <= TEXTRACT_LIMITS.sync.maxPages && byteLength <= TEXTRACT_LIMITS.sync.maxBytes) return { ok: true, api: 'sync' };
  return { ok: true, api: 'async' };
};
