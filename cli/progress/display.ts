/**
 * Where progress is written. On a TTY: lines scroll as usual and one status line under them is rewritten
 * in place (the OCR count, the poll loop), with the terminal API Node's tty.WriteStream has for it
 * (`clearLine`, `cursorTo`: the escape sequences log-update writes). Anywhere else (CI, a pipe, a file):
 * plain lines, one per event, with no control characters at all; a status is printed as a line only when
 * its plain text changes (the poll loop prints a line when the job's status changes, not one per poll).
 */
import type { Writable } from 'node:stream';

export interface ProgressDisplay {
  /** A permanent line. */
  line(message: string): void;
  /**
   * The current status: rewritten in place on a TTY; elsewhere `plain` (default `message`) as a line, when
   * `key` (default the plain text) differs from the last status's.
   */
  status(message: string, options?: { plain?: string; key?: string }): void;
  /** Leaves the status line (a TTY's is cleared): what comes next starts on a fresh line. */
  end(): void;
}

/** The stream a TTY display writes to: a tty.WriteStream (process.stdout on a terminal). */
export interface TerminalStream extends Pick<Writable, 'write'> {
  isTTY?: boolean;
  columns?: number;
  clearLine(dir: -1 | 0 | 1): boolean;
  cursorTo(x: number): boolean;
}

// Every C0 control but \t, DEL, and the C1 range; ANSI escape sequences first, whole.
const ANSI_SEQUENCE = /\u001b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Text with no control characters: escape sequences removed, any other control (CR, BS, ...) as a space. */
export const plainText = (text: string): string => text.replace(ANSI_SEQUENCE, '').replace(CONTROL, ' ');

/** Plain lines through `writeLine` (one call a line, without its newline; default console.log). */
export const plainDisplay = (writeLine: (line: string) => void = (line) => console.log(line)): ProgressDisplay => {
  let lastKey: string | undefined;
  return {
    line: (message) => {
      writeLine(plainText(message));
    },
    status: (message, options = {}) => {
      const text = plainText(options.plain ?? message);
      const key = options.key ?? text;
      if (key === lastKey) return;
      lastKey = key;
      writeLine(text);
    },
    end: () => {
      lastKey = undefined;
    },
  };
};

export const terminalDisplay = (out: TerminalStream): ProgressDisplay => {
  let shown: string | undefined;
  const clear = (): void => {
    out.cursorTo(0);
    out.clearLine(0);
  };
  const draw = (): void => {
    if (shown === undefined) return;
    // A pseudo-terminal may report 0 columns (script, some CI runners): take 80 then.
    const columns = out.columns !== undefined && out.columns > 0 ? out.columns : 80;
    const width = Math.max(20, columns - 1);
    // One row only: a status wider than the terminal would wrap, and the next rewrite would leave its first row behind.
    out.write(shown.length > width ? `${shown.slice(0, width - 1)}…` : shown);
  };
  return {
    line: (message) => {
      if (shown !== undefined) clear();
      out.write(`${message}\n`);
      draw();
    },
    status: (message) => {
      clear();
      shown = plainText(message);
      draw();
    },
    end: () => {
      if (shown === undefined) return;
      clear();
      shown = undefined;
    },
  };
};

/** A terminal display on a TTY, plain lines (console.log) anywhere else, in CI (CI set) or on TERM=dumb. */
export const displayFor = (out: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): ProgressDisplay =>
  out.isTTY && env['CI'] === undefined && env['TERM'] !== 'dumb' ? terminalDisplay(out) : plainDisplay();
