/**
 * A minimal AWS JSON 1.1 (or 1.0: Step Functions) protocol server: `POST /` with `X-Amz-Target: <Service>.<Operation>` and a JSON
 * body, answered with a JSON body. Errors are HTTP 4xx/5xx with `{"__type": "...", "message": "..."}`, which
 * is what the AWS SDK v3 deserialises into its modelled exception classes. That lets the unmodified SDK
 * clients talk to a local emulator by endpoint alone.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { describeIssues } from '../../src/validation';

/** An error the service returns to the caller; `type` becomes the wire `__type` (the SDK's error name). */
export class JsonProtocolError extends Error {
  public constructor(
    public readonly type: string,
    message: string,
    public readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export type JsonObject = Record<string, unknown>;
export type JsonHandler = (input: JsonObject, context: { operation: string; requestId: string }) => unknown;

export interface JsonProtocolServerOptions {
  /** The target prefix the SDK sends, e.g. `Textract` or `SageMaker`. */
  targetPrefix: string;
  handlers: Record<string, JsonHandler>;
  port?: number;
  host?: string;
  /** Largest accepted request body; Textract sync documents are up to 10 MB, i.e. ~13.4 MB of base64. */
  maxBodyBytes?: number;
  /** Called before any handler; throwing a JsonProtocolError rejects the request (used for throttling). */
  beforeDispatch?: (operation: string) => void;
  /** Extra teardown run by close() after the socket is closed. */
  onClose?: () => Promise<void>;
  /** The service's AWS JSON protocol version (its model's jsonVersion); default 1.1. */
  jsonVersion?: '1.0' | '1.1';
}

export interface LocalServer {
  /** `http://127.0.0.1:<port>`: pass as `endpoint` to an SDK client. */
  endpoint: string;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new JsonProtocolError('SerializationException', `Request body larger than ${limit} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const send = (res: ServerResponse, contentType: string, status: number, body: unknown, requestId: string, errorType?: string): void => {
  const payload = JSON.stringify(body ?? {});
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
  };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(payload);
};

const sendError = (res: ServerResponse, contentType: string, error: JsonProtocolError, requestId: string): void =>
  send(res, contentType, error.statusCode, { __type: error.type, message: error.message }, requestId, error.type);

export const startJsonProtocolServer = async (options: JsonProtocolServerOptions): Promise<LocalServer> => {
  const limit = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const contentType = `application/x-amz-json-${options.jsonVersion ?? '1.1'}`;
  const server = createServer((req, res) => {
    const requestId = randomUUID();
    void (async () => {
      try {
        if (req.method !== 'POST') {
          throw new JsonProtocolError('UnknownOperationException', `Method ${req.method ?? ''} not allowed`, 405);
        }
        const target = req.headers['x-amz-target'];
        const prefix = `${options.targetPrefix}.`;
        if (typeof target !== 'string' || !target.startsWith(prefix)) {
          throw new JsonProtocolError('UnknownOperationException', `Missing or foreign X-Amz-Target: ${String(target)}`);
        }
        const operation = target.slice(prefix.length);
        const handler = Object.hasOwn(options.handlers, operation) ? options.handlers[operation] : undefined;
        if (handler === undefined) {
          throw new JsonProtocolError('UnknownOperationException', `Operation ${operation} is not supported locally`);
        }
        const raw = await readBody(req, limit);
        let input: unknown;
        try {
          input = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
        } catch {
          throw new JsonProtocolError('SerializationException', 'Request body is not valid JSON');
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) {
          throw new JsonProtocolError('SerializationException', 'Request body must be a JSON object');
        }
        options.beforeDispatch?.(operation);
        const output = await handler(input as JsonObject, { operation, requestId });
        send(res, contentType, 200, output ?? {}, requestId);
      } catch (error) {
        if (error instanceof JsonProtocolError) {
          sendError(res, contentType, error, requestId);
        } else {
          // An emulator bug, not a modelled error: surface it as a 500 the SDK reports (and retries) as such.
          const message = error instanceof Error ? error.message : String(error);
          sendError(res, contentType, new JsonProtocolError('InternalServerError', message, 500), requestId);
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; drop them or close() waits for their idle timeout.
        server.closeAllConnections();
      });
      await options.onClose?.();
    })());

  return { endpoint: `http://127.0.0.1:${port}`, close };
};

/**
 * Parses a request with its zod schema; a bad one fails with the service's validation error type, naming
 * every bad member (src/validation.ts renders the issues).
 */
export const requestParser =
  (errorType: string) =>
  <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
    const parsed = schema.safeParse(input);
    if (!parsed.success) throw new JsonProtocolError(errorType, describeIssues(parsed.error.issues));
    return parsed.data;
  };
