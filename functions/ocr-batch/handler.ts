/** OcrBatch: one Map iteration; OCR one batch of documents through the content-addressed cache. */
import { s3Client } from '../../src/aws/s3-client';
import { textractClient } from '../../src/aws/textract-client';
import { defineHandler } from '../../src/lambda/handler';
import { ocrBatchEventSchema } from '../../src/contracts/step-events';
import { ocrBatch } from '../../src/pipeline/ocr-batch';

export const handler = defineHandler('OcrBatch', ocrBatchEventSchema, (event) =>
  ocrBatch({ s3: s3Client(), textract: textractClient() }, event),
);
