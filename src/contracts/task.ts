/**
 * What a run trains (execution input `task`): `token-classification` (one BIO label per word: key fields,
 * boxes, labelled words; entity and field metrics) or `classification` (one class per document, from its
 * pages: class annotations; accuracy, macro-F1 and per-class precision/recall). The dataset's labels.json
 * names it for the trainer (training-image/doctrain_trainer/tasks.py).
 */
import * as z from 'zod';
import { classNameSchema } from './annotation';

export const TASKS = ['token-classification', 'classification'] as const;
export type Task = (typeof TASKS)[number];
export const DEFAULT_TASK: Task = 'token-classification';
export const taskSchema = z.enum(TASKS);

/** A classifier's class list (execution input `dataset.classes`): two or more class names, each once. */
export const classListSchema = z
  .array(classNameSchema)
  .min(2, 'a classifier needs at least two classes')
  .max(1000)
  .refine((classes) => new Set(classes).size === classes.length, { message: 'a class is listed twice' });
