/**
 * The trainer decodes a single-valued entity onto the print of its value that the dataset builder labels
 * (training-image/doctrain_trainer/decoding.py `canonical_prints`, which mirrors align.ts's field-name
 * grades in Python). This runs both: pages labelled by alignFields here must come back unchanged from the
 * trainer's decoding, and a label put on another print must be moved back to the builder's. A change to
 * the grades on either side that the other does not follow fails here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { AlignWord } from '../../../src/dataset/align';
import { alignFields } from '../../../src/dataset/index';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = process.env['DOCTRAIN_PYTHON'] ?? path.join(ROOT, '.venv', 'bin', 'python');

/** Words laid out line by line, 20 units high, boxes 0..1000 as in dataset records. */
const page = (lines: string[]): AlignWord[] =>
  lines.flatMap((line, row) => {
    let x = 10;
    return line.split(' ').map((text) => {
      const box = [x, 30 * row, x + 12 * text.length, 30 * row + 20];
      x += 12 * text.length + 10;
      return { text, box };
    });
  });

interface Case {
  words: string[];
  bboxes: number[][];
  labels: string[];
}

const SCRIPT = `
import json, sys
from doctrain_trainer.decoding import canonical_prints
cases = json.load(sys.stdin)
out = [canonical_prints(c["words"], [tuple(b) for b in c["bboxes"]], c["labels"], {"TOTAL", "DATE", "COMPANY"})[0] for c in cases]
print(json.dumps(out))
`;

const decode = async (cases: Case[]): Promise<string[][]> => {
  const child = promisify(execFile)(PYTHON, ['-c', SCRIPT], { cwd: path.join(ROOT, 'training-image') });
  child.child.stdin?.end(JSON.stringify(cases));
  const { stdout } = await child;
  return JSON.parse(stdout) as string[][];
};

const RECEIPTS: { lines: string[]; fields: Record<string, string> }[] = [
  {
    lines: ['SHOP ONE', 'SUBTOTAL 9.00', 'ROUNDING 0.00', 'TOTAL RM9.00', 'CASH 9.00', '25/12/2018'],
    fields: { company: 'SHOP ONE', total: '9.00', date: '25/12/2018' },
  },
  {
    lines: ['Net Total (MYR) : 21.20', 'Net Total Rounded (MYR) : 21.20', 'Cash 21.20'],
    fields: { total: '21.20' },
  },
  {
    lines: ['Item 2 Total with GST @ 6% 77.20', 'Total Saving 0.00 Total 77.20'],
    fields: { total: '77.20' },
  },
  {
    // `6` is no print of 6.00; the date printed without separators ranks below the one with them.
    lines: ['Total Qty 6', 'Sub Total 6.00', 'Grand Total 6.00', 'Date 25122018', 'Printed 25-12-2018'],
    fields: { total: '6.00', date: '25/12/2018' },
  },
  {
    lines: ['KEDAI ABC', 'Dale: 01/03/2018 10:30', 'GRANDTOTAL 12.50', 'TOTAL 12.50', 'KEDAI ABC'],
    fields: { company: 'KEDAI ABC', date: '01/03/2018', total: '12.50' },
  },
];

const labelled = (): Case[] =>
  RECEIPTS.map(({ lines, fields }) => {
    const words = page(lines);
    const { labels } = alignFields(words, fields);
    return { words: words.map((w) => w.text), bboxes: words.map((w) => [...(w.box ?? [])]), labels };
  });

describe("the trainer's labelled-print decoding agrees with the dataset builder", () => {
  it('leaves every print the builder labelled where it is', { timeout: 120_000 }, async () => {
    // Prepare
    const cases = labelled();
    expect(cases.every((c) => c.labels.some((l) => l === 'B-TOTAL'))).toBe(true);

    // Act
    const decoded = await decode(cases);

    // Assess
    expect(decoded).toEqual(cases.map((c) => c.labels));
  });

  it("moves a total marked on another print back to the builder's print", { timeout: 120_000 }, async () => {
    // Prepare: the first receipt's total put on the CASH print instead.
    const [first] = labelled();
    if (first === undefined) throw new Error('no receipt');
    const builder = first.labels.indexOf('B-TOTAL');
    const cash = first.words.lastIndexOf('9.00');
    expect(cash).not.toBe(builder);
    const elsewhere = first.labels.map((l, i) => (i === builder ? 'O' : i === cash ? 'B-TOTAL' : l));

    // Act
    const [decoded] = await decode([{ ...first, labels: elsewhere }]);

    // Assess
    expect(decoded).toEqual(first.labels);
  });
});
