/**
 * What a read command prints. With `--json`: one JSON document on stdout (JSON.parse reads it) and every
 * message on stderr; without it: human text on stdout. Errors always go to stderr (cli/errors.ts).
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: `value` as JSON, or the lines `human` renders. */
  result(value: unknown, human: () => readonly string[]): void;
  /** A message beside the result (progress, what was opened): stderr with --json, stdout without. */
  info(message: string): void;
}

export const createOutput = (json: boolean): Output => ({
  json,
  result: (value, human) => {
    if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else for (const line of human()) console.log(line);
  },
  info: (message) => (json ? console.error(message) : console.log(message)),
});

/** Rows under a header, each column as wide as its widest cell (the last one left unpadded). */
export const formatTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
};
