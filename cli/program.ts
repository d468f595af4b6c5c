/**
 * doctrain: the operator command (commander). Every command returns an exit code:
 *   demo        the whole pipeline on the embedded local AWS (synthetic receipts -> trained model)
 *   run         the whole pipeline on your own folder, on a persistent local stage
 *   import      a labelling tool's output -> the documents layout (folder or S3 prefix)
 *   local up    keep the local AWS running on fixed ports, for the aws CLI and `sls invoke local`
 *   start       StartExecution of the deployed state machine (real AWS)
 *   status ID   a run record and its status history (local or AWS, by endpoint configuration)
 *   runs        recent runs by status
 *   stop ID     ask a run's poll loop to stop its training job (the run ends STOPPED)
 *   predict     a model's fields for one document (cli/predict.ts)
 * Usage errors exit 2, failures 1 (`doctrain: <message>` on stderr).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError, InvalidArgumentError } from '@commander-js/extra-typings';
import { z } from 'zod';
import { createAwsClients, type AwsClients } from '../src/aws/clients';
import { importFormat, importFormatNames } from '../src/importers';
import { RUN_STATUSES } from '../src/contracts/run-status';
import { runDemo } from './demo';
import { importCommand } from './import';
import { localUp } from './local-up';
import { runPredictCommand } from './predict';
import { printRuns, printStatus, requestStop, startExecution } from './remote';
import { runOnFolder } from './run';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The AWS clients of commands that talk to AWS (endpoints, region, credentials from the SDK's own configuration), built on first use. */
let clients: AwsClients | undefined;
const awsClients = (): AwsClients => (clients ??= createAwsClients());

const nonNegativeInteger = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`must be a non-negative integer, got "${value}"`);
  return parsed;
};

const positiveNumber = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`must be a positive number, got "${value}"`);
  return parsed;
};

const json = (value: string): unknown => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError(`must be JSON, got: ${value}`);
  }
};

const hyperparametersSchema = z.record(z.string(), z.union([z.string(), z.number()]));

/** Training hyperparameters: a JSON object of strings and numbers (passed to the trainer as strings). */
const hyperparameters = (value: string): Record<string, string | number> => {
  const parsed = hyperparametersSchema.safeParse(json(value));
  if (!parsed.success) throw new InvalidArgumentError(`must be a JSON object of strings and numbers, got: ${value}`);
  return parsed.data;
};

const formatHelp = (): string =>
  importFormatNames()
    .map((name) => `  ${name.padEnd(14)} ${importFormat(name).input}`)
    .join('\n');

/** The command tree; `setExitCode` receives each action's exit code. */
export const buildProgram = (setExitCode: (code: number) => void): Command => {
  const program = new Command('doctrain')
    .description('Scanned documents + annotations -> a trained LayoutLM-family model, on AWS Step Functions or the embedded local runtime')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('demo')
    .description('the whole pipeline on the embedded local AWS: synthetic receipts -> OCR -> dataset -> trained model')
    .option('--documents <n>', 'synthetic receipts to render', nonNegativeInteger, 80)
    .option('--seed <n>', 'seed of the receipt generator', nonNegativeInteger, 7)
    .option('--data-dir <dir>', 'where the local AWS keeps its data', path.join(root, '.doctrain', 'demo'))
    .option('--hyperparameters <json>', 'training hyperparameters, e.g. \'{"epochs": 10}\'', hyperparameters, {})
    .option('--budget-usd <usd>', "the run's cost budget: the training job is stopped when the projected cost passes it", positiveNumber)
    .action(async (options) => {
      setExitCode(
        await runDemo({
          root,
          documents: options.documents,
          seed: options.seed,
          dataDir: path.resolve(options.dataDir),
          hyperparameters: options.hyperparameters,
          budgetUsd: options.budgetUsd,
        }),
      );
    });

  program
    .command('run')
    .description('the whole pipeline on your own documents, on the embedded local runtime with a persistent local stage')
    .argument(
      '<source>',
      'a folder in the documents layout (image + <id>.json beside it), what --format reads, or s3://doctrain-local/<prefix>/ of the stage',
    )
    .option('--format <format>', `import the source first (${importFormatNames().join(', ')})`)
    .option('--stage <name>', 'the local stage: its data lives in .doctrain/stages/<name>/', 'local')
    .option('--data-dir <dir>', 'the stage data somewhere else than .doctrain/stages/<name>/')
    .option('--prefix <prefix>', 'where the folder is uploaded in the stage S3 (default uploads/<folder name>/)')
    .option('--images <dir>', "ground-truth: where the manifest's s3:// images were downloaded")
    .option('--label-attribute <name>', 'ground-truth: the label attribute, when the manifest has several')
    .option('--hyperparameters <json>', 'training hyperparameters, e.g. \'{"epochs": 10}\'', hyperparameters, {})
    .option('--budget-usd <usd>', "the run's cost budget: the training job is stopped when the projected cost passes it", positiveNumber)
    .action(async (source, options) => {
      setExitCode(await runOnFolder({ root, source, ...options }));
    });

  program
    .command('import')
    .description("turn a labelling tool's output into the documents layout (image + <id>.json), in a folder or under an S3 prefix")
    .addArgument(new Argument('<format>', 'the annotation format').choices(importFormatNames()))
    .argument('<path>', 'the manifest, folder or file to import')
    .option('--out <dir>', 'write to this local folder')
    .option('--bucket <name>', 'write to this S3 bucket (AWS, or the local S3 through AWS_ENDPOINT_URL_S3)')
    .option('--prefix <prefix>', 'key prefix in the bucket (default documents/)')
    .option('--images <dir>', "ground-truth: where the manifest's s3:// images were downloaded")
    .option('--label-attribute <name>', 'ground-truth: the label attribute, when the manifest has several')
    .addHelpText('after', `\nFormats:\n${formatHelp()}\nSee the README, "Import formats".`)
    .action(async (format, source, options) => {
      setExitCode(await importCommand(format, source, options));
    });

  program
    .command('local')
    .description('the local AWS')
    .command('up')
    .description('keep the local AWS running on fixed ports (S3, DynamoDB, Textract, SageMaker), DynamoDB on disk')
    .option('--port-base <port>', 'first of four ports', nonNegativeInteger, 4566)
    .option('--data-dir <dir>', 'where the local AWS keeps its data', path.join(root, '.doctrain', 'local'))
    .action(async (options) => {
      setExitCode(await localUp({ root, portBase: options.portBase, dataDir: path.resolve(options.dataDir) }));
    });

  program
    .command('start')
    .description('StartExecution of the deployed state machine (real AWS)')
    .option('--state-machine-arn <arn>', 'the TrainPipeline ARN (from `sls info`)')
    .option('--input <json>', 'execution input', json)
    .option('--name <name>', 'execution name')
    .action(async (options) => {
      const arn = options.stateMachineArn;
      if (!arn) throw new Error('start needs --state-machine-arn (the TrainPipeline ARN from `sls info`)');
      setExitCode(await startExecution(arn, options.input ?? {}, options.name));
    });

  program
    .command('status')
    .description('a run record and its status history')
    .argument('<runId>')
    .option('--table <name>', 'the runs table (default $DOCTRAIN_TABLE)')
    .action(async (runId, options) => {
      setExitCode(await printStatus(runId, options.table));
    });

  program
    .command('runs')
    .description('recent runs by status')
    .option('--status <status>', RUN_STATUSES.join(', '), 'COMPLETED')
    .option('--table <name>', 'the runs table (default $DOCTRAIN_TABLE)')
    .action(async (options) => {
      setExitCode(await printRuns(options.status, options.table));
    });

  program
    .command('stop')
    .description("ask a run's poll loop to stop its training job; the run ends STOPPED")
    .argument('<runId>')
    .option('--reason <text>', 'kept on the run record with the request')
    .option('--table <name>', 'the runs table (default $DOCTRAIN_TABLE)')
    .action(async (runId, options) => {
      setExitCode(await requestStop(runId, { table: options.table, reason: options.reason }));
    });

  program
    .command('predict')
    .description("a trained model's fields for one document, OCR'd as the pipeline does it (JSON on stdout)")
    .option('--model <model>', 'model.tar.gz, a model directory, or s3://…/model.tar.gz')
    .option('--document <document>', 'an image or PDF, local or s3://… (OCR by Textract, local or AWS by endpoint)')
    .option('--textract <response>', 'a saved Textract DetectDocumentText response instead of --document')
    .option('--python <path>', "the Python with the trainer's dependencies (default $DOCTRAIN_PYTHON, then .venv/bin/python)")
    .action(async (options) => {
      setExitCode(await runPredictCommand(options, root, { s3: () => awsClients().s3, textract: () => awsClients().textract }));
    });

  return program;
};

/** Runs the CLI on `argv` (without node and script) and returns its exit code; never calls process.exit. */
export const runCli = async (argv: readonly string[]): Promise<number> => {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Help and version exit 0; every other parse error (unknown command or option, missing or invalid
    // argument) is a usage error: commander has printed it with the help.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    console.error(`doctrain: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
};
