import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alignAnnotation, annotationSchema } from '../../../src/dataset/index';
import { readLabelledWords } from '../../../src/importers';
import type { OcrPage } from '../../../src/textract/index';
import { collect, fixtureDir, skipRecorder, type FixtureDir } from './fixtures';

let fixture: FixtureDir;
beforeEach(async () => {
  fixture = await fixtureDir();
});
afterEach(async () => {
  await fixture.remove();
});

describe('readLabelledWords (CSV)', () => {
  it('reads one row per word, pixel boxes turned into page ratios, documents named by their path', async () => {
    // Prepare
    await fixture.png('scans/r1.png', 400, 1000);
    await fixture.png('scans/r2.png', 400, 1000);
    const csv = await fixture.text(
      'labels.csv',
      [
        'document,text,label,page,entity,x0,y0,x1,y1',
        'scans/r1.png,ACME,Company Name,,,40,50,120,80',
        'scans/r1.png,STORE,Company Name,,,130,50,220,80',
        'scans/r2.png,8.32,total,1,t1,,,,',
      ].join('\n'),
    );

    // Act
    const documents = await collect(readLabelledWords(csv));

    // Assess
    expect(documents.map((d) => [d.id, d.documentPath])).toEqual([
      ['scans/r1', `${fixture.dir}/scans/r1.png`],
      ['scans/r2', `${fixture.dir}/scans/r2.png`],
    ]);
    expect(annotationSchema.parse(documents[0]?.annotation)).toEqual({
      schemaVersion: 1,
      words: [
        { text: 'ACME', label: 'company_name', box: { left: 0.1, top: 0.05, width: 0.2, height: 0.03 } },
        { text: 'STORE', label: 'company_name', box: { left: 0.325, top: 0.05, width: 0.225, height: 0.03 } },
      ],
    });
    expect(documents[1]?.annotation).toEqual({ schemaVersion: 1, words: [{ text: '8.32', label: 'total', page: 1, entity: 't1' }] });
  });

  it('imports words that align onto OCR words by text when they carry no box', async () => {
    // Prepare
    await fixture.png('r1.png', 400, 1000);
    const csv = await fixture.text('labels.csv', ['document,text,label', 'r1.png,TOTAL,total_key', 'r1.png,8.32,total'].join('\n'));
    const ocr: OcrPage = {
      page: 1,
      width: 400,
      height: 1000,
      words: [
        { text: 'SUBTOTAL', box: [100, 300, 300, 320], confidence: 90 },
        { text: 'TOTAL', box: [100, 400, 250, 420], confidence: 90 },
        { text: '8.32', box: [700, 400, 800, 420], confidence: 90 },
      ],
    };

    // Act
    const [document] = await collect(readLabelledWords(csv));
    const alignment = alignAnnotation([ocr], document!.annotation);

    // Assess
    expect(alignment.labels).toEqual(['O', 'B-TOTAL_KEY', 'B-TOTAL']);
  });

  it('skips documents that are not there and refuses rows it cannot read, naming the row', async () => {
    // Prepare
    await fixture.png('r1.png', 400, 1000);
    const good = await fixture.text('good.csv', ['document,text,label', 'r1.png,A,x', 'gone.png,B,x'].join('\n'));
    const unknownColumn = await fixture.text('unknown.csv', ['document,text,label,colour', 'r1.png,A,x,red'].join('\n'));
    const halfBox = await fixture.text('half.csv', ['document,text,label,left,top,width,height', 'r1.png,A,x,0.1,0.1,,'].join('\n'));
    const both = await fixture.text('both.csv', ['document,text,label,left,top,width,height,x0,y0,x1,y1', 'r1.png,A,x,,,,,,,,'].join('\n'));
    const badPage = await fixture.text('page.csv', ['document,text,label,page', 'r1.png,A,x,0'].join('\n'));
    const { skipped, onSkip } = skipRecorder();

    // Act
    const documents = await collect(readLabelledWords(good, { onSkip }));

    // Assess
    expect(documents.map((d) => d.id)).toEqual(['r1']);
    expect(skipped).toEqual([['gone.png', `${fixture.dir}/gone.png does not exist`]]);
    await expect(collect(readLabelledWords(unknownColumn))).rejects.toThrow('unknown.csv: unknown column(s) colour');
    await expect(collect(readLabelledWords(halfBox))).rejects.toThrow('half.csv row 2: a box needs all four of its cells (or none)');
    await expect(collect(readLabelledWords(both))).rejects.toThrow('not both');
    await expect(collect(readLabelledWords(badPage))).rejects.toThrow('page.csv row 2: page:');
  });
});

describe('readLabelledWords (JSON)', () => {
  it("reads documents with words in the annotation contract's shape", async () => {
    // Prepare
    await fixture.png('r1.png', 400, 1000);
    const file = await fixture.text(
      'labels.json',
      JSON.stringify({
        documents: [
          {
            document: 'r1.png',
            words: [{ text: 'TOTAL', label: 'Total Key', entity: 1, box: { left: 0.25, top: 0.4, width: 0.125, height: 0.02 } }],
          },
        ],
      }),
    );

    // Act
    const documents = await collect(readLabelledWords(file));

    // Assess
    expect(documents).toEqual([
      {
        id: 'r1',
        documentPath: `${fixture.dir}/r1.png`,
        annotation: {
          schemaVersion: 1,
          words: [{ text: 'TOTAL', label: 'total_key', entity: 1, box: { left: 0.25, top: 0.4, width: 0.125, height: 0.02 } }],
        },
      },
    ]);
  });

  it('names the bad field of a JSON file', async () => {
    // Prepare
    const file = await fixture.text(
      'labels.json',
      JSON.stringify({ documents: [{ document: 'r1.png', words: [{ text: 'A', lable: 'x' }] }] }),
    );

    // Act
    const result = collect(readLabelledWords(file));

    // Assess
    await expect(result).rejects.toThrow(/documents\.0\.words\.0\.lable: unknown key/);
  });
});
