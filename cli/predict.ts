/**
 * `doctrain predict`: a trained model + a document -> its fields, `{field: {value, confidence}}` JSON.
 *
 *   doctrain predict --model <model.tar.gz | model dir | s3://…/model.tar.gz> --document <image | s3://…>
 *   doctrain predict --model … --textract <Textract response .json | s3://…>
 *
 * The document is OCR'd exactly as the pipeline does it (`detectWords`: Textract's DetectDocumentText
 * through the Textract client, so the local Textract on the local stage and real Textract on AWS, by
 * endpoint configuration only) and turned into a record by the dataset builder's own code
 * (`blocksToOcrDocument`, `documentWords`); a saved Textract response skips the OCR. The model runs in the
 * trainer's Python entry (`python -m doctrain_trainer predict`), the same code the SageMaker inference
 * handler in the artifact runs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TextractClient } from '@aws-sdk/client-textract';
import { z } from 'zod';
import { getBytes, parseS3Uri } from '../src/aws/s3-objects';
import { documentWords } from '../src/dataset';
import { InvalidInputError } from '../src/errors';
import { detectWords } from '../src/pipeline/textract-ocr';
import { blocksToOcrDocument, textractResponseSchema, type OcrDocument } from '../src/textract';

export const PREDICT_USAGE =
  'predict --model <model.tar.gz|dir|s3://…> (--document <image|s3://…> | --textract <response.json|s3://…>) [--python PATH]';

/** What `python -m doctrain_trainer predict` prints for one document. */
export const predictedFieldsSchema = z.record(
  z.string(),
  z.strictObject({ value: z.string(), confidence: z.number().min(0).max(1) }),
);
export type PredictedFields = z.infer<typeof predictedFieldsSchema>;

/** Contract 3's record, the part a model reads. */
export interface PredictRecord {
  words: string[];
  bboxes: [number, number, number, number][];
  page: { width: number; height: number };
  source: string;
}

export interface PredictDeps {
  s3: () => S3Client;
  textract: () => TextractClient;
  /** Runs the trainer's predict entry on one record; returns its stdout. */
  runModel: (modelPath: string, record: PredictRecord) => Promise<string>;
}

export interface PredictOptions {
  model: string;
  document?: string | undefined;
  textract?: string | undefined;
}

const isS3 = (location: string): boolean => location.startsWith('s3://');

const readLocation = async (s3: () => S3Client, location: string): Promise<Uint8Array> =>
  isS3(location) ? getBytes(s3(), parseS3Uri(location)) : new Uint8Array(await readFile(location));

export const recordFromOcr = (ocr: OcrDocument, source: string): PredictRecord => {
  const { words, page } = documentWords(ocr.pages);
  return { words: words.map((w) => w.text), bboxes: words.map((w) => [...w.box]), page, source };
};

/** OCR (or a saved Textract response) -> record -> model -> fields. */
export const predictDocument = async (options: PredictOptions, deps: PredictDeps): Promise<PredictedFields> => {
  if ((options.document === undefined) === (options.textract === undefined)) {
    throw new InvalidInputError('predict needs exactly one of --document or --textract');
  }
  let ocr: OcrDocument;
  let source: string;
  if (options.textract !== undefined) {
    source = options.textract;
    const text = Buffer.from(await readLocation(deps.s3, source)).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(`${source} is not JSON: ${(error as Error).message}`);
    }
    const parsed = textractResponseSchema.safeParse(json);
    if (!parsed.success) throw new InvalidInputError(`${source} is not a Textract response with Blocks: ${parsed.error.message}`);
    ocr = blocksToOcrDocument(parsed.data.Blocks);
  } else {
    source = options.document ?? '';
    ocr = await detectWords(deps.textract(), source, await readLocation(deps.s3, source));
  }
  const record = recordFromOcr(ocr, source);
  if (record.words.length === 0) return {};

  let modelPath = options.model;
  let tmp: string | undefined;
  try {
    if (isS3(options.model)) {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'doctrain-predict-'));
      modelPath = path.join(tmp, 'model.tar.gz');
      await writeFile(modelPath, await readLocation(deps.s3, options.model));
    }
    const stdout = await deps.runModel(modelPath, record);
    return predictedFieldsSchema.parse(JSON.parse(stdout.trim()));
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
};

/** `<python> -m doctrain_trainer predict --model <path>` with the record on stdin (trainer from `trainerDir`). */
export const pythonModelRunner =
  (python: string, trainerDir: string) =>
  (modelPath: string, record: PredictRecord): Promise<string> =>
    new Promise((resolve, reject) => {
      const pythonPath = [trainerDir, process.env['PYTHONPATH']].filter((p) => p !== undefined && p !== '').join(path.delimiter);
      const child = spawn(python, ['-m', 'doctrain_trainer', 'predict', '--model', modelPath], {
        env: { ...process.env, PYTHONPATH: pythonPath },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(stdout);
        else reject(new Error(`${python} -m doctrain_trainer predict exited ${code}: ${stderr.trim()}`));
      });
      child.stdin.end(JSON.stringify(record));
    });

/** The `predict` command: parses its own options, prints the fields as JSON, returns the exit code. */
export const runPredictCommand = async (
  argv: string[],
  root: string,
  clients: { s3: () => S3Client; textract: () => TextractClient },
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> => {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      document: { type: 'string' },
      textract: { type: 'string' },
      python: { type: 'string' },
    },
  });
  if (values.model === undefined) throw new InvalidInputError(`predict needs --model; usage: doctrain ${PREDICT_USAGE}`);
  const python = values.python ?? process.env['DOCTRAIN_PYTHON'] ?? path.join(root, '.venv', 'bin', 'python');
  const fields = await predictDocument(
    { model: values.model, document: values.document, textract: values.textract },
    { ...clients, runModel: pythonModelRunner(python, path.join(root, 'training-image')) },
  );
  print(JSON.stringify(fields, null, 2));
  return 0;
};
