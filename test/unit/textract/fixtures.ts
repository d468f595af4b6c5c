import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TextractBlock } from '../../../src/textract/index';

const DIR = fileURLToPath(new URL('../../fixtures/textract/', import.meta.url));

/** Blocks of a stored real Textract response. */
export function loadBlocks(name: string): TextractBlock[] {
  const json = JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as { Blocks: TextractBlock[] };
  return json.Blocks;
}
