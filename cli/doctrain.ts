/** doctrain: the operator command's entry point (commands in ./program.ts). */
import { runCli } from './program';

// The SDK's own switch for its nine-line "node >= 22 after January 2027" notice (Node 22 is the
// Lambda runtime; the CLI keeps working on Node 20). Set before any client is built; a user's setting wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`doctrain: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
