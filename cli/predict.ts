/**
 * `doctrain predict`: a trained model + a document -> its fields, `{field: {value, confidence}}` JSON.
 *
 *   doctrain predict --model <model.tar.gz | model dir | s3://…/model.tar.gz> --document <image | s3://…>
 *   doctrain predict --model … --textract <Textract response .json | s3://…>
 *
 * The document is OCR'd exactly as the pipeline does it (`detectWords`: Textract's DetectDocumentText
 * through the Textract client, so the local Textract on the local stage and real Textract on AWS, by
 * endpoint configuration only) and turned into a record by the dataset builder's own code
 * (`blocksToOcrDocument`, `documentPages`: one record per page with words, as in the dataset); a saved
 * Textract response skips the OCR. A field found on several pages keeps its most confident value. The model runs in the
 * trainer's Python entry (`python -m doctrain_trainer predict`), the same code the SageMaker inference
 * handler in the artifact runs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TextractClient } from '@aws-sdk/client-textract';
import { z } from 'zod';
import { getBytes, parseS3Uri } from '../src/aws/s3-objects';
import { documentPages } from '../src/dataset';
import { InvalidInputError } from '../src/contracts/errors';
import { detectWords } from '../src/textract/api';
import { blocksToOcrDocument, textractResponseSchema, type OcrDocument } from '../src/textract';
import { defaultTextractQuotas, TextractLimiter } from '../src/textract/throughput';
import { CliError } from './exit-codes';

export const PREDICT_USAGE =
  'predict --model <model.tar.gz|dir|s3://…> (--document <image|s3://…> | --textract <response.json|s3://…>) [--python PATH]';

/** What `python -m doctrain_trainer predict` prints for one document. */
export const predictedFieldsSchema = z.record(z.string(), z.strictObject({ value: z.string(), confidence: z.number().min(0).max(1) }));
export type PredictedFields = z.infer<typeof predictedFieldsSchema>;

/** What it prints for a classifier (task classification): one line per document, its pages pooled. */
export const predictedClassSchema = z.strictObject({
  class: z.string().min(1),
  confidence: z.number().min(0).max(1),
  scores: z.record(z.string(), z.number().min(0).max(1)),
  pages: z.number().int().min(1),
});
export type PredictedClass = z.infer<typeof predictedClassSchema>;

/** Contract 3's record (one page of the document), the part a model reads. */
export interface PredictRecord {
  id: string;
  /** The pages of one document: a classifier pools them into one answer. */
  documentId: string;
  words: string[];
  bboxes: [number, number, number, number][];
  page: { number: number; width: number; height: number };
  source: string;
}

export interface PredictDeps {
  s3: () => S3Client;
  textract: () => TextractClient;
  /** Runs the trainer's predict entry on the records (JSON Lines in); returns its stdout (one line each). */
  runModel: (modelPath: string, records: readonly PredictRecord[]) => Promise<string>;
}

export interface PredictOptions {
  model: string;
  document?: string | undefined;
  textract?: string | undefined;
}

const isS3 = (location: string): boolean => location.startsWith('s3://');

const missing = (what: string, location: string): CliError => new CliError(`${what} ${location} does not exist`, 'notFound');

/** A local file or an S3 object; one that does not exist is a not-found error naming it as `what`. */
const readLocation = async (s3: () => S3Client, location: string, what: string): Promise<Uint8Array> => {
  if (!isS3(location)) {
    if (!existsSync(location)) throw missing(what, location);
    return new Uint8Array(await readFile(location));
  }
  try {
    return await getBytes(s3(), parseS3Uri(location));
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'name' in error && error.name === 'NoSuchKey') throw missing(what, location);
    throw error;
  }
};

/** One record per page with words, ids as the dataset builder writes them (`<id>#<page>` when several). */
export const recordsFromOcr = (ocr: OcrDocument, source: string): PredictRecord[] => {
  const pages = documentPages(ocr.pages);
  return pages
    .filter((page) => page.words.length > 0)
    .map((page) => ({
      id: pages.length > 1 ? `document#${page.number}` : 'document',
      documentId: 'document',
      words: page.words.map((w) => w.text),
      bboxes: page.words.map((w) => [...w.box]),
      page: { number: page.number, width: page.width, height: page.height },
      source,
    }));
};

/** One document's fields from its pages' predictions: per field, the most confident value (first page on a tie). */
export const mergePageFields = (pages: readonly PredictedFields[]): PredictedFields => {
  const merged: PredictedFields = {};
  for (const fields of pages) {
    for (const [key, value] of Object.entries(fields)) {
      const seen = merged[key];
      if (seen === undefined || value.confidence > seen.confidence) merged[key] = value;
    }
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
};

/** OCR (or a saved Textract response) -> record -> model -> fields (a classifier: the class and its scores). */
export const predictDocument = async (options: PredictOptions, deps: PredictDeps): Promise<PredictedFields | PredictedClass> => {
  if ((options.document === undefined) === (options.textract === undefined)) {
    throw new InvalidInputError('predict needs exactly one of --document or --textract');
  }
  // Everything the command names is looked for before any OCR (which costs time locally and money on AWS).
  if (!isS3(options.model) && !existsSync(options.model)) throw missing('--model', options.model);
  for (const [what, location] of [
    ['--document', options.document],
    ['--textract', options.textract],
  ] as const) {
    if (location !== undefined && !isS3(location) && !existsSync(location)) throw missing(what, location);
  }
  let modelPath = options.model;
  let tmp: string | undefined;
  try {
    if (isS3(options.model)) {
      const bytes = await readLocation(deps.s3, options.model, '--model');
      tmp = await mkdtemp(path.join(os.tmpdir(), 'doctrain-predict-'));
      modelPath = path.join(tmp, 'model.tar.gz');
      await writeFile(modelPath, bytes);
    }
    let ocr: OcrDocument;
    let source: string;
    if (options.textract !== undefined) {
      source = options.textract;
      const text = Buffer.from(await readLocation(deps.s3, source, '--textract')).toString('utf8');
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
      const bytes = await readLocation(deps.s3, source, '--document');
      const textract = deps.textract();
      // The account's default Textract quotas of the client's region (one call: the limiter never waits).
      const limiter = new TextractLimiter(defaultTextractQuotas(await textract.config.region()));
      ocr = await detectWords(textract, source, bytes, limiter);
    }
    const records = recordsFromOcr(ocr, source);
    if (records.length === 0) return {};
    const stdout = await deps.runModel(modelPath, records);
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    const classified = lines.length === 1 ? predictedClassSchema.safeParse(JSON.parse(lines[0] ?? '')) : undefined;
    if (classified?.success === true) return classified.data;
    if (lines.length !== records.length) throw new Error(`the model answered ${lines.length} lines for ${records.length} pages`);
    return mergePageFields(lines.map((line) => predictedFieldsSchema.parse(JSON.parse(line))));
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
};

/** `<python> -m doctrain_trainer predict --model <path>` with the records on stdin (trainer from `trainerDir`). */
export const pythonModelRunner =
  (python: string, trainerDir: string) =>
  (modelPath: string, records: readonly PredictRecord[]): Promise<string> =>
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
      child.stdin.end(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    });

/** Options of the `predict` command (cli/program.ts). */
export interface PredictCommandOptions {
  model: string;
  document?: string | undefined;
  textract?: string | undefined;
  python?: string | undefined;
}

/** The `predict` command: prints the fields as JSON, returns the exit code. */
export const runPredictCommand = async (
  options: PredictCommandOptions,
  root: string,
  clients: { s3: () => S3Client; textract: () => TextractClient },
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> => {
  const python = options.python ?? process.env['DOCTRAIN_PYTHON'] ?? path.join(root, '.venv', 'bin', 'python');
  const fields = await predictDocument(
    { model: options.model, document: options.document, textract: options.textract },
    { ...clients, runModel: pythonModelRunner(python, path.join(root, 'training-image')) },
  );
  print(JSON.stringify(fields, null, 2));
  return 0;
};
