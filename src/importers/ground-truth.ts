/**
 * SageMaker Ground Truth bounding-box job output manifests -> labelled boxes (contract 1).
 *
 * The output manifest is JSON Lines; each line is the input line plus the label attribute (named when
 * the job was created) and `<label attribute>-metadata`:
 *   {"source-ref": "s3://bucket/images/IMG_1186.png",
 *    "bounding-box": {"image_size": [{"width": 640, "height": 480, "depth": 3}],
 *                     "annotations": [{"class_id": 1, "left": 399, "top": 251, "width": 155, "height": 101}]},
 *    "bounding-box-metadata": {"objects": [{"confidence": 0.9}], "class-map": {"1": "Total"},
 *                              "type": "groundtruth/object-detection", "human-annotated": "yes", ...}}
 * Boxes are in pixels of `image_size`; they become page ratios, clipped to the image. A line without the
 * label attribute (its task failed or expired: `-metadata.failure-reason`) is skipped and reported.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import type { LabelledBox } from '../contracts/annotation';
import { InvalidInputError } from '../contracts/errors';
import { describeIssues } from '../validation';
import { LabelKeys } from './label-keys';
import { pixelRectToPageBox } from './pixels';
import type { ImportedDocument, ImportOptions } from './types';

export const GROUND_TRUTH_BOX_TYPE = 'groundtruth/object-detection';

// Ground Truth's own format: other keys it writes (objects, job-name, ...) are allowed and ignored.
const labelSchema = z.object({
  image_size: z.array(z.object({ width: z.number().positive(), height: z.number().positive() })).min(1),
  annotations: z.array(
    z.object({
      class_id: z.number().int().min(0),
      left: z.number(),
      top: z.number(),
      width: z.number().min(0),
      height: z.number().min(0),
    }),
  ),
});

const metadataSchema = z.object({
  'class-map': z.record(z.string(), z.string()).optional(),
  type: z.string().optional(),
  'failure-reason': z.string().optional(),
});

const lineSchema = z.looseObject({ 'source-ref': z.string().min(1) });

type Line = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Label attributes of a line: keys with `annotations` + `image_size`, or whose metadata says bounding box. */
function labelAttributesOf(line: Line): string[] {
  return Object.keys(line).filter((key) => {
    if (key === 'source-ref' || key.endsWith('-metadata')) return false;
    const value = line[key];
    const metadata = line[`${key}-metadata`];
    const boxType = isRecord(metadata) && metadata['type'] === GROUND_TRUTH_BOX_TYPE;
    return boxType || (isRecord(value) && 'annotations' in value && 'image_size' in value);
  });
}

function chooseLabelAttribute(lines: readonly Line[], manifest: string): string {
  const found = [...new Set(lines.flatMap(labelAttributesOf))].sort();
  if (found.length === 1) return found[0] as string;
  if (found.length === 0) {
    throw new InvalidInputError(
      `${manifest}: no bounding-box label attribute found (a key holding "annotations" and "image_size", with "<key>-metadata".type "${GROUND_TRUTH_BOX_TYPE}"); is this a Ground Truth bounding-box output manifest?`,
    );
  }
  throw new InvalidInputError(
    `${manifest}: several bounding-box label attributes (${found.join(', ')}); choose one with --label-attribute`,
  );
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/** What to do when the images are in S3: said before anything is imported. */
function downloadInstruction(sourceRef: string): string {
  const [, bucket = '', key = ''] = S3_URI.exec(sourceRef) ?? [];
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  return (
    `the manifest's images are in S3 (e.g. ${sourceRef}), not on this machine. Download them first, e.g.\n` +
    `  aws s3 sync s3://${bucket}/${folder} ./gt-images/${folder}\n` +
    `then pass --images ./gt-images (each image is looked up by its key, then by <bucket>/<key>, then by its file name), ` +
    `or rewrite source-ref to local paths (relative to the manifest).`
  );
}

/** Where a `source-ref` lies on this machine, or why it cannot be found. */
function resolveSource(sourceRef: string, manifestDir: string, imagesDir: string | undefined): { path: string } | { missing: string } {
  const s3 = S3_URI.exec(sourceRef);
  if (s3) {
    const [, bucket = '', key = ''] = s3;
    if (imagesDir === undefined) return { missing: downloadInstruction(sourceRef) };
    const candidates = [path.join(imagesDir, key), path.join(imagesDir, bucket, key), path.join(imagesDir, path.posix.basename(key))];
    const found = candidates.find((candidate) => existsSync(candidate));
    return found === undefined ? { missing: `not found under ${imagesDir} (looked for ${candidates.join(', ')})` } : { path: found };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(sourceRef) && !sourceRef.startsWith('file://')) {
    return { missing: `only s3:// URIs, file:// URIs and local paths are supported as source-ref` };
  }
  const local = sourceRef.startsWith('file://') ? fileURLToPath(sourceRef) : path.resolve(manifestDir, sourceRef);
  return existsSync(local) ? { path: local } : { missing: `${local} does not exist` };
}

export async function* readGroundTruthManifest(manifestPath: string, options: ImportOptions = {}): AsyncIterable<ImportedDocument> {
  const manifest = path.resolve(manifestPath);
  const skip = options.onSkip ?? (() => undefined);
  const parsed: { number: number; line: Line }[] = [];
  (await readFile(manifest, 'utf8')).split(/\r?\n/).forEach((text, index) => {
    if (text.trim() === '') return;
    const where = `${path.basename(manifest)} line ${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      skip(where, `not JSON: ${(error as Error).message}`);
      return;
    }
    const line = lineSchema.safeParse(json);
    if (!line.success) skip(where, `not a manifest line: ${describeIssues(line.error.issues)}`);
    else parsed.push({ number: index + 1, line: line.data });
  });
  const attribute =
    options.labelAttribute ??
    chooseLabelAttribute(
      parsed.map((p) => p.line),
      manifest,
    );
  const inS3 = parsed.map((p) => String(p.line['source-ref'])).find((ref) => S3_URI.test(ref));
  if (inS3 !== undefined && options.imagesDir === undefined) throw new InvalidInputError(downloadInstruction(inS3));
  const labelKeys = new LabelKeys();
  const ids = new Map<string, string>();

  for (const { number, line } of parsed) {
    const sourceRef = String(line['source-ref']);
    const where = `${path.basename(manifest)} line ${number} (${sourceRef})`;
    const metadata = metadataSchema.safeParse(line[`${attribute}-metadata`] ?? {});
    if (line[attribute] === undefined) {
      const failure = metadata.success ? metadata.data['failure-reason'] : undefined;
      skip(where, failure === undefined ? `no "${attribute}" label on this line (not labelled)` : `labelling failed: ${failure}`);
      continue;
    }
    const label = labelSchema.safeParse(line[attribute]);
    if (!label.success) {
      skip(where, `"${attribute}" is not a bounding-box label: ${describeIssues(label.error.issues)}`);
      continue;
    }
    if (!metadata.success || metadata.data['class-map'] === undefined) {
      skip(where, `"${attribute}-metadata" has no class-map`);
      continue;
    }
    const classMap = metadata.data['class-map'];
    const missingClass = label.data.annotations.find((a) => classMap[String(a.class_id)] === undefined);
    if (missingClass !== undefined) {
      // A document with one box left out would teach its words as "O": skip the whole document.
      skip(where, `class_id ${missingClass.class_id} is not in the class-map (${JSON.stringify(classMap)})`);
      continue;
    }
    const image = resolveSource(sourceRef, path.dirname(manifest), options.imagesDir);
    if ('missing' in image) {
      skip(where, image.missing);
      continue;
    }
    const id = path.basename(image.path, path.extname(image.path));
    const earlier = ids.get(id);
    if (earlier !== undefined) {
      skip(where, `same file name as ${earlier}: both would be document "${id}"; rename one`);
      continue;
    }
    ids.set(id, sourceRef);
    const size = label.data.image_size[0] as { width: number; height: number };
    const boxes: LabelledBox[] = [];
    label.data.annotations.forEach((a, index) => {
      const box = pixelRectToPageBox(a.left, a.top, a.left + a.width, a.top + a.height, size);
      const name = classMap[String(a.class_id)] as string;
      if (box === undefined) skip(`${where} box ${index + 1} (${name})`, 'lies outside the image or has no area');
      else boxes.push({ label: labelKeys.key(name), box });
    });
    yield { id, documentPath: image.path, annotation: { schemaVersion: 1, boxes } };
  }
}
