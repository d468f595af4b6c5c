/**
 * A validation page drawn for the report: the page image with a box around each labelled entity (the
 * dataset's BIO labels on the OCR words: the true fields as aligned; filled, solid outline) and around
 * each entity the model predicted (its predictions.json tags on the same words; dashed outline). A
 * drawing, not a chart: an SVG of an <image> and <rect>s in the page's own pixel space, built with
 * escaped attributes.
 */
import type { BBox, DatasetRecord } from '../contracts/objects';
import { escapeHtml } from './html-escape';

export interface Entity {
  /** The entity type (`TOTAL` for B-TOTAL/I-TOTAL). */
  type: string;
  text: string;
  /** The union of its words' boxes, 0..1000 of the page. */
  box: BBox;
}

const union = (a: BBox, b: BBox): BBox => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];

/** Runs of B-X I-X ... words as entities (an I-X without a B-X before it starts one, as seqeval reads it). */
export const entitiesOf = (labels: readonly string[], words: readonly string[], bboxes: readonly BBox[]): Entity[] => {
  const entities: Entity[] = [];
  let current: Entity | undefined;
  labels.forEach((label, index) => {
    const match = /^([BI])-(.+)$/.exec(label);
    const box = bboxes[index];
    const word = words[index] ?? '';
    if (match === null || box === undefined) {
      current = undefined;
      return;
    }
    const [, tag, type] = match;
    if (type === undefined) return;
    if (tag === 'I' && current?.type === type) {
      current.text = `${current.text} ${word}`;
      current.box = union(current.box, box);
      return;
    }
    current = { type, text: word, box };
    entities.push(current);
  });
  return entities;
};

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#469990', '#808000'];

/** A stable colour per entity type, by its place in the sorted list of the report's types. */
export const colourOf = (types: readonly string[], type: string): string =>
  PALETTE[Math.max(0, types.indexOf(type)) % PALETTE.length] ?? '#000';

/** The page as SVG: image (when there is one, else a blank page), the true entities' boxes and the predicted ones', in the page's pixels. */
export const documentSvg = (
  record: DatasetRecord,
  imageDataUri: string | undefined,
  types: readonly string[],
  predictedLabels?: readonly string[],
): string => {
  const { width, height } = record.page;
  const sx = width / 1000;
  const sy = height / 1000;
  const stroke = Math.max(2, Math.round(width / 300));
  const rect = (entity: Entity, kind: 'field-box' | 'predicted-box'): string => {
    const [x0, y0, x1, y1] = entity.box;
    const colour = colourOf(types, entity.type);
    // A predicted box is drawn a stroke outside the true one, so both stay visible where they agree.
    const pad = kind === 'predicted-box' ? stroke * 1.5 : 0;
    const style =
      kind === 'field-box'
        ? `fill="${colour}" fill-opacity="0.12" stroke="${colour}" stroke-width="${stroke}"`
        : `fill="none" stroke="${colour}" stroke-width="${stroke}" stroke-dasharray="${stroke * 3} ${stroke * 2}"`;
    const title = kind === 'field-box' ? `${entity.type}: ${entity.text}` : `predicted ${entity.type}: ${entity.text}`;
    return (
      `<rect class="${kind}" data-field="${escapeHtml(entity.type)}" x="${(x0 * sx - pad).toFixed(1)}" y="${(y0 * sy - pad).toFixed(1)}" ` +
      `width="${((x1 - x0) * sx + 2 * pad).toFixed(1)}" height="${((y1 - y0) * sy + 2 * pad).toFixed(1)}" ${style}>` +
      `<title>${escapeHtml(title)}</title></rect>`
    );
  };
  const boxes = entitiesOf(record.labels, record.words, record.bboxes).map((entity) => rect(entity, 'field-box'));
  const predicted =
    predictedLabels === undefined
      ? []
      : entitiesOf(predictedLabels, record.words, record.bboxes).map((entity) => rect(entity, 'predicted-box'));
  const page = imageDataUri
    ? `<image href="${escapeHtml(imageDataUri)}" x="0" y="0" width="${width}" height="${height}"/>`
    : `<rect x="0" y="0" width="${width}" height="${height}" fill="#fafafa" stroke="#ccc"/>`;
  return `<svg class="document" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(record.id)}">${page}${boxes.join('')}${predicted.join('')}</svg>`;
};
