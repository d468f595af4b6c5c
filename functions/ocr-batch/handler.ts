/** OcrBatch: one Map iteration; OCR one batch of documents through the content-addressed cache. */
import { s3Client } from '../../src/aws/s3-client';
import { textractClient } from '../../src/aws/textract-client';
import { defineHandler } from '../../src/lambda/handler';
import { ocrBatch, ocrBatchParamsSchema } from '../../src/pipeline/ocr-batch';

/** The Map passes each iteration its share of the Textract quotas: required here. */
const eventSchema = ocrBatchParamsSchema.required({ textractTps: true });

export const handler = defineHandler('OcrBatch', eventSchema, (event) =>
  ocrBatch({ s3: s3Client(), textract: textractClient() }, event),
);
