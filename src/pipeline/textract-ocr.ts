/**
 * Textract -> OCR words. The call goes through the run's TextractLimiter (TPS share, SDK retries with
 * jitter); Textract's exceptions map onto our typed errors: throttling left after the retries is a
 * ThrottlingError (the ASL retries it with backoff), a document Textract refuses is a BadDocumentError
 * (quarantined, the run goes on), anything else propagates unchanged.
 */
import { DetectDocumentTextCommand, type TextractClient } from '@aws-sdk/client-textract';
import { BadDocumentError } from '../errors';
import { blocksToOcrDocument, type OcrDocument } from '../textract';
import type { TextractLimiter } from '../textract/throughput';

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
  limiter: TextractLimiter,
): Promise<OcrDocument> => {
  try {
    const command = new DetectDocumentTextCommand({ Document: { Bytes: bytes } });
    const response = await limiter.send(textract, 'DetectDocumentText', command);
    return blocksToOcrDocument(response.Blocks ?? []);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    const message = (error as { message?: string }).message ?? String(error);
    if (DOCUMENT_REFUSED.has(name)) {
      throw new BadDocumentError(`Textract refused the document (${name}): ${message}`, documentKey, { cause: error });
    }
    throw error;
  }
};
