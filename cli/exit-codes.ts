/**
 * The exit codes of `doctrain`, defined once (docs/CLI.md, "Errors and exit codes"). Scripts can tell a usage mistake from
 * a run that did not succeed, from a resource that does not exist, from a stage or port another process
 * holds, from a bug.
 */
export const EXIT_CODES = {
  /** Done: the command did what it was asked; a run ended COMPLETED (or SKIPPED: nothing changed). */
  ok: 0,
  /** The work failed: a run ended FAILED, STOPPED or BUDGET_EXCEEDED; an import wrote nothing; a promotion was refused. */
  failed: 1,
  /** Usage: an unknown command or option, a missing or invalid argument (commander's), an input the command cannot use. */
  usage: 2,
  /** Not found: the run id, lineage, table, stage, folder, model or document named does not exist. */
  notFound: 3,
  /** Unavailable: the local stage is held by another process, a port is taken, AWS cannot be reached or signed for. */
  unavailable: 4,
  /** Internal: anything else, i.e. a bug (sysexits' EX_SOFTWARE); DOCTRAIN_DEBUG=1 prints the stack. */
  internal: 70,
} as const;

export type ExitReason = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitReason];

/** Each code in a line, for `doctrain --help` (docs/CLI.md's table says the same at more length). */
export const EXIT_CODE_HELP: Readonly<Record<ExitCode, string>> = {
  [EXIT_CODES.ok]: 'ok (a run ended COMPLETED, or SKIPPED: nothing changed)',
  [EXIT_CODES.failed]: 'the work failed (a run ended FAILED, STOPPED or BUDGET_EXCEEDED; nothing imported; promotion refused)',
  [EXIT_CODES.usage]: 'usage error (unknown command or option, bad argument, input the command cannot use)',
  [EXIT_CODES.notFound]: 'not found (run id, lineage, table, stage, folder, model, document)',
  [EXIT_CODES.unavailable]: 'unavailable (local stage held by another process, port taken, AWS unreachable or no credentials)',
  [EXIT_CODES.internal]: 'internal error (a bug; DOCTRAIN_DEBUG=1 prints the stack)',
};

/** An error the CLI explains itself: the message names the resource and the fix; `reason` picks the exit code. */
export class CliError extends Error {
  public override readonly name = 'CliError';
  public constructor(
    message: string,
    public readonly reason: ExitReason,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  public get exitCode(): ExitCode {
    return EXIT_CODES[this.reason];
  }
}
