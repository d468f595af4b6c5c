/**
 * The tests' way to botocore's verdict on AWS requests: scripts/validate_aws_requests.py (in the project
 * venv) checks each against the real service model, with botocore's ParamValidator and the model's
 * max/pattern/enum constraints. Used by requests.test.ts and registry-requests.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PYTHON = process.env['DOCTRAIN_PYTHON'] ?? path.join(ROOT, '.venv', 'bin', 'python');
const VALIDATOR = path.join(ROOT, 'scripts', 'validate_aws_requests.py');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One request: botocore's service name (`events` for EventBridge), the operation and its params. */
export interface ApiRequest {
  label: string;
  service: 'sagemaker' | 'textract' | 'events';
  operation: string;
  params: Json;
}

const verdictsSchema = z.object({ results: z.array(z.object({ label: z.string(), errors: z.array(z.string()) })) });

/** botocore's verdict on each request (label -> errors, none when valid), in one Python process. */
export const validate = (requests: readonly ApiRequest[]): Record<string, string[]> => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run npm run setup (it installs botocore into .venv)`);
  const out = execFileSync(PYTHON, [VALIDATOR], { input: JSON.stringify({ requests }), maxBuffer: 64 * 1024 * 1024 });
  const { results } = verdictsSchema.parse(JSON.parse(out.toString('utf8')));
  expect(results.map((r) => r.label)).toEqual(requests.map((r) => r.label));
  return Object.fromEntries(results.map((r) => [r.label, r.errors]));
};

/** JSON for the validator: Uint8Array members (blobs) as {"$base64": ...}. */
export const toJson = (value: unknown): Json =>
  JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? { $base64: Buffer.from(v).toString('base64') } : v)),
  ) as Json;
