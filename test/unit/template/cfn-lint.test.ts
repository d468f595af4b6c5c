/** AWS's CloudFormation linter over both stages' packaged templates. */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { packagedStages, ROOT, execFileAsync, type Packaged, type Stage } from './packaged';

let packaged: Record<Stage, Packaged>;
beforeAll(async () => {
  packaged = await packagedStages();
}, 600_000);

describe('cfn-lint', () => {
  it("finds nothing in either stage's packaged template (AWS's CloudFormation linter, from the project venv)", async () => {
    // Prepare
    const cfnLint = path.join(ROOT, '.venv', 'bin', 'cfn-lint');
    expect(existsSync(cfnLint), `${cfnLint} is missing: run npm run setup (training-image/requirements-dev.txt)`).toBe(true);
    const templates = (['dev', 'prod'] as const).map((stage) =>
      path.join(packaged[stage].dir, 'cloudformation-template-update-stack.json'),
    );
    // Act: exit status 0 means no error, warning or informational finding.
    const findings = await execFileAsync(cfnLint, ['--format', 'parseable', '--', ...templates]).then(
      () => '',
      (error: Error & { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || error.message,
    );
    // Assess
    expect(findings).toBe('');
  }, 60_000);
});
