/** OcrBatch: one Map iteration; OCR one batch of documents through the content-addressed cache. */
import { z } from 'zod';
import { s3Client, textractClient } from '../../src/aws/clients';
import { defineHandler } from '../../src/lambda/handler';
import { ocrBatch } from '../../src/pipeline/ocr-batch';
import { textractTpsSchema } from '../../src/textract/throughput';

const eventSchema = z.strictObject({
  bucket: z.string().min(3),
  runId: z.string().min(1),
  runPrefix: z.string().min(1),
  batchIndex: z.number().int().min(0),
  /** This iteration's share of the Textract quotas (config.dataset.textractTpsPerBatch). */
  textractTps: textractTpsSchema,
});

export const handler = defineHandler('OcrBatch', eventSchema, (event) =>
  ocrBatch({ s3: s3Client(), textract: textractClient() }, event),
);
