/**
 * doctrain: the operator command (commander). Each command's module is imported when it runs, so
 * `--help`, `--version` and the record reads start quickly. Every command returns an exit code (cli/exit-codes.ts):
 *   demo        the whole pipeline on the embedded local AWS (synthetic receipts -> trained model)
 *   run         the whole pipeline on your own folder, on a persistent local stage
 *   import      a labelling tool's output -> the documents layout (folder or S3 prefix)
 *   local up    keep the local AWS running on fixed ports, for the aws CLI and `sls invoke local`
 *   start       StartExecution of the stage's state machine (AWS, or a local stage through `local up`)
 *   status ID   a run record and its status history (a local stage or AWS: cli/target.ts)
 *   runs        recent runs by status, as a table
 *   stop ID     ask a run's poll loop to stop its training job (the run ends STOPPED)
 *   logs ID     the run's training job log (CloudWatch Logs, or a local stage's job folder), --follow (cli/logs.ts)
 *   predict     a model's fields for one document (cli/predict.ts)
 *   lineage     a model lineage's champion, earlier champions and history (cli/lineage.ts)
 *   promote ID  make a COMPLETED run's model the champion by hand (--force --reason), logged on the lineage
 *   rollback M  restore the lineage's previous champion
 * Read commands take --json (one JSON document on stdout, messages on stderr: cli/output.ts); errors are
 * one `doctrain: <message>` line on stderr (cli/errors.ts).
 *   report ID   the run's report page: timeline, training curves, scores, champion, cost, dataset, documents (cli/report.ts)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { z } from 'zod';
import type { AwsClients } from '../src/aws/clients';
import { importFormat, importFormatNames } from '../src/importers';
import { RUN_STATUSES, type RunStatus } from '../src/contracts/run-status';
import { commanderExitCode, explainError } from './errors';
import { EXIT_CODE_HELP, EXIT_CODES } from './exit-codes';
import { createOutput } from './output';
import { resolveTarget, type TargetOptions } from './target';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const packageSchema = z.object({ version: z.string() });
const VERSION = packageSchema.parse(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))).version;

/** The AWS clients of `predict` (endpoints, region, credentials from the SDK's own configuration), built on first use. */
let clients: AwsClients | undefined;
const awsClients = async (): Promise<AwsClients> => (clients ??= (await import('../src/aws/clients')).createAwsClients());

const positiveInteger = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return parsed;
};

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

/** A run status in any case (`completed`, `Completed`), as the run record spells it. */
const runStatus = (value: string): RunStatus => {
  const parsed = z.enum(RUN_STATUSES).safeParse(value.toUpperCase());
  if (!parsed.success) throw new InvalidArgumentError(`must be one of ${RUN_STATUSES.join(', ')} (any case), got "${value}"`);
  return parsed.data;
};

const DEFAULT_RUNS_STATUS: RunStatus = 'COMPLETED';

const executionInputSchema = z.record(z.string(), z.unknown());

/** Execution input: a JSON object. */
const executionInput = (value: string): Record<string, unknown> => {
  const parsed = executionInputSchema.safeParse(json(value));
  if (!parsed.success) throw new InvalidArgumentError(`must be a JSON object, got: ${value}`);
  return parsed.data;
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

/** The options of every command that talks to a stage or AWS (cli/target.ts decides which). */
const STAGE_HELP =
  "a local stage (.doctrain/stages/<name>/, as `doctrain run --stage` makes it) when that folder exists, else the deployed stage <name> (its stack's runs table)";
const stageOption = () => new Option('--stage <name>', STAGE_HELP);
const dataDirOption = () =>
  new Option('--data-dir <dir>', 'a local stage kept somewhere else than .doctrain/stages/<name>/ (as doctrain run --data-dir)');
const regionOption = () => new Option('--region <region>', "AWS region (default: $AWS_REGION, the profile's)");
const profileOption = () => new Option('--profile <name>', 'AWS shared-config profile (default: $AWS_PROFILE)');
const tableOption = () => new Option('--table <name>', "the runs table itself (default: the stage's, else $DOCTRAIN_TABLE)");
const jsonOption = () => new Option('--json', 'print one JSON document on stdout (messages go to stderr)');

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;

const EXIT_HELP = `\nExit codes:\n${Object.entries(EXIT_CODE_HELP)
  .map(([code, help]) => `  ${code.padEnd(4)}${help}`)
  .join('\n')}`;

/** The command tree; `setExitCode` receives each action's exit code. */
export const buildProgram = (setExitCode: (code: number) => void): Command => {
  const program = new Command('doctrain')
    .description('Scanned documents + annotations -> a trained LayoutLM-family model, on AWS Step Functions or the embedded local runtime')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${EXIT_HELP}\n\nSee docs/CLI.md.`);

  program
    .command('demo')
    .description('the whole pipeline on the embedded local AWS: synthetic receipts -> OCR -> dataset -> trained model')
    .option('--documents <n>', 'synthetic receipts to render', nonNegativeInteger, 80)
    .option('--seed <n>', 'seed of the receipt generator', nonNegativeInteger, 7)
    .option('--data-dir <dir>', 'where the local AWS keeps its data', path.join(root, '.doctrain', 'demo'))
    .option('--hyperparameters <json>', 'training hyperparameters, e.g. \'{"epochs": 10}\'', hyperparameters, {})
    .option('--budget-usd <usd>', "the run's cost budget: the training job is stopped when the projected cost passes it", positiveNumber)
    .addHelpText('after', examples('doctrain demo', 'doctrain demo --documents 40 --seed 3 --hyperparameters \'{"epochs": 10}\''))
    .action(async (options) => {
      const { runDemo } = await import('./demo');
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
    .option('--force', "train even when nothing changed since the lineage's champion or last COMPLETED run (no skip)")
    .option('--model-name <name>', "the model lineage (default the stage's modelName, receipts)")
    .addHelpText(
      'after',
      examples(
        'doctrain run ./my-receipts',
        'doctrain run ./labels/output.manifest --format ground-truth --images ./gt-images --stage gt',
        'doctrain run s3://doctrain-local/uploads/my-receipts/ --force',
      ) + '\nExit code 0 when the run ends COMPLETED or SKIPPED, 1 when it ends otherwise.',
    )
    .action(async (source, options) => {
      const { runOnFolder } = await import('./run');
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
    .addHelpText(
      'after',
      `\nFormats:\n${formatHelp()}\nSee the README, "Import formats".${examples('doctrain import funsd ./funsd/training_data --out ./forms', 'doctrain import sroie ./sroie --bucket my-docs --prefix documents/')}`,
    )
    .action(async (format, source, options) => {
      const { importCommand } = await import('./import');
      setExitCode(await importCommand(format, source, options));
    });

  program
    .command('local')
    .description('the local AWS')
    .command('up')
    .description(
      'keep the local AWS running on fixed ports (S3, DynamoDB, Textract, SageMaker, EventBridge, ECR, Service Quotas, Step Functions), DynamoDB on disk',
    )
    .addOption(
      new Option('--port-base <port>', 'first of eight consecutive ports')
        .env('DOCTRAIN_PORT_BASE')
        .argParser(nonNegativeInteger)
        .default(4566),
    )
    .option(
      '--data-dir <dir>',
      'where the local AWS keeps its data (a stage of doctrain run: .doctrain/stages/<name>)',
      path.join(root, '.doctrain', 'local'),
    )
    .addHelpText('after', examples('doctrain local up', 'doctrain local up --port-base 5566 --data-dir .doctrain/stages/local'))
    .action(async (options) => {
      const { localUp } = await import('./local-up');
      setExitCode(await localUp({ root, portBase: options.portBase, dataDir: path.resolve(options.dataDir) }));
    });

  const target = (options: TargetOptions) => resolveTarget(root, options);

  program
    .command('start')
    .description(
      "StartExecution of the stage's state machine (a deployed stage, or a local stage that `doctrain local up` serves); prints the execution and its run id",
    )
    .addOption(
      new Option(
        '--stage <name>',
        `${STAGE_HELP}: its state machine doctrain-<name>-train-pipeline (a local stage: through its \`local up\`)`,
      ).conflicts('stateMachineArn'),
    )
    .addOption(dataDirOption().conflicts('stateMachineArn'))
    .option('--state-machine-arn <arn>', 'the TrainPipeline ARN (from `sls info --verbose`) instead of --stage')
    .option('--input <json>', 'execution input (a JSON object)', executionInput, {})
    .option('--name <name>', 'execution name (the run id, unless the input has runId)')
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      examples(
        'doctrain start --stage prod --region eu-west-1 --input \'{"force": true}\'',
        'doctrain start --state-machine-arn arn:aws:states:eu-west-1:123456789012:stateMachine:doctrain-prod-train-pipeline --json',
        'doctrain start --stage local --name run-0001 --input \'{"documentsPrefix": "uploads/receipts/"}\'   # served by doctrain local up',
      ),
    )
    .action(async (options) => {
      const { startExecution } = await import('./remote');
      setExitCode(
        await startExecution(createOutput(options.json === true), target(options), {
          stateMachineArn: options.stateMachineArn,
          input: options.input,
          name: options.name,
        }),
      );
    });

  program
    .command('status')
    .description('a run record and its status history')
    .argument('<runId>')
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(tableOption())
    .addOption(jsonOption())
    .option('-w, --watch', 'follow the run until it ends: status events, the OCR count, the training job as polled (cli/watch.ts)')
    .option('--bucket <name>', "with --watch: the stack bucket, for the OCR count (default: the local stage's, else $DOCTRAIN_BUCKET)")
    .addHelpText(
      'after',
      examples(
        'doctrain status run-20261206195250123 --stage local',
        'doctrain status run-20261206195250123 --stage local --json | python3 -m json.tool',
        'doctrain status 2026-12-06T02-00-00Z --stage prod --region eu-west-1',
        'doctrain status 2026-12-06T02-00-00Z --watch --table doctrain-prod-runs',
        'doctrain status run-20261206195250123 --watch --stage local',
      ),
    )
    .action(async (runId, options) => {
      if (options.watch === true) {
        const { watchStatus } = await import('./watch');
        setExitCode(await watchStatus(root, target(options), runId, { bucket: options.bucket }));
        return;
      }
      const { printStatus } = await import('./remote');
      setExitCode(await printStatus(root, target(options), createOutput(options.json === true), runId));
    });

  program
    .command('runs')
    .description('recent runs of one status, newest first, as a table')
    .option('--status <status>', `${RUN_STATUSES.join(', ')} (any case)`, runStatus, DEFAULT_RUNS_STATUS)
    .option('--limit <n>', 'at most this many runs', positiveInteger, 20)
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(tableOption())
    .addOption(jsonOption())
    .addHelpText('after', examples('doctrain runs --stage local', 'doctrain runs --status failed --limit 5 --stage prod --json'))
    .action(async (options) => {
      const { printRuns } = await import('./remote');
      setExitCode(await printRuns(root, target(options), createOutput(options.json === true), options.status, options.limit));
    });

  program
    .command('stop')
    .description("ask a run's poll loop to stop its training job; the run ends STOPPED")
    .argument('<runId>')
    .option('--reason <text>', 'kept on the run record with the request')
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(tableOption())
    .addOption(jsonOption())
    .addHelpText('after', examples("doctrain stop run-20261206195250123 --stage prod --reason 'wrong dataset'"))
    .action(async (runId, options) => {
      const { requestStop } = await import('./remote');
      setExitCode(await requestStop(root, target(options), createOutput(options.json === true), runId, options.reason));
    });

  program
    .command('logs')
    .description("the run's training job log, [metric] lines included: CloudWatch Logs on AWS, the job folder on a local stage")
    .argument('<runId>')
    .option('-f, --follow', 'tail the log until the job ends (and a later attempt, until the run has ended)')
    .addOption(stageOption())
    .addOption(dataDirOption())
    .option('--table <name>', 'AWS: the runs table (default $DOCTRAIN_TABLE), so --follow knows when the run has ended')
    .addHelpText(
      'after',
      examples(
        'doctrain logs run-20261206195250123 --stage local',
        'doctrain logs run-20261206195250123 --follow   # AWS: /aws/sagemaker/TrainingJobs',
      ),
    )
    .action(async (runId, options) => {
      const { logsCommand } = await import('./logs');
      setExitCode(
        await logsCommand({
          root,
          runId,
          follow: options.follow === true,
          stage: options.stage,
          dataDir: options.dataDir,
          table: options.table,
        }),
      );
    });

  program
    .command('lineage')
    .description('a model lineage: its champion, the champions before it, and every promotion decision, forced promotion and rollback')
    .argument('<modelName>')
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(jsonOption())
    .addHelpText('after', examples('doctrain lineage receipts --stage local', 'doctrain lineage receipts --stage local --json'))
    .action(async (modelName, options) => {
      const { showLineage } = await import('./lineage');
      setExitCode(await showLineage(root, target(options), createOutput(options.json === true), modelName));
    });

  program
    .command('promote')
    .description(
      "make a COMPLETED run's model the champion of its lineage by hand, whatever the promotion rule decided (logged on the lineage)",
    )
    .argument('<runId>')
    .requiredOption('--force', 'required: this overrides the promotion rule')
    .requiredOption('--reason <text>', 'why (kept in the lineage history)')
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(jsonOption())
    .addHelpText('after', examples("doctrain promote run-20261206195250123 --force --reason 'the date field matters more' --stage local"))
    .action(async (runId, options) => {
      const { promoteCommand } = await import('./lineage');
      setExitCode(await promoteCommand(root, target(options), createOutput(options.json === true), runId, options.reason));
    });

  program
    .command('rollback')
    .description("restore the lineage's previous champion (the current one's model package is marked Rejected)")
    .argument('<modelName>')
    .option('--reason <text>', 'why (kept in the lineage history)', 'rolled back by hand')
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(jsonOption())
    .addHelpText('after', examples("doctrain rollback receipts --reason 'totals wrong in production' --stage local"))
    .action(async (modelName, options) => {
      const { rollbackCommand } = await import('./lineage');
      setExitCode(await rollbackCommand(root, target(options), createOutput(options.json === true), modelName, options.reason));
    });

  program
    .command('report')
    .description(
      "the run's report: one self-contained HTML page (state timeline, training curves, scores, champion, cost, dataset, validation documents), written to runs/<runId>/report.html in the stage bucket and to --out",
    )
    .argument('<runId>')
    .option('--out <file>', 'the local copy (default ./doctrain-report-<runId>.html); - prints the page on stdout')
    .option('--open', "open the local copy in the desktop's browser")
    .option('--documents <n>', 'validation pages to draw', nonNegativeInteger, 3)
    .addOption(stageOption())
    .addOption(dataDirOption())
    .addOption(regionOption())
    .addOption(profileOption())
    .addOption(tableOption())
    .option('--bucket <name>', "the stage bucket (default: the stage's, else $DOCTRAIN_BUCKET)")
    .addHelpText(
      'after',
      examples(
        'doctrain report run-20261206231500123 --stage local --open',
        'doctrain report weekly-2026-03-14 --table doctrain-prod-runs --bucket doctrain-prod-documents --out report.html',
      ),
    )
    .action(async (runId, options) => {
      const { reportCommand } = await import('./report');
      setExitCode(await reportCommand(root, target(options), runId, options));
    });

  program
    .command('predict')
    .description("a trained model's fields for one document, OCR'd as the pipeline does it (JSON on stdout)")
    .requiredOption('--model <model>', 'model.tar.gz, a model directory, or s3://…/model.tar.gz')
    .addOption(
      new Option('--document <document>', 'an image or PDF, local or s3://… (OCR by Textract, local or AWS by endpoint)').conflicts(
        'textract',
      ),
    )
    .option('--textract <response>', 'a saved Textract DetectDocumentText response instead of --document')
    .option('--python <path>', "the Python with the trainer's dependencies (default $DOCTRAIN_PYTHON, then .venv/bin/python)")
    .addHelpText(
      'after',
      examples(
        'doctrain predict --model ./model.tar.gz --document receipt.jpg',
        'doctrain predict --model s3://bucket/models/m/output/model.tar.gz --textract response.json',
      ),
    )
    .action(async (options) => {
      const { runPredictCommand } = await import('./predict');
      const { s3, textract } = await awsClients();
      setExitCode(await runPredictCommand(options, root, { s3: () => s3, textract: () => textract }));
    });

  return program;
};

/** Runs the CLI on `argv` (without node and script) and returns its exit code (cli/exit-codes.ts); never calls process.exit. */
export const runCli = async (argv: readonly string[]): Promise<number> => {
  let exitCode: number = EXIT_CODES.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_CODES.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Help and version exit 0; every other parse error (unknown command or option, missing or invalid
    // argument) is a usage error: commander has printed it with the help hint.
    if (error instanceof CommanderError) return commanderExitCode(error);
    const explained = explainError(error);
    console.error(`doctrain: ${explained.message}`);
    if (explained.exitCode === EXIT_CODES.internal && process.env['DOCTRAIN_DEBUG'] && error instanceof Error) console.error(error.stack);
    return explained.exitCode;
  }
};
