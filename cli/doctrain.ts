/** doctrain: the operator command's entry point (commands in ./program.ts). */
import { explainError } from './errors';
import { runCli } from './program';

// The SDK's own switch for its nine-line "node >= 22 after January 2027" notice (Node 22 is the
// Lambda runtime; the CLI keeps working on Node 20). Set before any client is built; a user's setting wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Exits once stdout and stderr are flushed: a pipe is written asynchronously, and a --json document must arrive whole. */
const exit = (code: number): void => {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
};

runCli(process.argv.slice(2)).then(exit, (error: unknown) => {
  const explained = explainError(error);
  console.error(`doctrain: ${explained.message}`);
  exit(explained.exitCode);
});
