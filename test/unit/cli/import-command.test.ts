/** `doctrain import` end to end: the real CLI entry point in a child process, on a fixture folder. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../cli/program';
import { annotationSchema } from '../../../src/dataset/index';
import { importFormatNames } from '../../../src/importers';
import { fixtureDir, type FixtureDir } from '../importers/fixtures';

const root = path.resolve(import.meta.dirname, '../../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

const doctrain = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, [path.join(root, 'cli', 'doctrain.ts'), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

let fixture: FixtureDir;
beforeEach(async () => {
  fixture = await fixtureDir();
});
afterEach(async () => {
  await fixture.remove();
});

describe('doctrain import', () => {
  it('turns a FUNSD folder into the documents layout and reports what it left out', async () => {
    // Prepare
    const image = await fixture.png('funsd/images/f1.png', 500, 1000);
    const form = {
      form: [
        {
          id: 0,
          label: 'question',
          text: 'Date:',
          box: [50, 100, 120, 120],
          words: [{ text: 'Date:', box: [50, 100, 120, 120] }],
          linking: [],
        },
      ],
    };
    await fixture.text('funsd/annotations/f1.json', JSON.stringify(form));
    await fixture.text('funsd/annotations/f2.json', JSON.stringify(form));

    // Act
    const result = await doctrain(['import', 'funsd', `${fixture.dir}/funsd`, '--out', `${fixture.dir}/documents`]);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('skipped annotations/f2.json: no image images/f2');
    expect(result.stdout).toContain(
      `imported 1 document(s) with their annotations (funsd) to ${fixture.dir}/documents/; 1 item(s) skipped`,
    );
    expect(await readFile(`${fixture.dir}/documents/f1.png`)).toEqual(await readFile(image));
    const annotation = annotationSchema.parse(JSON.parse(await readFile(`${fixture.dir}/documents/f1.json`, 'utf8')));
    expect(annotation).toEqual({
      schemaVersion: 1,
      words: [{ text: 'Date:', label: 'question', entity: 0, box: { left: 0.1, top: 0.1, width: 0.14, height: 0.02 } }],
    });
  });

  it("fails with what to do when a manifest's images are only in S3", async () => {
    // Prepare
    const manifest = await fixture.text(
      'output.manifest',
      JSON.stringify({
        'source-ref': 's3://labels/img/r1.png',
        boxes: { image_size: [{ width: 10, height: 10, depth: 3 }], annotations: [] },
        'boxes-metadata': { 'class-map': {}, type: 'groundtruth/object-detection' },
      }),
    );

    // Act
    const result = await doctrain(['import', 'ground-truth', manifest, '--out', `${fixture.dir}/documents`]);

    // Assess
    expect(result.code).toBe(2); // an input the command cannot use: a usage error (cli/exit-codes.ts)
    expect(result.stderr).toContain('aws s3 sync s3://labels/img/ ./gt-images/img/');
    expect(result.stderr).toContain('--images ./gt-images');
  });

  it('is a usage error (exit 2) for a format it does not know', async () => {
    // Prepare
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);

    // Act
    const code = await runCli(['import', 'labelbox', fixture.dir, '--out', fixture.dir]).finally(() => stderr.mockRestore());

    // Assess
    expect(code).toBe(2);
    expect(written.join('')).toContain(`Allowed choices are ${importFormatNames().join(', ')}.`);
  });

  it('needs exactly one destination', async () => {
    // Prepare
    const errors: unknown[] = [];
    const stderr = vi.spyOn(console, 'error').mockImplementation((message) => errors.push(message));

    // Act
    const code = await runCli(['import', 'funsd', fixture.dir]).finally(() => stderr.mockRestore());

    // Assess
    expect(code).toBe(2);
    expect(errors).toEqual(['doctrain: import needs one destination: --out DIR, or --bucket NAME [--prefix PREFIX]']);
  });
});
