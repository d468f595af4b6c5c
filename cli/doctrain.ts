/**
 * doctrain: the operator command.
 *   demo        the whole pipeline on the embedded local AWS (synthetic receipts -> trained model)
 *   local up    keep the local AWS running on fixed ports, for the aws CLI and `sls invoke local`
 *   start       StartExecution of the deployed state machine (real AWS)
 *   status ID   a run record and its status history (local or AWS, by endpoint configuration)
 *   runs        recent runs by status
 *   predict     a model's fields for one document (cli/predict.ts)
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from './demo';
import { localUp } from './local-up';
import { s3Client, textractClient } from '../src/aws/clients';
import { PREDICT_USAGE, runPredictCommand } from './predict';
import { printRuns, printStatus, startExecution } from './remote';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: doctrain <command> [options]
  demo [--documents N] [--seed N] [--data-dir DIR] [--hyperparameters JSON]
  local up [--port-base 4566] [--data-dir DIR]
  start --state-machine-arn ARN [--input JSON] [--name NAME]
  status RUN_ID [--table NAME]
  runs [--status STATUS] [--table NAME]
  ${PREDICT_USAGE}`;

const main = async (argv: string[]): Promise<number> => {
  const [command, ...rest] = argv;
  // Registration hook: predict parses its own options (cli/predict.ts).
  if (command === 'predict') return runPredictCommand(rest, root, { s3: s3Client, textract: textractClient });
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      documents: { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      hyperparameters: { type: 'string' },
      'port-base': { type: 'string' },
      'state-machine-arn': { type: 'string' },
      input: { type: 'string' },
      name: { type: 'string' },
      table: { type: 'string' },
      status: { type: 'string' },
    },
  });
  const integer = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
    return parsed;
  };
  const json = (name: string, value: string | undefined): unknown => {
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new Error(`--${name} must be JSON, got: ${value}`);
    }
  };
  switch (command) {
    case 'demo':
      return runDemo({
        root,
        documents: integer('documents', values.documents, 80),
        seed: integer('seed', values.seed, 7),
        dataDir: path.resolve(values['data-dir'] ?? path.join(root, '.doctrain', 'demo')),
        hyperparameters: (json('hyperparameters', values.hyperparameters) ?? {}) as Record<string, string | number>,
      });
    case 'local':
      if (positionals[0] !== 'up') break;
      return localUp({
        root,
        portBase: integer('port-base', values['port-base'], 4566),
        dataDir: path.resolve(values['data-dir'] ?? path.join(root, '.doctrain', 'local')),
      });
    case 'start': {
      const arn = values['state-machine-arn'];
      if (!arn) throw new Error('start needs --state-machine-arn (the TrainPipeline ARN from `sls info`)');
      return startExecution(arn, json('input', values.input) ?? {}, values.name);
    }
    case 'status':
      if (!positionals[0]) break;
      return printStatus(positionals[0], values.table);
    case 'runs':
      return printRuns(values.status ?? 'COMPLETED', values.table);
    default:
      break;
  }
  console.error(USAGE);
  return 2;
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`doctrain: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
