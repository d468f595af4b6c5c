/** The Textract Block shape the local OCR engine answers with (the subset DetectDocumentText returns: PAGE, LINE, WORD). */
export interface Point {
  X: number;
  Y: number;
}
export interface TextractBlock {
  BlockType: 'PAGE' | 'LINE' | 'WORD';
  Id: string;
  Confidence?: number;
  Text?: string;
  TextType?: 'PRINTED';
  Geometry: { BoundingBox: { Width: number; Height: number; Left: number; Top: number }; Polygon: Point[] };
  Relationships?: { Type: 'CHILD'; Ids: string[] }[];
  Page: number;
}
