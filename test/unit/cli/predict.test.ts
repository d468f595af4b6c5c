import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { DetectDocumentTextCommand, TextractClient, type DetectDocumentTextCommandOutput } from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { mergePageFields, predictDocument, pythonModelRunner, runPredictCommand, type PredictRecord } from '../../../cli/predict';
import { documentPages } from '../../../src/dataset';
import { InvalidInputError } from '../../../src/contracts/errors';
import { blocksToOcrDocument, textractResponseSchema } from '../../../src/textract';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'textract', 'paystub-response.json');
const textractMock = mockClient(TextractClient);
const s3Mock = mockClient(S3Client);
const clients = { s3: () => new S3Client({ region: 'us-east-1' }), textract: () => new TextractClient({ region: 'us-east-1' }) };
/** An existing file stands for a model.tar.gz: the recording runner does not unpack it. */
const MODEL = path.join(ROOT, 'package.json');
const FIELDS = { company: { value: 'ACME', confidence: 0.93 }, total: { value: '9.00', confidence: 0.88 } };

afterEach(() => {
  textractMock.reset();
  s3Mock.reset();
});

const fixtureBlocks = async () => {
  const json: unknown = JSON.parse(await readFile(FIXTURE, 'utf8'));
  return textractResponseSchema.parse(json).Blocks;
};

/** A model runner that records what it was given and answers like the trainer's predict entry. */
const recordingRunner = (answer: string = JSON.stringify(FIELDS)) => {
  const calls: { modelPath: string; records: readonly PredictRecord[]; modelBytes?: string }[] = [];
  const run = async (modelPath: string, records: readonly PredictRecord[]): Promise<string> => {
    calls.push({ modelPath, records, ...(existsSync(modelPath) ? { modelBytes: await readFile(modelPath, 'utf8') } : {}) });
    return records.map(() => `${answer}\n`).join('');
  };
  return { calls, run };
};

describe('doctrain predict', () => {
  it('turns a saved Textract response into the record the dataset builder would write and returns the fields', async () => {
    // Prepare
    const runner = recordingRunner();

    // Act
    const fields = await predictDocument({ model: MODEL, textract: FIXTURE }, { ...clients, runModel: runner.run });

    // Assess
    expect(fields).toEqual(FIELDS);
    const expected = documentPages(blocksToOcrDocument(await fixtureBlocks()).pages);
    expect(expected).toHaveLength(1);
    const records = runner.calls[0]?.records ?? [];
    expect(records).toHaveLength(1);
    expect(records[0]?.words).toEqual(expected[0]?.words.map((w) => w.text));
    expect(records[0]?.bboxes).toEqual(expected[0]?.words.map((w) => w.box));
    expect(records[0]?.words.length).toBeGreaterThan(10);
    expect(runner.calls[0]?.modelPath).toBe(MODEL);
  });

  it('returns the class and its scores when the model is a classifier (one answer for the pages of the document)', async () => {
    // Prepare: the trainer's answer for a classifier (doctrain_trainer/predict.py predict_classes).
    const answer = { class: 'invoice', confidence: 0.91, scores: { invoice: 0.91, receipt: 0.09 }, pages: 1 };
    // Act
    const predicted = await predictDocument(
      { model: MODEL, textract: FIXTURE },
      { ...clients, runModel: () => Promise.resolve(`${JSON.stringify(answer)}\n`) },
    );
    // Assess
    expect(predicted).toEqual(answer);
  });

  it('OCRs an image with Textract DetectDocumentText, the way the pipeline does', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(os.tmpdir(), 'predict-test-'));
    const image = path.join(dir, 'receipt.png');
    await writeFile(image, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    // The stored response as the SDK would return it (a real Textract answer, so its shape is the SDK's).
    const response = JSON.parse(await readFile(FIXTURE, 'utf8')) as DetectDocumentTextCommandOutput;
    textractMock.on(DetectDocumentTextCommand).resolves({ Blocks: response.Blocks ?? [] });
    const runner = recordingRunner();

    // Act
    const fields = await predictDocument({ model: MODEL, document: image }, { ...clients, runModel: runner.run });

    // Assess
    expect(fields).toEqual(FIELDS);
    const sent = textractMock.commandCalls(DetectDocumentTextCommand)[0]?.args[0].input;
    expect(Buffer.from(sent?.Document?.Bytes ?? new Uint8Array())).toEqual(await readFile(image));
    expect(runner.calls[0]?.records[0]?.words.length).toBeGreaterThan(10);
  });

  it('downloads an s3:// model artifact to a temporary file and removes it afterwards', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand, { Bucket: 'bucket', Key: 'models/receipts/run-1/output/model.tar.gz' }).resolves({
      // The part of the SDK's streaming body that getBytes reads.
      Body: { transformToByteArray: () => Promise.resolve(new Uint8Array(Buffer.from('tarball bytes'))) } as unknown as NonNullable<
        GetObjectCommandOutput['Body']
      >,
    });
    const runner = recordingRunner();

    // Act
    await predictDocument(
      { model: 's3://bucket/models/receipts/run-1/output/model.tar.gz', textract: FIXTURE },
      { ...clients, runModel: runner.run },
    );

    // Assess
    const call = runner.calls[0];
    expect(call?.modelPath.endsWith('model.tar.gz')).toBe(true);
    expect(call?.modelBytes).toBe('tarball bytes');
    expect(existsSync(call?.modelPath ?? '')).toBe(false);
  });

  it('keeps, per field, the most confident value over the pages of a document', () => {
    const merged = mergePageFields([
      { total: { value: '9.00', confidence: 0.4 }, company: { value: 'ACME', confidence: 0.9 } },
      { total: { value: '19.00', confidence: 0.8 }, date: { value: '01/02/2019', confidence: 0.7 } },
      { total: { value: '29.00', confidence: 0.8 } },
    ]);
    expect(merged).toEqual({
      company: { value: 'ACME', confidence: 0.9 },
      date: { value: '01/02/2019', confidence: 0.7 },
      total: { value: '19.00', confidence: 0.8 },
    });
    expect(Object.keys(merged)).toEqual(['company', 'date', 'total']);
  });

  it('refuses a missing or doubled document, a response without Blocks and an output that is not fields', async () => {
    const runner = recordingRunner();
    const deps = { ...clients, runModel: runner.run };
    await expect(predictDocument({ model: MODEL }, deps)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(predictDocument({ model: MODEL, document: 'a.png', textract: FIXTURE }, deps)).rejects.toBeInstanceOf(InvalidInputError);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'predict-test-'));
    const notTextract = path.join(dir, 'x.json');
    await writeFile(notTextract, '{"Pages": 1}');
    await expect(predictDocument({ model: MODEL, textract: notTextract }, deps)).rejects.toThrow(/not a Textract response/);
    const bad = recordingRunner('{"total": {"value": 9}}');
    await expect(predictDocument({ model: MODEL, textract: FIXTURE }, { ...clients, runModel: bad.run })).rejects.toThrow();
    expect(runner.calls).toHaveLength(0);
  });

  it('names a missing model or document before any OCR (a not-found error, exit code 3)', async () => {
    // Prepare
    const runner = recordingRunner();
    const deps = { ...clients, runModel: runner.run };

    // Act + Assess
    const noModel = predictDocument({ model: '/nonexistent/model.tar.gz', document: FIXTURE }, deps);
    await expect(noModel).rejects.toThrow('--model /nonexistent/model.tar.gz does not exist');
    await expect(noModel).rejects.toMatchObject({ exitCode: 3 });
    await expect(predictDocument({ model: MODEL, document: '/nonexistent/receipt.jpg' }, deps)).rejects.toThrow(
      '--document /nonexistent/receipt.jpg does not exist',
    );
    expect(textractMock.calls()).toHaveLength(0);
    expect(runner.calls).toHaveLength(0);
  });

  it('prints the fields as JSON from the command line options', async () => {
    // Prepare: a Python that is not there makes the runner fail; the option parsing comes first.
    const lines: string[] = [];

    // Act + Assess
    await expect(
      runPredictCommand({ model: MODEL, textract: FIXTURE, python: '/nonexistent/python' }, ROOT, clients, (l) => lines.push(l)),
    ).rejects.toThrow(/ENOENT/);
    expect(lines).toEqual([]);
  });

  it("runs the trainer's predict entry and reports its error for a model that is not there", { timeout: 120_000 }, async () => {
    // The real Python entry (project venv): a bad model path is a user error (exit 2) with its message.
    const python = process.env['DOCTRAIN_PYTHON'] ?? path.join(ROOT, '.venv', 'bin', 'python');
    const run = pythonModelRunner(python, path.join(ROOT, 'training-image'));
    const record: PredictRecord = {
      id: 'document',
      documentId: 'document',
      words: ['TOTAL'],
      bboxes: [[0, 0, 10, 10]],
      page: { number: 1, width: 1000, height: 1000 },
      source: 'x',
    };
    await expect(run('/nonexistent/model.tar.gz', [record])).rejects.toThrow(/exited 2: .*model \/nonexistent\/model.tar.gz not found/);
  });
});
