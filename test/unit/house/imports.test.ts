/**
 * The house's two import rules, read from the sources with TypeScript's own import scanner
 * (ts.preProcessFile: every import, export-from and dynamic import, type-only ones included):
 * - src/contracts/ is the ground floor: its modules import only each other (and the trainer's JSON
 *   schema, which the trainer package owns), never a domain folder, so a contract can be read alone;
 * - no import circle anywhere in the TypeScript (src, functions, local, cli, bench, scripts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FOLDERS = ['src', 'functions', 'local', 'cli', 'bench', 'scripts'];

const tsFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : tsFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });

/** A relative specifier resolved to the file it names (TypeScript's rules: .ts, then /index.ts); other files as named. */
const resolve = (from: string, specifier: string): string => {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return base;
};

/** Each file's relative imports, resolved. */
const graph = new Map<string, string[]>(
  FOLDERS.flatMap((folder) => tsFiles(path.join(ROOT, folder))).map((file) => [
    file,
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((ref) => ref.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(file, specifier)),
  ]),
);

const rel = (file: string): string => path.relative(ROOT, file);

/** Every import circle, each once (depth-first search; a back edge closes a circle). */
const circles = (): string[][] => {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const circle = stack.slice(stack.indexOf(next)).map(rel);
        found.set([...circle].sort().join(' '), circle);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
  return [...found.values()];
};

describe('the import graph', () => {
  it('is read from the sources (the scanner sees the files and their imports)', () => {
    // Assess: a known edge, so an empty graph cannot pass the rules below.
    expect(graph.get(path.join(ROOT, 'functions/poll-training/handler.ts'))).toContain(path.join(ROOT, 'src/steps/poll-training/step.ts'));
  });

  it('has src/contracts/ at the bottom: a contract imports only other contracts', () => {
    // Act
    const contracts = path.join(ROOT, 'src/contracts') + path.sep;
    const trainerSchemas = path.join(ROOT, 'training-image/doctrain_trainer') + path.sep;
    const outside = [...graph.entries()]
      .filter(([file]) => file.startsWith(contracts))
      .flatMap(([file, imports]) =>
        imports
          .filter((target) => !target.startsWith(contracts) && !(target.startsWith(trainerSchemas) && target.endsWith('.json')))
          .map((target) => `${rel(file)} -> ${rel(target)}`),
      );
    // Assess
    expect(outside).toEqual([]);
  });

  it('has no import circle', () => {
    expect(circles().map((circle) => circle.join(' -> '))).toEqual([]);
  });
});
