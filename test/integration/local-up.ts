/** `doctrain local up` in a process of its own, on fixed ports, for the integration tests that need it. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { freePortBase } from './free-ports';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** This process's environment without AWS or doctrain settings: a child gets only what a test gives it. */
export const cleanEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('AWS_') && !entry[0].startsWith('DOCTRAIN_'),
    ),
  );

export interface LocalUp {
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGINT, then its exit code. */
  stop(): Promise<number | null>;
}

/** `doctrain local up --port-base base --data-dir dataDir`, once it says it is up (`Ctrl-C to stop.`). */
export const startLocalUp = async (base: number, dataDir: string): Promise<LocalUp> => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/doctrain.ts', 'local', 'up', '--port-base', String(base), '--data-dir', dataDir],
    { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ctrl-C to stop.')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then((code) => reject(new Error(`local up exited ${code}: ${output}`)));
  });
  return {
    output: () => output,
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
};
