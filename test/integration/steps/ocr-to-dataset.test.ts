/**
 * PlanBatches -> OcrBatch -> BuildDataset against a real local S3 (s3rver) and the local Textract
 * (tesseract.js behind the Textract wire protocol), with rendered synthetic receipts and a few bad inputs.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { generateReceipts } from '../../../local/synth';
import { startLocalTextract, type LocalTextract } from '../../../local/textract';
import { listKeys } from '../../../src/aws/s3-objects';
import { EmptyDatasetError, QuarantineShareExceededError } from '../../../src/contracts/errors';
import { buildDatasetStep } from '../../../src/steps/build-dataset/step';
import { metricDefinitionsForLabels } from '../../../src/contracts/metric-line';
import { ocrBatch, sha256 } from '../../../src/steps/ocr-batch/step';
import { planBatches } from '../../../src/steps/plan-batches/step';
import { ocrDocumentSchema } from '../../../src/textract';
import { startLocalS3, type LocalS3 } from '../../unit/local/helpers';
import {
  batchFileSchema,
  datasetLabelsSchema,
  datasetManifestSchema,
  datasetRecordSchema,
  ocrBatchFileSchema,
  ocrMapItemsFileSchema,
  planQuarantineFileSchema,
  quarantineReasonSchema,
} from '../../../src/contracts/objects';
import {
  runManifestKey,
  ocrCacheKey,
  ocrResultKey,
  batchKey,
  planQuarantineKey,
  ocrMapItemsKey,
  ocrMapResultsPrefix,
} from '../../../src/contracts/s3-layout';
import { datasetPointersSchema, type DatasetPointers } from '../../../src/steps/build-dataset/schema';
import { ocrBatchSummarySchema, type OcrBatchSummary } from '../../../src/steps/ocr-batch/schema';
import { planResultSchema, type PlanResult } from '../../../src/steps/plan-batches/schema';
import { localClientConfig } from '../../../local/clients';

const BUCKET = 'pipeline-steps-test';
const RUN = 'run-1';
const RUN2 = 'run-2';
const PREFIX = 'documents/';

let s3: LocalS3;
let textract: LocalTextract;
let textractClient: TextractClient;
let receiptIds: string[];
let corruptPng: Buffer;

const put = (key: string, body: string | Uint8Array): Promise<unknown> =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
const getText = async (key: string): Promise<string> =>
  (await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ?? '';
/** Every object the steps write is read back through its contract's schema. */
const read = async <S extends z.ZodType>(key: string, schema: S): Promise<z.output<S>> => schema.parse(JSON.parse(await getText(key)));
const remove = (key: string): Promise<unknown> => s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
const deps = () => ({ s3: s3.client, textract: textractClient });
const runParams = (runId: string) => ({ bucket: BUCKET, runId, runPrefix: `runs/${runId}/` });

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  textract = await startLocalTextract({ s3: s3.client });
  textractClient = new TextractClient(localClientConfig(textract.endpoint));
  const receipts = await generateReceipts({ count: 3, seed: 11 });
  receiptIds = receipts.map((r) => r.id);
  for (const receipt of receipts) {
    await put(`${PREFIX}${receipt.id}.png`, receipt.png);
    await put(`${PREFIX}${receipt.id}.json`, JSON.stringify(receipt.annotation));
  }
  const first = receipts[0];
  if (!first) throw new Error('no receipt rendered');
  // A PNG that starts right and then stops: Textract cannot decode it.
  corruptPng = first.png.subarray(0, 200);
  await put(`${PREFIX}corrupt.png`, corruptPng);
  await put(`${PREFIX}corrupt.json`, JSON.stringify(first.annotation));
  // A good image whose annotation breaks contract 1 (a field key that is not snake_case).
  await put(`${PREFIX}bad-annotation.png`, first.png);
  await put(`${PREFIX}bad-annotation.json`, JSON.stringify({ schemaVersion: 1, fields: { 'Total Amount': '8.32' } }));
  // Rejected at planning: unsupported type, image without annotation, annotation without image.
  await put(`${PREFIX}notes.txt`, 'not a document');
  await put(`${PREFIX}lonely.png`, first.png);
  await put(`${PREFIX}orphan.json`, JSON.stringify(first.annotation));
}, 30_000);

afterAll(async () => {
  textractClient?.destroy();
  await textract?.close();
  await s3?.close();
});

describe('pipeline steps on local S3 + local Textract', { timeout: 120_000 }, () => {
  let plan: PlanResult;
  let batches: number[];
  let summaries: OcrBatchSummary[];
  let dataset: DatasetPointers;

  it('PlanBatches writes batch lists and quarantines what cannot be used', async () => {
    // Act
    plan = planResultSchema.parse(await planBatches(s3.client, { ...runParams(RUN), documentsPrefix: PREFIX, batchSize: 2 }));
    // Assess: 5 paired documents (3 receipts, corrupt, bad-annotation) in batches of 2.
    expect(plan.documentCount).toBe(5);
    expect(plan.quarantinedCount).toBe(3);
    // Only a pointer and counts travel through the state; the OCR Map's items (one per batch) are in S3.
    expect(plan).toEqual({
      itemsKey: ocrMapItemsKey(`runs/${RUN}/`),
      resultsPrefix: ocrMapResultsPrefix(`runs/${RUN}/`),
      batchCount: 3,
      documentCount: 5,
      quarantinedCount: 3,
    });
    const items = await read(plan.itemsKey, ocrMapItemsFileSchema);
    expect(items).toEqual([
      { batchIndex: 0, documents: 2 },
      { batchIndex: 1, documents: 2 },
      { batchIndex: 2, documents: 1 },
    ]);
    batches = items.map((item) => item.batchIndex);
    expect(batchKey(`runs/${RUN}/`, 2)).toBe(`runs/${RUN}/batches/batch-00002.json`);
    expect(await listKeys(s3.client, BUCKET, `runs/${RUN}/batches/`)).toEqual(batches.map((i) => batchKey(`runs/${RUN}/`, i)));
    const batchFiles = await Promise.all(batches.map((i) => read(batchKey(`runs/${RUN}/`, i), batchFileSchema)));
    expect(batchFiles.map((f) => [f.schemaVersion, f.batchIndex])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    const batchDocs = batchFiles.map((f) => f.documents);
    expect(batchDocs.map((docs) => docs.length)).toEqual([2, 2, 1]);
    expect(
      batchDocs
        .flat()
        .map((d) => d.id)
        .sort(),
    ).toEqual(['bad-annotation', 'corrupt', ...receiptIds].sort());
    const planQuarantine = await read(planQuarantineKey(`runs/${RUN}/`), planQuarantineFileSchema);
    expect(planQuarantine.map((q) => q.documentKey).sort()).toEqual([`${PREFIX}lonely.png`, `${PREFIX}notes.txt`, `${PREFIX}orphan.json`]);
    // Each rejected file is copied under quarantine/<runId>/ with its reason beside it.
    const reason = await read(`quarantine/${RUN}/${PREFIX}notes.txt.reason.json`, quarantineReasonSchema);
    expect(reason).toMatchObject({ documentKey: `${PREFIX}notes.txt`, stage: 'plan', runId: RUN });
    expect(reason.reason).toContain('unsupported document type ".txt"');
    expect(await getText(`quarantine/${RUN}/${PREFIX}notes.txt`)).toBe('not a document');
  });

  it("OcrBatch quarantines a corrupt PNG and a bad annotation with reasons while the rest is OCR'd", async () => {
    // Act
    summaries = [];
    for (const batchIndex of batches)
      summaries.push(ocrBatchSummarySchema.parse(await ocrBatch(deps(), { ...runParams(RUN), batchIndex })));
    // Assess
    expect(summaries.map((s) => [s.batchIndex, s.resultKey])).toEqual(batches.map((i) => [i, ocrResultKey(`runs/${RUN}/`, i)]));
    const total = (key: keyof OcrBatchSummary) => summaries.reduce((sum, s) => sum + Number(s[key]), 0);
    expect(total('documents')).toBe(3);
    expect(total('quarantined')).toBe(2);
    expect(total('cacheHits')).toBe(0);
    expect(total('pagesBilled')).toBe(3);
    const files = await Promise.all(summaries.map((s) => read(s.resultKey, ocrBatchFileSchema)));
    const quarantined = files.flatMap((f) => f.quarantined);
    const corrupt = quarantined.find((q) => q.documentKey === `${PREFIX}corrupt.png`);
    expect(corrupt?.stage).toBe('ocr');
    // Found by its bytes before Textract is paid: the PNG stops before its IEND chunk.
    expect(corrupt?.reason).toMatch(/PNG is truncated/);
    const badAnnotation = quarantined.find((q) => q.documentKey === `${PREFIX}bad-annotation.png`);
    expect(badAnnotation?.stage).toBe('annotation');
    expect(badAnnotation?.reason).toContain(`annotation ${PREFIX}bad-annotation.json is invalid`);
    expect(badAnnotation?.reason).toContain('fields.Total Amount');
    // The copies and reasons are in quarantine/<runId>/; the originals stay where they were.
    const corruptCopy = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `quarantine/${RUN}/${PREFIX}corrupt.png` }));
    expect(Buffer.from((await corruptCopy.Body?.transformToByteArray()) ?? [])).toEqual(corruptPng);
    expect(await read(`quarantine/${RUN}/${PREFIX}bad-annotation.png.reason.json`, quarantineReasonSchema)).toMatchObject({
      documentKey: `${PREFIX}bad-annotation.png`,
      stage: 'annotation',
      runId: RUN,
    });
    expect(await listKeys(s3.client, BUCKET, `${PREFIX}corrupt.png`)).toEqual([`${PREFIX}corrupt.png`]);
    // The OCR of each good document is cached by the hash of its bytes (contract 2).
    const docs = files.flatMap((f) => f.documents);
    expect(docs.map((d) => d.id).sort()).toEqual([...receiptIds].sort());
    for (const doc of docs) {
      expect(doc.ocrKey).toBe(ocrCacheKey(doc.contentHash));
      const cached = await read(doc.ocrKey, ocrDocumentSchema);
      expect(cached.schemaVersion).toBe(1);
      expect(cached.engine).toBe(`textract:DetectDocumentText local ${textract.engine}`);
      expect(cached.pages[0]?.words.length).toBeGreaterThan(10);
      for (const word of cached.pages[0]?.words ?? []) {
        expect(word.box).toHaveLength(4);
        for (const v of word.box) expect(Number.isInteger(v) && v >= 0 && v <= 1000).toBe(true);
      }
    }
  });

  it('a second OCR of the same bytes is a cache hit: nothing billed', async () => {
    // Prepare: a new run over the same documents.
    const plan2 = await planBatches(s3.client, { ...runParams(RUN2), documentsPrefix: PREFIX, batchSize: 10 });
    // Act
    const summary = await ocrBatch(deps(), { ...runParams(RUN2), batchIndex: 0 });
    // Assess
    expect(plan2).toMatchObject({ batchCount: 1, documentCount: 5 });
    expect(summary).toMatchObject({ documents: 3, quarantined: 2, cacheHits: 3, pagesBilled: 0 });
    const file = await read(summary.resultKey, ocrBatchFileSchema);
    expect(file.documents.every((d) => d.cacheHit)).toBe(true);
  });

  it('the cache is keyed by content: the same bytes under another name are a hit too', async () => {
    // Prepare: bad-annotation.png has the same bytes as the first receipt; give it a valid annotation.
    const first = (await generateReceipts({ count: 1, seed: 11 }))[0];
    if (!first) throw new Error('no receipt rendered');
    await put('copies/dup.png', first.png);
    await put('copies/dup.json', JSON.stringify(first.annotation));
    const plan3 = await planBatches(s3.client, { ...runParams('run-3'), documentsPrefix: 'copies/', batchSize: 10 });
    // Act
    const summary = await ocrBatch(deps(), { ...runParams('run-3'), batchIndex: 0 });
    // Assess
    expect(plan3).toMatchObject({ batchCount: 1, documentCount: 1 });
    expect(summary).toMatchObject({ documents: 1, cacheHits: 1, pagesBilled: 0 });
    const file = await read(summary.resultKey, ocrBatchFileSchema);
    expect(file.documents[0]?.contentHash).toBe(sha256(first.png));
  });

  it('BuildDataset writes the contract-3 files under datasets/<fingerprint>/', async () => {
    // Act
    dataset = datasetPointersSchema.parse(
      await buildDatasetStep(s3.client, {
        ...runParams(RUN),
        batchCount: plan.batchCount,
        validationFraction: 0.34,
        maxQuarantineShare: 1,
        pageImages: false,
        locale: null,
        fieldNames: {},
        task: null,
        classes: null,
        modelChannelUri: null,
        champion: null,
      }),
    );
    // Assess: pointers
    const prefix = `datasets/${dataset.fingerprint}/`;
    expect(dataset.fingerprint).toMatch(/^[0-9a-f]{8,}$/);
    expect(dataset).toMatchObject({
      prefix: `s3://${BUCKET}/${prefix}`,
      trainS3Uri: `s3://${BUCKET}/${prefix}train-`,
      validationS3Uri: `s3://${BUCKET}/${prefix}validation-`,
      labelsS3Uri: `s3://${BUCKET}/${prefix}labels.json`,
      manifestS3Uri: `s3://${BUCKET}/${prefix}manifest.json`,
      runManifestS3Uri: `s3://${BUCKET}/runs/${RUN}/dataset-manifest.json`,
      counts: { documents: 3, quarantined: 5 },
      metricFieldsOmitted: [],
    });
    // The job's MetricDefinitions name this dataset's fields (labels.json), each with its champion figure.
    const labelList = (await read(`${prefix}labels.json`, datasetLabelsSchema)).labels;
    expect(dataset.metricDefinitions).toEqual(metricDefinitionsForLabels(labelList).metricDefinitions);
    expect(dataset.metricDefinitions.map((d) => d.Name)).toEqual(
      expect.arrayContaining(['val_f1', 'val_exact_total', 'champion_val_exact_total']),
    );
    expect(runManifestKey(`runs/${RUN}/`)).toBe(`runs/${RUN}/dataset-manifest.json`);
    expect(dataset.counts.train + dataset.counts.validation).toBe(3);
    expect(dataset.counts.train).toBeGreaterThanOrEqual(1);
    expect(dataset.counts.validation).toBeGreaterThanOrEqual(1);
    // Files
    expect(await listKeys(s3.client, BUCKET, prefix)).toEqual(
      [`${prefix}labels.json`, `${prefix}manifest.json`, `${prefix}train-00000.jsonl`, `${prefix}validation-00000.jsonl`].sort(),
    );
    const labels = await read(`${prefix}labels.json`, datasetLabelsSchema);
    expect(labels.schemaVersion).toBe(1);
    expect(labels.labels[0]).toBe('O');
    for (const field of ['COMPANY', 'ADDRESS', 'DATE', 'ITEM_NAME', 'ITEM_PRICE', 'SUBTOTAL', 'TAX', 'TOTAL']) {
      expect(labels.labels).toContain(`B-${field}`);
      expect(labels.labels).toContain(`I-${field}`);
    }
    const lines = [
      ...(await getText(`${prefix}train-00000.jsonl`)).trim().split('\n'),
      ...(await getText(`${prefix}validation-00000.jsonl`)).trim().split('\n'),
    ];
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const record = datasetRecordSchema.parse(JSON.parse(line));
      expect(Object.keys(record).sort()).toEqual(['bboxes', 'documentId', 'fields', 'id', 'labels', 'page', 'source', 'words']);
      // The annotated values travel with the record: every labelled entity type is one of its fields.
      for (const tag of record.labels.filter((t) => t.startsWith('B-')))
        expect(Object.keys(record.fields ?? {})).toContain(tag.slice(2).toLowerCase());
      expect(receiptIds).toContain(record.id);
      // One-page documents: the record id is the document id, on page 1.
      expect(record.documentId).toBe(record.id);
      expect(record.page.number).toBe(1);
      expect(record.source).toBe(`s3://${BUCKET}/${PREFIX}${record.id}.png`);
      expect(record.bboxes).toHaveLength(record.words.length);
      expect(record.labels).toHaveLength(record.words.length);
      for (const tag of record.labels) expect(labels.labels).toContain(tag);
      expect(record.labels.some((tag) => tag.startsWith('B-'))).toBe(true);
      expect(record.page).toEqual({ number: 1, width: expect.any(Number), height: expect.any(Number) });
    }
    const manifest = await read(`${prefix}manifest.json`, datasetManifestSchema);
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      fingerprint: dataset.fingerprint,
      ocrCacheHits: 0,
      textractPagesBilled: 3,
      counts: { documents: 3, train: dataset.counts.train, validation: dataset.counts.validation, quarantined: 5 },
    });
    expect(manifest.counts['words']).toBeGreaterThan(30);
    // The engine that read each document: the API and the model version the (local) Textract answered with.
    expect(manifest.ocrEngines).toEqual({ [`textract:DetectDocumentText local ${textract.engine}`]: 3 });
    expect(Date.parse(manifest.createdAt)).not.toBeNaN();
    expect(manifest.quarantined.map((q) => [q.documentKey, q.stage]).sort()).toEqual(
      [
        [`${PREFIX}bad-annotation.png`, 'annotation'],
        [`${PREFIX}corrupt.png`, 'ocr'],
        [`${PREFIX}lonely.png`, 'plan'],
        [`${PREFIX}notes.txt`, 'plan'],
        [`${PREFIX}orphan.json`, 'plan'],
      ].sort(),
    );
    for (const q of manifest.quarantined) expect(q.reason.length).toBeGreaterThan(10);
    // The first run to write this fingerprint: its run manifest is the dataset's manifest, byte for byte.
    expect(await getText(`runs/${RUN}/dataset-manifest.json`)).toBe(await getText(`${prefix}manifest.json`));
  });

  it('BuildDataset is idempotent: a rebuild of the same inputs gives the same fingerprint and shards', async () => {
    // Prepare
    const prefix = `datasets/${dataset.fingerprint}/`;
    const trainBefore = await getText(`${prefix}train-00000.jsonl`);
    // Act: run-2 OCR'd the same documents (all from the cache).
    const again = await buildDatasetStep(s3.client, {
      ...runParams(RUN2),
      batchCount: 1,
      validationFraction: 0.34,
      maxQuarantineShare: 1,
      pageImages: false,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: null,
      champion: null,
    });
    // Assess
    expect(again.fingerprint).toBe(dataset.fingerprint);
    expect(again.prefix).toBe(dataset.prefix);
    expect(await getText(`${prefix}train-00000.jsonl`)).toBe(trainBefore);
  });

  it("BuildDataset never rewrites an existing dataset: its manifest keeps the first run's provenance, the run gets its own", async () => {
    // Prepare
    const prefix = `datasets/${dataset.fingerprint}/`;
    const manifestBefore = await getText(`${prefix}manifest.json`);
    const keysBefore = await listKeys(s3.client, BUCKET, prefix);
    // Act: run-2 (all cache hits, nothing billed) builds the same fingerprint again.
    const again = await buildDatasetStep(s3.client, {
      ...runParams(RUN2),
      batchCount: 1,
      validationFraction: 0.34,
      maxQuarantineShare: 1,
      pageImages: false,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: null,
      champion: null,
    });
    // Assess: the dataset's files are untouched (the manifest still says run-1 billed 3 pages)...
    expect(await getText(`${prefix}manifest.json`)).toBe(manifestBefore);
    expect(await listKeys(s3.client, BUCKET, prefix)).toEqual(keysBefore);
    expect(JSON.parse(manifestBefore)).toMatchObject({ ocrCacheHits: 0, textractPagesBilled: 3 });
    // ...while run-2's own statistics go to its run prefix, and the pointers say where.
    expect(again.manifestS3Uri).toBe(dataset.manifestS3Uri);
    expect(again.runManifestS3Uri).toBe(`s3://${BUCKET}/runs/${RUN2}/dataset-manifest.json`);
    const runManifest = await read(`runs/${RUN2}/dataset-manifest.json`, datasetManifestSchema);
    expect(runManifest).toMatchObject({ fingerprint: dataset.fingerprint, ocrCacheHits: 3, textractPagesBilled: 0 });
    expect(runManifest.counts['documents']).toBe(3);
    // run-1's run manifest is its own and stays so.
    expect(await getText(`runs/${RUN}/dataset-manifest.json`)).toBe(manifestBefore);
  });

  it('BuildDataset fails the run with QuarantineShareExceededError when more than maxQuarantineShare is quarantined', async () => {
    // Prepare: run-1 kept 3 documents and quarantined 5 (62.5%).
    await remove(runManifestKey(`runs/${RUN}/`));
    // Act
    const attempt = buildDatasetStep(s3.client, {
      ...runParams(RUN),
      batchCount: plan.batchCount,
      validationFraction: 0.34,
      maxQuarantineShare: 0.6,
      pageImages: false,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: null,
      champion: null,
    });
    // Assess: a typed error whose message says what happened and what to do; the run manifest still lists the reasons.
    await expect(attempt).rejects.toBeInstanceOf(QuarantineShareExceededError);
    await expect(attempt).rejects.toThrow(
      /^5 of 8 documents were quarantined \(62\.5%\), more than dataset\.maxQuarantineShare 0\.6 allows; the run stops before training/,
    );
    const runManifest = await read(runManifestKey(`runs/${RUN}/`), datasetManifestSchema);
    expect(runManifest.quarantined).toHaveLength(5);
    // At the limit exactly, the run goes on.
    const atLimit = await buildDatasetStep(s3.client, {
      ...runParams(RUN),
      batchCount: plan.batchCount,
      validationFraction: 0.34,
      maxQuarantineShare: 0.625,
      pageImages: false,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: null,
      champion: null,
    });
    expect(atLimit.fingerprint).toBe(dataset.fingerprint);
  });

  it('BuildDataset reads exactly the batchCount results: a stale leftover is ignored, a missing one is an error', async () => {
    // Prepare: a leftover result beyond this run's batches (e.g. from an earlier plan of the same run id).
    const leftover = ocrResultKey(`runs/${RUN}/`, 7);
    await put(leftover, 'not even JSON');
    // Act
    const rebuilt = await buildDatasetStep(s3.client, {
      ...runParams(RUN),
      batchCount: plan.batchCount,
      validationFraction: 0.34,
      maxQuarantineShare: 1,
      pageImages: false,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: null,
      champion: null,
    });
    const missing = buildDatasetStep(s3.client, {
      ...runParams(RUN),
      batchCount: plan.batchCount + 1,
      validationFraction: 0.34,
      maxQuarantineShare: 1,
      pageImages: false,
      locale: null,
      fieldNames: {},
      task: null,
      classes: null,
      modelChannelUri: null,
      champion: null,
    });
    // Assess
    expect(rebuilt.fingerprint).toBe(dataset.fingerprint);
    expect(rebuilt.counts).toEqual(dataset.counts);
    await expect(missing).rejects.toThrow(`OCR result ${ocrResultKey(`runs/${RUN}/`, plan.batchCount)} is missing`);
    await remove(leftover);
  });

  it('PlanBatches fails with EmptyDatasetError when the prefix holds no usable document', async () => {
    // Act
    const attempt = planBatches(s3.client, { ...runParams('run-empty'), documentsPrefix: 'nothing-here/', batchSize: 10 });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(EmptyDatasetError);
    await expect(attempt).rejects.toThrow(/No usable documents under s3:\/\/pipeline-steps-test\/nothing-here\//);
  });

  it('PlanBatches quarantines every rejected file before failing with EmptyDatasetError, citing up to 3 reasons', async () => {
    // Prepare: only unusable files.
    const junk = ['junk/a.txt', 'junk/b.pdf', 'junk/c.png', 'junk/d.json'];
    for (const key of junk) await put(key, `content of ${key}`);
    // Act
    const attempt = planBatches(s3.client, { ...runParams('run-junk'), documentsPrefix: 'junk/', batchSize: 10 });
    // Assess: the message says how many were rejected and cites the first three reasons.
    const error = await attempt.then(
      () => expect.fail('expected an EmptyDatasetError'),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(EmptyDatasetError);
    expect(error.message).toContain('(4 objects, 4 rejected, e.g. ');
    const cited = junk.filter((key) => error.message.includes(`${key}: `));
    expect(cited).toHaveLength(3);
    expect(error.message).toContain('unsupported document type ".txt"');
    // Every rejected file was quarantined with its reason, and the plan's quarantine list was written.
    for (const key of junk) {
      expect(await getText(`quarantine/run-junk/${key}`)).toBe(`content of ${key}`);
      expect(await read(`quarantine/run-junk/${key}.reason.json`, quarantineReasonSchema)).toMatchObject({
        documentKey: key,
        stage: 'plan',
        runId: 'run-junk',
      });
    }
    const listed = await read(planQuarantineKey('runs/run-junk/'), planQuarantineFileSchema);
    expect(listed.map((q) => q.documentKey).sort()).toEqual(junk);
    // No batch was written.
    expect(await listKeys(s3.client, BUCKET, 'runs/run-junk/batches/')).toEqual([]);
  });

  /** Plans `receipts` under `prefix` for `runId`, then deletes `deleted` keys (relative to `prefix`) before OCR. */
  const planThenDelete = async (runId: string, prefix: string, deleted: (ids: string[]) => string[]) => {
    const receipts = await generateReceipts({ count: 2, seed: 11 });
    for (const receipt of receipts) {
      await put(`${prefix}${receipt.id}.png`, receipt.png);
      await put(`${prefix}${receipt.id}.json`, JSON.stringify(receipt.annotation));
    }
    const planned = await planBatches(s3.client, { ...runParams(runId), documentsPrefix: prefix, batchSize: 10 });
    expect(planned).toMatchObject({ batchCount: 1, documentCount: 2 });
    const ids = receipts.map((r) => r.id);
    for (const key of deleted(ids)) await remove(`${prefix}${key}`);
    return ids;
  };

  it('OcrBatch quarantines a document whose annotation disappeared after planning, and OCRs the rest', async () => {
    // Prepare
    const runId = 'run-vanished-annotation';
    const [kept, gone] = await planThenDelete(runId, 'vanished-annotation/', (ids) => [`${ids[1]}.json`]);
    // Act
    const summary = await ocrBatch(deps(), { ...runParams(runId), batchIndex: 0 });
    // Assess: not a failed batch; quarantined at the annotation stage with a reason naming what is gone.
    expect(summary).toMatchObject({ documents: 1, quarantined: 1 });
    const file = await read(summary.resultKey, ocrBatchFileSchema);
    expect(file.documents.map((d) => d.id)).toEqual([kept]);
    expect(file.quarantined).toHaveLength(1);
    expect(file.quarantined[0]).toMatchObject({ documentKey: `vanished-annotation/${gone}.png`, stage: 'annotation' });
    expect(file.quarantined[0]?.reason).toContain(`vanished-annotation/${gone}.json disappeared after the run listed it`);
    // The image (still there) is copied beside its reason.
    expect(await read(`quarantine/${runId}/vanished-annotation/${gone}.png.reason.json`, quarantineReasonSchema)).toMatchObject({
      documentKey: `vanished-annotation/${gone}.png`,
      stage: 'annotation',
      runId,
    });
    expect(await listKeys(s3.client, BUCKET, `quarantine/${runId}/`)).toContain(`quarantine/${runId}/vanished-annotation/${gone}.png`);
  });

  // The image is gone, so quarantine() cannot copy it: the reason file alone records it.
  it('OcrBatch quarantines a document whose image disappeared after planning, and OCRs the rest', async () => {
    // Prepare
    const runId = 'run-vanished-image';
    const [kept, gone] = await planThenDelete(runId, 'vanished-image/', (ids) => [`${ids[1]}.png`]);
    // Act
    const summary = await ocrBatch(deps(), { ...runParams(runId), batchIndex: 0 });
    // Assess: not a failed batch; quarantined at the OCR stage with a reason naming what is gone.
    expect(summary).toMatchObject({ documents: 1, quarantined: 1 });
    const file = await read(summary.resultKey, ocrBatchFileSchema);
    expect(file.documents.map((d) => d.id)).toEqual([kept]);
    expect(file.quarantined).toHaveLength(1);
    expect(file.quarantined[0]).toMatchObject({ documentKey: `vanished-image/${gone}.png`, stage: 'ocr' });
    expect(file.quarantined[0]?.reason).toContain(`vanished-image/${gone}.png disappeared after the run listed it`);
    expect(await read(`quarantine/${runId}/vanished-image/${gone}.png.reason.json`, quarantineReasonSchema)).toMatchObject({
      documentKey: `vanished-image/${gone}.png`,
      stage: 'ocr',
      runId,
    });
  });

  it.each([
    ['not JSON (truncated)', '{"schemaVersion": 1, "engine": "textract:Detect'],
    ['JSON that is not an OCR document', JSON.stringify({ schemaVersion: 2, pages: 'none' })],
  ])('OcrBatch treats a cache object that is %s as a miss and re-OCRs it', async (_, corrupt) => {
    // Prepare: a document whose cache entry is corrupt before its first OCR.
    const receipt = (await generateReceipts({ count: 1, seed: 4242 }))[0];
    if (!receipt) throw new Error('no receipt rendered');
    const runId = `run-corrupt-cache-${corrupt.length}`;
    const documentsPrefix = `corrupt-cache-${corrupt.length}/`;
    await put(`${documentsPrefix}${receipt.id}.png`, receipt.png);
    await put(`${documentsPrefix}${receipt.id}.json`, JSON.stringify(receipt.annotation));
    const cacheKey = ocrCacheKey(sha256(receipt.png));
    await put(cacheKey, corrupt);
    await planBatches(s3.client, { ...runParams(runId), documentsPrefix, batchSize: 10 });
    // Act
    const summary = await ocrBatch(deps(), { ...runParams(runId), batchIndex: 0 });
    // Assess: OCR'd and billed, not quarantined, and the cache entry is now a valid OCR document.
    expect(summary).toMatchObject({ documents: 1, quarantined: 0, cacheHits: 0, pagesBilled: 1 });
    const file = await read(summary.resultKey, ocrBatchFileSchema);
    expect(file.documents[0]).toMatchObject({ ocrKey: cacheKey, cacheHit: false });
    expect(ocrDocumentSchema.safeParse(JSON.parse(await getText(cacheKey))).success).toBe(true);
    // ...so the next OCR of the same bytes is a hit.
    const second = await ocrBatch(deps(), { ...runParams(runId), batchIndex: 0 });
    expect(second).toMatchObject({ documents: 1, cacheHits: 1, pagesBilled: 0 });
  });
});
