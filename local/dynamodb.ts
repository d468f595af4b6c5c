/** dynalite, the embedded DynamoDB: in memory, or on disk under `path` for a persistent local stage. */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export interface LocalDynamoDB {
  endpoint: string;
  close(): Promise<void>;
}

/** Loaded on first use: a command that never starts a DynamoDB does not pay for loading it. */
const dynalite = (options: Record<string, unknown>): Server =>
  (createRequire(import.meta.url)('dynalite') as (options: Record<string, unknown>) => Server)(options);

export const startLocalDynamoDB = async (options: { port?: number; path?: string } = {}): Promise<LocalDynamoDB> => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive sockets from SDK clients would hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
