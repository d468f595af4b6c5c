/**
 * What the CLI prints for an error that reached the top, and its exit code (cli/exit-codes.ts): one line,
 * `doctrain: <what went wrong, naming the resource>; <the fix>`, never a raw stack unless DOCTRAIN_DEBUG
 * asks for it.
 */
import type { CommanderError } from '@commander-js/extra-typings';
import { DoctrainError } from '../src/contracts/errors';
import { PortInUseError } from '../local/port-in-use';
import { StageInUseError } from '../local/stage-lock';
import { StageNotFoundError } from '../local/stage-table';
import { CliError, EXIT_CODES, type ExitCode } from './exit-codes';

export interface ExplainedError {
  exitCode: ExitCode;
  /** Without the `doctrain: ` prefix. */
  message: string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const errorName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string' ? error.name : undefined;

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** The AWS SDK's and Node's errors that mean "cannot reach or sign for AWS". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET']);
const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'ExpiredTokenException', 'UnrecognizedClientException']);

export const explainError = (error: unknown): ExplainedError => {
  const message = messageOf(error);
  if (error instanceof CliError) return { exitCode: error.exitCode, message };
  if (error instanceof StageInUseError) {
    return {
      exitCode: EXIT_CODES.unavailable,
      message: `${message}: stop it (kill ${error.holder.pid}, or Ctrl-C in its terminal) or use another --stage`,
    };
  }
  if (error instanceof PortInUseError) {
    return { exitCode: EXIT_CODES.unavailable, message: `${message}: stop what listens there or pick other ports with --port-base` };
  }
  if (error instanceof StageNotFoundError) {
    return {
      exitCode: EXIT_CODES.notFound,
      message: `${message} (no \`doctrain run\` or \`local up\` has used that folder): check --data-dir / --stage; \`doctrain run <folder> --stage <name>\` (or --data-dir <dir>) makes one`,
    };
  }
  if (error instanceof DoctrainError) {
    return { exitCode: error.name === 'InvalidInputError' ? EXIT_CODES.usage : EXIT_CODES.failed, message };
  }
  const name = errorName(error);
  if (name !== undefined && CREDENTIAL_ERRORS.has(name)) {
    return {
      exitCode: EXIT_CODES.unavailable,
      message: `no usable AWS credentials (${message}): pass --profile NAME or set AWS_PROFILE / AWS_ACCESS_KEY_ID, or --stage NAME for a local stage`,
    };
  }
  if (message === 'Region is missing') {
    return { exitCode: EXIT_CODES.usage, message: 'no AWS region: pass --region (or set AWS_REGION), or --stage NAME for a local stage' };
  }
  const code = errorCode(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return {
      exitCode: EXIT_CODES.unavailable,
      message: `cannot reach the endpoint (${message}): is the local AWS up (\`doctrain local up\`), or the network to AWS there?`,
    };
  }
  return {
    exitCode: EXIT_CODES.internal,
    message: `internal error: ${message}${process.env['DOCTRAIN_DEBUG'] ? '' : ' (DOCTRAIN_DEBUG=1 prints the stack)'}`,
  };
};

/** Commander has printed its own message (with the help hint): only the exit code is left to choose. */
export const commanderExitCode = (error: CommanderError): ExitCode => (error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage);
