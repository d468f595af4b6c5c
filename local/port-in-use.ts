import { createServer } from 'node:net';

/** A local service could not listen on its fixed port (`doctrain local up --port-base`): another process has it. */
export class PortInUseError extends Error {
  public override readonly name = 'PortInUseError';
  public constructor(
    public readonly port: number | undefined,
    options?: ErrorOptions,
  ) {
    super(`port ${port ?? '(unknown)'} on 127.0.0.1 is already in use by another process`, options);
  }
}

const probe = (port: number): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * Throws PortInUseError for the first of `ports` another process listens on. Checked before anything
 * starts: s3rver reports a taken port as an unhandled 'error' event that would end the process.
 */
export const assertPortsFree = async (ports: readonly number[]): Promise<void> => {
  for (const port of ports) if (!(await probe(port))) throw new PortInUseError(port);
};
