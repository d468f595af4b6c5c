/**
 * FUNSD-style folders -> labelled words (contract 1).
 *
 * A FUNSD split (`dataset/training_data/`, `dataset/testing_data/`) holds `annotations/<name>.json` and
 * `images/<name>.png`. Each annotation is `{"form": [entity, ...]}` with
 *   entity = {"id": 3, "text": "Date:", "box": [x0, y0, x1, y1], "label": "question" | "answer" | "header" | "other",
 *             "words": [{"text": "Date:", "box": [x0, y0, x1, y1]}], "linking": [[3, 4]]}
 * in image pixels. Every word of an entity becomes a labelled word with the entity's label (as a label
 * key), the entity's id (so adjacent entities stay apart) and its box as page ratios. `other` is FUNSD's
 * "no class": those words stay `O`, as in the LayoutLM FUNSD setup. Blank words are dropped. Links
 * between entities (question -> answer) are not part of token classification and are not imported.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { LabelledWord } from '../contracts/annotation';
import { InvalidInputError } from '../contracts/errors';
import { compareStrings } from '../dataset/normalize';
import { describeIssues } from '../validation';
import { LabelKeys } from './label-keys';
import { imagePixelSize, pixelRectToPageBox } from './pixels';
import type { ImportedDocument, ImportOptions } from './types';

/** FUNSD's label for words that belong to no class. */
export const FUNSD_NO_CLASS = 'other';
const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff'];

const pixelBox = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const funsdSchema = z.object({
  form: z.array(
    z.object({
      id: z.union([z.number().int(), z.string().min(1)]),
      label: z.string(),
      words: z.array(z.object({ text: z.string(), box: pixelBox })),
    }),
  ),
});

function findImage(imagesDir: string, name: string): string | undefined {
  return IMAGE_EXTENSIONS.map((extension) => path.join(imagesDir, `${name}${extension}`)).find((candidate) => existsSync(candidate));
}

export async function* readFunsdFolder(dir: string, options: ImportOptions = {}): AsyncIterable<ImportedDocument> {
  const root = path.resolve(dir);
  const annotationsDir = path.join(root, 'annotations');
  const imagesDir = path.join(root, 'images');
  if (!existsSync(annotationsDir) || !existsSync(imagesDir)) {
    const splits = ['training_data', 'testing_data'].filter((split) => existsSync(path.join(root, split)));
    throw new InvalidInputError(
      `${root} is not a FUNSD folder: it needs annotations/ and images/` +
        (splits.length > 0 ? ` (point at one split instead: ${splits.map((split) => path.join(root, split)).join(' or ')})` : ''),
    );
  }
  const skip = options.onSkip ?? (() => undefined);
  const labelKeys = new LabelKeys();
  const files = (await readdir(annotationsDir)).filter((file) => file.toLowerCase().endsWith('.json')).sort(compareStrings);
  for (const file of files) {
    const where = path.join('annotations', file);
    const id = file.slice(0, -'.json'.length);
    const image = findImage(imagesDir, id);
    if (image === undefined) {
      skip(where, `no image images/${id}{${IMAGE_EXTENSIONS.join(',')}} beside it`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path.join(annotationsDir, file), 'utf8'));
    } catch (error) {
      skip(where, `not JSON: ${(error as Error).message}`);
      continue;
    }
    const parsed = funsdSchema.safeParse(json);
    if (!parsed.success) {
      skip(where, `not a FUNSD annotation: ${describeIssues(parsed.error.issues)}`);
      continue;
    }
    const size = await imagePixelSize(image);
    const words: LabelledWord[] = [];
    for (const entity of parsed.data.form) {
      if (entity.label.trim() === '' || entity.label.toLowerCase() === FUNSD_NO_CLASS) continue;
      const label = labelKeys.key(entity.label);
      for (const word of entity.words) {
        if (word.text.trim() === '') continue;
        const box = pixelRectToPageBox(...word.box, size);
        words.push({ text: word.text, label, entity: entity.id, ...(box === undefined ? {} : { box }) });
      }
    }
    yield { id, documentPath: image, annotation: { schemaVersion: 1, words } };
  }
}
