import * as z from 'zod';

/**
 * A Textract DetectDocumentText / GetDocumentTextDetection / AnalyzeDocument response as JSON (what the
 * console, the `aws textract` CLI and the SDK return): the fields `blocksToPages` reads are checked, the
 * rest of the response is let through (Textract adds fields over time).
 */
const pointSchema = z.looseObject({ X: z.number().optional(), Y: z.number().optional() });
const boundingBoxSchema = z.looseObject({
  Width: z.number().optional(),
  Height: z.number().optional(),
  Left: z.number().optional(),
  Top: z.number().optional(),
});
export const textractBlockSchema = z.looseObject({
  BlockType: z.string().optional(),
  Id: z.string().optional(),
  Text: z.string().optional(),
  Confidence: z.number().optional(),
  Page: z.number().int().positive().optional(),
  Geometry: z.looseObject({ BoundingBox: boundingBoxSchema.optional(), Polygon: z.array(pointSchema).optional() }).optional(),
  Relationships: z.array(z.looseObject({ Type: z.string().optional(), Ids: z.array(z.string()).optional() })).optional(),
});
export const textractResponseSchema = z.looseObject({ Blocks: z.array(textractBlockSchema) });
export type TextractResponse = z.infer<typeof textractResponseSchema>;
