/** Shared test helpers for the local AWS emulators: a real local S3 (s3rver) and a rendered receipt. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GlobalFonts, createCanvas } from '@napi-rs/canvas';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../src/aws/clients';
import { localS3Config } from '../../../local/clients';

// s3rver ships no types; load it through require with the little surface used here (no global `declare module`,
// which could clash with another one in the project).
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

export interface LocalS3 {
  endpoint: string;
  /** A client of this server, configured as the local runtime configures its own (local/clients.ts). */
  client: S3Client;
  close(): Promise<void>;
}

/** Start s3rver with `bucket`, and a client of it. */
export const startLocalS3 = async (bucket: string): Promise<LocalS3> => {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'doctrain-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = createS3Client(localS3Config(endpoint));
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      server.httpServer?.closeAllConnections(); // the SDK keeps sockets alive
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
};

let fontsRegistered = false;

/** Render lines of text as a receipt-like PNG; returns the bytes and where each line was drawn (pixels). */
export const renderReceipt = (
  lines: string[],
  size = { width: 800, height: 600 },
): { png: Buffer; lineTops: number[]; fontPx: number; left: number } => {
  if (!fontsRegistered) {
    GlobalFonts.loadFontsFromDir('/usr/share/fonts/truetype/dejavu');
    fontsRegistered = true;
  }
  const canvas = createCanvas(size.width, size.height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, size.width, size.height);
  ctx.fillStyle = '#000000';
  const fontPx = 32;
  const left = 60;
  ctx.font = `${fontPx}px "DejaVu Sans"`;
  ctx.textBaseline = 'top';
  const lineTops: number[] = [];
  lines.forEach((text, i) => {
    const top = 60 + i * 70;
    lineTops.push(top);
    ctx.fillText(text, left, top);
  });
  return { png: canvas.toBuffer('image/png'), lineTops, fontPx, left };
};
