/**
 * How far a run's OCR is, from what its batches leave in S3 (the same on AWS and locally): the plan's
 * Distributed Map items (`runs/<runId>/plan/ocr-items.json`: documents per batch) give the total, and
 * each batch result (`runs/<runId>/ocr/batch-<n>.json`, written by OcrBatch and CollectTextractJobs) the
 * documents done (OCR'd, from the cache, or quarantined), less those whose async Textract job is pending.
 * A complete batch's result never changes, so it is read once.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getBytesIfExists, getJson, listKeys } from '../aws/s3-objects';
import { ocrBatchFileSchema, ocrMapItemsFileSchema } from '../contracts/objects';
import { ocrMapItemsKey, ocrResultKey, runPrefix } from '../contracts/s3-layout';
import { parseOrThrow } from '../validation';

export interface OcrProgress {
  /** Documents the plan sent to OCR; undefined before the plan is written. */
  total: number | undefined;
  /** Documents whose OCR is over (words, a cache hit, or quarantined). */
  done: number;
  quarantined: number;
  cacheHits: number;
  batchesDone: number;
  batches: number | undefined;
}

interface BatchCount {
  done: number;
  quarantined: number;
  cacheHits: number;
  complete: boolean;
}

export class OcrProgressReader {
  private total: { documents: number; batches: number } | undefined;
  private readonly complete = new Map<string, BatchCount>();

  public constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly runId: string,
  ) {}

  private async readTotal(): Promise<{ documents: number; batches: number } | undefined> {
    if (this.total !== undefined) return this.total;
    const key = ocrMapItemsKey(runPrefix(this.runId));
    const bytes = await getBytesIfExists(this.s3, { bucket: this.bucket, key });
    if (bytes === undefined) return undefined;
    const items = parseOrThrow(ocrMapItemsFileSchema, JSON.parse(Buffer.from(bytes).toString('utf8')), key);
    this.total = { documents: items.reduce((sum, item) => sum + item.documents, 0), batches: items.length };
    return this.total;
  }

  private async readBatch(key: string): Promise<BatchCount> {
    const known = this.complete.get(key);
    if (known !== undefined) return known;
    const file = parseOrThrow(ocrBatchFileSchema, await getJson(this.s3, { bucket: this.bucket, key }), key);
    const count = {
      done: file.documents.length + file.quarantined.length,
      quarantined: file.quarantined.length,
      cacheHits: file.cacheHits,
      complete: file.pending.length === 0,
    };
    if (count.complete) this.complete.set(key, count);
    return count;
  }

  public async read(): Promise<OcrProgress> {
    const total = await this.readTotal();
    // The result keys' own prefix (`runs/<runId>/ocr/batch-`), so the Map's ResultWriter folder (`ocr-map/`) is not listed.
    const resultPrefix = ocrResultKey(runPrefix(this.runId), 0).replace(/\d+\.json$/, '');
    const keys = (await listKeys(this.s3, this.bucket, resultPrefix)).filter((key) => key.endsWith('.json'));
    const counts = await Promise.all(keys.map((key) => this.readBatch(key)));
    return {
      total: total?.documents,
      batches: total?.batches,
      done: counts.reduce((sum, c) => sum + c.done, 0),
      quarantined: counts.reduce((sum, c) => sum + c.quarantined, 0),
      cacheHits: counts.reduce((sum, c) => sum + c.cacheHits, 0),
      batchesDone: counts.filter((c) => c.complete).length,
    };
  }
}
