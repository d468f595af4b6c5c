import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alignAnnotation, annotationSchema } from '../../../src/dataset/index';
import { readFunsdFolder } from '../../../src/importers';
import type { OcrPage } from '../../../src/textract/index';
import { collect, fixtureDir, skipRecorder, type FixtureDir } from './fixtures';

/** A FUNSD annotation as the dataset writes it (pixels of a 500 x 1000 image). */
const form = {
  form: [
    {
      id: 0,
      text: 'Date:',
      box: [50, 100, 150, 120],
      label: 'question',
      words: [
        { text: 'Date', box: [50, 100, 110, 120] },
        { text: ':', box: [110, 100, 120, 120] },
      ],
      linking: [[0, 1]],
    },
    {
      id: 1,
      text: '3/14',
      box: [200, 100, 260, 120],
      label: 'answer',
      words: [{ text: '3/14', box: [200, 100, 260, 120] }],
      linking: [[0, 1]],
    },
    { id: 2, text: '1996', box: [265, 100, 320, 120], label: 'answer', words: [{ text: '1996', box: [265, 100, 320, 120] }], linking: [] },
    {
      id: 3,
      text: 'page 2',
      box: [400, 950, 480, 970],
      label: 'other',
      words: [
        { text: 'page', box: [400, 950, 440, 970] },
        { text: '2', box: [445, 950, 480, 970] },
      ],
      linking: [],
    },
    { id: 4, text: '', box: [0, 0, 10, 10], label: 'header', words: [{ text: ' ', box: [0, 0, 10, 10] }], linking: [] },
  ],
};

let fixture: FixtureDir;
beforeEach(async () => {
  fixture = await fixtureDir();
});
afterEach(async () => {
  await fixture.remove();
});

describe('readFunsdFolder', () => {
  it('imports each entity\'s words with its label, entity id and box; "other" and blank words stay out', async () => {
    // Prepare
    await fixture.png('images/0000971160.png', 500, 1000);
    await fixture.text('annotations/0000971160.json', JSON.stringify(form));

    // Act
    const documents = await collect(readFunsdFolder(fixture.dir));

    // Assess
    expect(documents.map((d) => [d.id, d.documentPath])).toEqual([['0000971160', `${fixture.dir}/images/0000971160.png`]]);
    expect(annotationSchema.parse(documents[0]?.annotation)).toEqual({
      schemaVersion: 1,
      words: [
        { text: 'Date', label: 'question', entity: 0, box: { left: 0.1, top: 0.1, width: 0.12, height: 0.02 } },
        { text: ':', label: 'question', entity: 0, box: { left: 0.22, top: 0.1, width: 0.02, height: 0.02 } },
        { text: '3/14', label: 'answer', entity: 1, box: { left: 0.4, top: 0.1, width: 0.12, height: 0.02 } },
        { text: '1996', label: 'answer', entity: 2, box: { left: 0.53, top: 0.1, width: 0.11, height: 0.02 } },
      ],
    });
  });

  it('imports words that align onto OCR words, keeping adjacent answers apart', async () => {
    // Prepare: the OCR read "Date:" as one word; both answers are separate entities
    await fixture.png('images/f1.png', 500, 1000);
    await fixture.text('annotations/f1.json', JSON.stringify(form));
    const ocr: OcrPage = {
      page: 1,
      width: 500,
      height: 1000,
      words: [
        { text: 'Date:', box: [100, 100, 240, 120], confidence: 95 },
        { text: '3/14', box: [400, 100, 520, 120], confidence: 95 },
        { text: '1996', box: [530, 100, 640, 120], confidence: 95 },
        { text: 'page', box: [800, 950, 880, 970], confidence: 95 },
      ],
    };

    // Act
    const [document] = await collect(readFunsdFolder(fixture.dir));
    const alignment = alignAnnotation([ocr], document!.annotation);

    // Assess
    expect(alignment.labels).toEqual(['B-QUESTION', 'B-ANSWER', 'B-ANSWER', 'O']);
    // ":" was merged into "Date:" by the OCR: reported, the entity is still labelled.
    expect(alignment.unaligned).toEqual([{ field: 'question', value: ':', reason: 'overlap' }]);
  });

  it('skips an annotation without its image or that is not FUNSD, and says why', async () => {
    // Prepare
    await fixture.png('images/ok.png', 500, 1000);
    await fixture.text('annotations/ok.json', JSON.stringify(form));
    await fixture.text('annotations/lost.json', JSON.stringify(form));
    await fixture.png('images/odd.png', 500, 1000);
    await fixture.text('annotations/odd.json', JSON.stringify({ entities: [] }));
    const { skipped, onSkip } = skipRecorder();

    // Act
    const documents = await collect(readFunsdFolder(fixture.dir, { onSkip }));

    // Assess
    expect(documents.map((d) => d.id)).toEqual(['ok']);
    expect(skipped).toEqual([
      ['annotations/lost.json', 'no image images/lost{.png,.jpg,.jpeg,.tif,.tiff} beside it'],
      ['annotations/odd.json', expect.stringContaining('not a FUNSD annotation: form:')],
    ]);
  });

  it('points at a split when given the dataset root', async () => {
    // Prepare
    await fixture.text('training_data/annotations/a.json', '{}');

    // Act
    const result = collect(readFunsdFolder(fixture.dir));

    // Assess
    await expect(result).rejects.toThrow(
      `is not a FUNSD folder: it needs annotations/ and images/ (point at one split instead: ${fixture.dir}/training_data)`,
    );
  });
});
