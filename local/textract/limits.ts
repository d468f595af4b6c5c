/**
 * Amazon Textract's fixed document limits, checked on the bytes before anything is decoded, with the error
 * names the service documents (API_DetectDocumentText "Errors"; limits from "Set Quotas in Amazon
 * Textract", https://docs.aws.amazon.com/textract/latest/dg/limits-document.html):
 * - file size: 10 MB for synchronous operations and for JPEG/PNG in asynchronous ones -> DocumentTooLargeException;
 * - image size: "images with a resolution less than or equal to 10000 pixels on all sides" -> BadDocumentException
 *   (the error the API reference ties to the hard limits: "Amazon Textract isn't able to read the document. For
 *   more information on the document limits ...");
 * - formats: JPEG, PNG, PDF, TIFF, recognised by their magic numbers (src/documents/file-type.ts) ->
 *   UnsupportedDocumentException otherwise;
 * - empty bytes: the API's `Bytes` has a minimum length of 1 -> InvalidParameterException.
 * "The minimum height for text to be detected is 15 pixels" is not an error: see preprocess.ts (small text is
 * upscaled for tesseract instead of being dropped).
 *
 * The pixel size comes from the file header only (`image-size`), so an oversized image is refused without
 * allocating its pixels: a 12000x12000 PNG is a few MB on disk and 576 MB decoded.
 */
import { imageSize } from 'image-size';
import { detectFileType } from '../../src/documents/file-type';
import { TEXTRACT_LIMITS } from '../../src/documents/textract-limits';
import { JsonProtocolError } from '../http/json-protocol-server';

export const MAX_SYNC_DOCUMENT_BYTES = TEXTRACT_LIMITS.sync.maxBytes;
export const MAX_IMAGE_SIDE_PX = 10_000;

/** Refuse what Textract refuses by size before reading anything else. */
export const checkDocumentBytes = (bytes: Uint8Array, maxBytes = MAX_SYNC_DOCUMENT_BYTES): void => {
  if (bytes.length === 0) throw new JsonProtocolError('InvalidParameterException', 'Document.Bytes must not be empty');
  if (bytes.length > maxBytes) {
    throw new JsonProtocolError(
      'DocumentTooLargeException',
      `Document size ${bytes.length} bytes is larger than the ${maxBytes / (1024 * 1024)} MB limit`,
    );
  }
};

export interface ImageHeader {
  format: 'png' | 'jpeg';
  /** Pixel size as stored (before any EXIF orientation). */
  width: number;
  height: number;
}

/**
 * Check one raster page (PNG or JPEG) against the limits from its header. Throws the service's error;
 * returns the stored pixel size. PDF and TIFF are not raster pages here: their pages are decoded first.
 */
export const checkImageLimits = (bytes: Uint8Array): ImageHeader => {
  checkDocumentBytes(bytes);
  const format = detectFileType(bytes);
  if (format !== 'png' && format !== 'jpeg') {
    throw new JsonProtocolError('UnsupportedDocumentException', 'Request has unsupported document format');
  }
  let size: { width: number; height: number };
  try {
    size = imageSize(bytes);
  } catch {
    throw new JsonProtocolError('BadDocumentException', 'Unable to decode the document: the image header is corrupt or truncated');
  }
  if (!(size.width > 0 && size.height > 0)) {
    throw new JsonProtocolError('BadDocumentException', 'Unable to decode the document: the image has no pixels');
  }
  if (size.width > MAX_IMAGE_SIDE_PX || size.height > MAX_IMAGE_SIDE_PX) {
    throw new JsonProtocolError(
      'BadDocumentException',
      `Unable to process the document: the image is ${size.width}x${size.height} pixels; Amazon Textract supports images of at most ${MAX_IMAGE_SIDE_PX} pixels on each side`,
    );
  }
  return { format, width: size.width, height: size.height };
};
