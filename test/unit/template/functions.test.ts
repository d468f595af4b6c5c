/** The packaged functions: runtime, environment, and the ES module each zip ships. */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeEachStage, type Json, referencedId, resourcesOfType } from './packaged';

describeEachStage('functions', (template, _stage, packaged) => {
  it('runs every function on nodejs22.x, with the stack resources in its environment', () => {
    // Act
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');
    // Assess
    expect(functions.map(([id]) => id).sort()).toEqual(
      [
        'BuildDataset',
        'CheckFingerprint',
        'CollectTextractJobs',
        'FinalizeRun',
        'NotifyRun',
        'OcrBatch',
        'PlanBatches',
        'PollTraining',
        'Preflight',
        'PromoteModel',
        'RecordStatus',
        'StopEndedRun',
        'TrainingAttempt',
        'TuningJob',
        'ValidateInput',
      ].map((f) => `${f}LambdaFunction`),
    );
    for (const [id, fn] of functions) {
      expect(fn.Properties['Runtime'], id).toBe('nodejs22.x');
      const variables = (fn.Properties['Environment'] as { Variables: Json }).Variables;
      // Deployed functions reference this stack's resources, never the local defaults.
      expect(variables['DOCTRAIN_BUCKET'], id).toEqual({ Ref: 'DocumentsBucket' });
      expect(variables['DOCTRAIN_TABLE'], id).toEqual({ Ref: 'RunsTable' });
      expect(referencedId(variables['DOCTRAIN_SAGEMAKER_ROLE_ARN']), id).toBe('SageMakerExecutionRole');
      expect(JSON.stringify(variables['DOCTRAIN_TRAINING_IMAGE']), id).toContain('TrainingImageRepository');
      // The lineages' model package groups are this stage's (the PromoteModel role is scoped to them).
      expect(variables['DOCTRAIN_MODEL_PACKAGE_GROUP_PREFIX'], id).toBe(`doctrain-${_stage}-`);
    }
  });

  it('ships each handler as an ES module (.mjs) in its zip', () => {
    // Prepare
    const { dir } = packaged();
    for (const [fn, folder] of [
      ['validateInput', 'validate-input'],
      ['ocrBatch', 'ocr-batch'],
    ] as const) {
      // Act: zip entry names are stored uncompressed.
      const zip = path.join(dir, `${fn}.zip`);
      expect(existsSync(zip), zip).toBe(true);
      // Assess
      expect(readFileSync(zip).includes(`functions/${folder}/handler.mjs`), fn).toBe(true);
    }
  });
});
