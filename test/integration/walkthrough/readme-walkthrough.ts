/**
 * The README's local walkthrough as commands: the code block after `<!-- walkthrough: server -->` is the
 * long-running local AWS (one shell), those after `<!-- walkthrough -->` the commands of the second shell,
 * in order, one a line (blank lines and `#` comments left out). The README is the single source: the test
 * runs exactly what a reader copies.
 */
import { z } from 'zod';

export interface Walkthrough {
  /** The command of the first shell, running until it is interrupted. */
  server: string;
  /** The second shell's commands, in the README's order. */
  commands: string[];
}

const MARKER = /^<!-- walkthrough(?:: (server))? -->\n```bash\n([\s\S]*?)\n```$/gm;

const walkthroughSchema = z.object({ server: z.string().min(1), commands: z.array(z.string().min(1)).min(1) });

export const readmeWalkthrough = (readme: string): Walkthrough => {
  const servers: string[] = [];
  const commands: string[] = [];
  for (const [, kind, block] of readme.matchAll(MARKER)) {
    const lines = (block ?? '').split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
    if (kind === 'server') servers.push(...lines);
    else commands.push(...lines);
  }
  if (servers.length !== 1) throw new Error(`the README's walkthrough needs exactly one server command, found ${servers.length}`);
  return walkthroughSchema.parse({ server: servers[0], commands });
};
