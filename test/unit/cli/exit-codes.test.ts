/** The exit codes are defined once (cli/exit-codes.ts); docs/CLI.md's table lists exactly those. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_HELP, EXIT_CODES } from '../../../cli/exit-codes';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('exit codes', () => {
  it('are distinct, each has a help line, and docs/CLI.md documents exactly them', () => {
    // Prepare
    const cliDoc = readFileSync(path.join(ROOT, 'docs', 'CLI.md'), 'utf8');
    const table = cliDoc.slice(cliDoc.indexOf('| Code | Meaning |'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);

    // Act
    const documented = rows.map((row) => Number(/^\| (\d+) \|/.exec(row)?.[1]));
    const codes = Object.values(EXIT_CODES);

    // Assess
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(EXIT_CODE_HELP).map(Number)).toEqual(codes);
    expect(documented).toEqual(codes);
  });
});
