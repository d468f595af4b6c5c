/**
 * Textract -> OCR words. Maps Textract's exceptions onto our typed errors: throttling stays a
 * ThrottlingError (the ASL retries it with backoff), a document Textract refuses is a BadDocumentError
 * (quarantined, the run goes on), anything else propagates unchanged.
 */
import { DetectDocumentTextCommand, type TextractClient } from '@aws-sdk/client-textract';
import { BadDocumentError, ThrottlingError } from '../errors';
import { blocksToOcrDocument, type OcrDocument } from '../textract';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
]);
const DOCUMENT_REFUSED = new Set([
  'UnsupportedDocumentException',
  'BadDocumentException',
  'DocumentTooLargeException',
  'InvalidParameterException',
]);

export const detectWords = async (
  textract: TextractClient,
  documentKey: string,
  bytes: Uint8Array,
): Promise<OcrDocument> => {
  try {
    const response = await textract.send(new DetectDocumentTextCommand({ Document: { Bytes: bytes } }));
    return blocksToOcrDocument(response.Blocks ?? []);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    const message = (error as { message?: string }).message ?? String(error);
    if (THROTTLING.has(name)) throw new ThrottlingError(`Textract throttled (${name}): ${message}`, { cause: error });
    if (DOCUMENT_REFUSED.has(name)) {
      throw new BadDocumentError(`Textract refused the document (${name}): ${message}`, documentKey, { cause: error });
    }
    throw error;
  }
};
