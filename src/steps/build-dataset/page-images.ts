/**
 * Page images for LayoutLMv3 (execution input `dataset.pageImages`): each single-page PNG/JPEG document's
 * own bytes, copied (never decoded) to `datasets/<fingerprint>/images/<record id>.<ext>`, the name the
 * trainer's `images` channel expects (training-image/README.md). PDF and TIFF pages get no image (there is
 * no renderer in the Lambda): the trainer treats a record without an image as a blank page.
 *
 * Images are not part of the dataset fingerprint: they are a function of the documents' bytes, which the
 * fingerprint already covers (contentHash), so the same fingerprint always means the same images.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { copyObject, type S3Location } from '../../aws/s3-objects';
import { pageImageKey } from '../../contracts/s3-layout';
import { detectFileType } from '../../documents/file-type';

/** Extension per copied type; the trainer looks up `<record id>.png|.jpg|.jpeg`. */
const IMAGE_EXTENSIONS = { png: 'png', jpeg: 'jpg' } as const;

/** The first bytes of an object (enough for detectFileType's signatures). */
const headBytes = async (s3: S3Client, { bucket, key }: S3Location): Promise<Uint8Array> => {
  const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-1023' }));
  if (!result.Body) throw new Error(`Empty body for s3://${bucket}/${key}`);
  return result.Body.transformToByteArray();
};

export interface PageImageDocument {
  /** The record id of its single page (the document id). */
  id: string;
  key: string;
}

/**
 * Copies each PNG/JPEG document to its page-image key; the type is read from the content, as everywhere
 * in the pipeline. Returns how many images were written and the ids skipped (PDF/TIFF).
 */
export const writePageImages = async (
  s3: S3Client,
  bucket: string,
  datasetPrefix: string,
  documents: readonly PageImageDocument[],
): Promise<{ written: number; skipped: string[] }> => {
  const outcomes = await Promise.all(
    documents.map(async (doc) => {
      const type = detectFileType(await headBytes(s3, { bucket, key: doc.key }));
      if (type !== 'png' && type !== 'jpeg') return doc.id;
      await copyObject(s3, { bucket, key: doc.key }, { bucket, key: pageImageKey(datasetPrefix, doc.id, IMAGE_EXTENSIONS[type]) });
      return undefined;
    }),
  );
  const skipped = outcomes.filter((id): id is string => id !== undefined);
  return { written: documents.length - skipped.length, skipped };
};
