/** doctrain: the operator command's entry point (commands in ./program.ts). */
import { runCli } from './program';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`doctrain: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
