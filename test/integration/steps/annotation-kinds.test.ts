/**
 * The three annotation kinds through the real steps (PlanBatches -> OcrBatch -> BuildDataset) on a local
 * S3 and the local Textract: the same receipts annotated as key fields, as labelled boxes and as labelled
 * words (with boxes, and by text only) give the same BIO labels.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateReceipts, type SyntheticReceipt } from '../../../local/synth';
import { getBytes, getJson, parseS3Uri } from '../../../src/aws/s3-objects';
import type { Annotation, LabelledBox, LabelledWord, PageBox } from '../../../src/dataset/index';
import { buildDatasetStep } from '../../../src/steps/build-dataset/step';
import { ocrBatch } from '../../../src/steps/ocr-batch/step';
import { planBatches } from '../../../src/steps/plan-batches/step';
import { startLocalTextract, type LocalTextract } from '../../../local/textract';
import { startLocalS3, type LocalS3 } from '../../unit/local/helpers';
import { datasetManifestSchema, datasetRecordSchema, type DatasetRecord } from '../../../src/contracts/objects';
import { localClientConfig } from '../../../local/clients';

const BUCKET = 'annotation-kinds-test';

let s3: LocalS3;
let textract: LocalTextract;
let textractClient: TextractClient;
let receipts: SyntheticReceipt[];

const put = (key: string, body: string | Uint8Array): Promise<unknown> =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

/** Uploads the receipts with the given annotations under `prefix` and runs the data preparation steps. */
const prepare = async (runId: string, prefix: string, annotationOf: (receipt: SyntheticReceipt) => Annotation) => {
  for (const receipt of receipts) {
    await put(`${prefix}${receipt.id}.png`, receipt.png);
    await put(`${prefix}${receipt.id}.json`, JSON.stringify(annotationOf(receipt)));
  }
  const params = { bucket: BUCKET, runId, runPrefix: `runs/${runId}/` };
  const plan = await planBatches(s3.client, { ...params, documentsPrefix: prefix, batchSize: 10 });
  for (let batchIndex = 0; batchIndex < plan.batchCount; batchIndex += 1)
    await ocrBatch({ s3: s3.client, textract: textractClient }, { ...params, batchIndex });
  const dataset = await buildDatasetStep(s3.client, {
    ...params,
    batchCount: plan.batchCount,
    validationFraction: 0.34,
    maxQuarantineShare: 0.25,
    pageImages: false,
    locale: null,
    fieldNames: {},
    task: null,
    classes: null,
    modelChannelUri: null,
    champion: null,
  });
  const records = new Map<string, DatasetRecord>();
  for (const uri of [dataset.trainS3Uri, dataset.validationS3Uri]) {
    const { key } = parseS3Uri(uri);
    const body = Buffer.from(await getBytes(s3.client, { bucket: BUCKET, key: `${key}00000.jsonl` })).toString('utf8');
    for (const line of body.split('\n').filter((l) => l !== '')) {
      const record = datasetRecordSchema.parse(JSON.parse(line));
      records.set(record.id, record);
    }
  }
  const manifest = datasetManifestSchema.parse(await getJson(s3.client, parseS3Uri(dataset.manifestS3Uri)));
  return { records, manifest };
};

/** Entities of a labelled record: [label key, word indexes] per B-/I- run. */
const entities = (record: DatasetRecord): [string, number[]][] => {
  const out: [string, number[]][] = [];
  record.labels.forEach((tag, index) => {
    if (tag.startsWith('B-')) out.push([tag.slice(2).toLowerCase(), [index]]);
    else if (tag.startsWith('I-')) out.at(-1)?.[1].push(index);
  });
  return out;
};

const ratios = (box: readonly number[], pad = 0): PageBox => {
  const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = box;
  const left = Math.max(0, x0 - pad) / 1000;
  const top = Math.max(0, y0 - pad) / 1000;
  return { left, top, width: Math.min(1000, x1 + pad) / 1000 - left, height: Math.min(1000, y1 + pad) / 1000 - top };
};

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  textract = await startLocalTextract({ s3: s3.client });
  textractClient = new TextractClient(localClientConfig(textract.endpoint));
  receipts = await generateReceipts({ count: 3, seed: 23 });
}, 60_000);

afterAll(async () => {
  textractClient?.destroy();
  await textract?.close();
  await s3?.close();
});

describe('annotation kinds through the data preparation steps', { timeout: 60_000 }, () => {
  it('labels the same words whether a receipt is annotated by fields, boxes or words', async () => {
    // Prepare: the key-field run gives the reference labels and the OCR words (cached by content hash)
    const reference = await prepare('kinds-fields', 'fields/', (receipt) => receipt.annotation);
    const spansOf = new Map(receipts.map((r) => [r.id, entities(reference.records.get(r.id) as DatasetRecord)]));
    const boxesOf = (receipt: SyntheticReceipt): Annotation => {
      const record = reference.records.get(receipt.id) as DatasetRecord;
      const boxes: LabelledBox[] = (spansOf.get(receipt.id) ?? []).map(([label, indexes]) => {
        const boxes = indexes.map((i) => record.bboxes[i] as number[]);
        const union = [
          Math.min(...boxes.map((b) => b[0] as number)),
          Math.min(...boxes.map((b) => b[1] as number)),
          Math.max(...boxes.map((b) => b[2] as number)),
          Math.max(...boxes.map((b) => b[3] as number)),
        ];
        return { label, box: ratios(union, 2) };
      });
      return { schemaVersion: 1, boxes };
    };
    const wordsOf =
      (withBoxes: boolean) =>
      (receipt: SyntheticReceipt): Annotation => {
        const record = reference.records.get(receipt.id) as DatasetRecord;
        const words: LabelledWord[] = (spansOf.get(receipt.id) ?? []).flatMap(([label, indexes], entity) =>
          indexes.map((i) => ({
            text: record.words[i] as string,
            label,
            entity,
            ...(withBoxes ? { box: ratios(record.bboxes[i] as number[]) } : {}),
          })),
        );
        return { schemaVersion: 1, words };
      };

    // Act
    const boxes = await prepare('kinds-boxes', 'boxes/', boxesOf);
    const boxedWords = await prepare('kinds-words', 'words/', wordsOf(true));
    const textWords = await prepare('kinds-text', 'text/', wordsOf(false));

    // Assess
    expect([...spansOf.values()].flat().length).toBeGreaterThan(10);
    for (const receipt of receipts) {
      const want = reference.records.get(receipt.id)?.labels;
      expect(boxes.records.get(receipt.id)?.labels, `boxes ${receipt.id}`).toEqual(want);
      expect(boxedWords.records.get(receipt.id)?.labels, `words ${receipt.id}`).toEqual(want);
      expect(textWords.records.get(receipt.id)?.labels, `text-only words ${receipt.id}`).toEqual(want);
    }
    for (const run of [boxes, boxedWords, textWords]) {
      expect(run.manifest.unaligned).toEqual([]);
      expect(run.manifest.quarantined).toEqual([]);
    }
  });
});
