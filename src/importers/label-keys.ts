import { InvalidInputError } from '../contracts/errors';
import { LABEL_KEY_PATTERN } from '../contracts/annotation';

/**
 * A labelling tool's class name as a contract label key: lower case, every run of other characters
 * one `_` ("Total Amount" -> `total_amount`, "B-Date" -> `b_date`), a leading digit prefixed (`label_1st`).
 */
export function labelKeyFor(name: string): string {
  const key = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (key === '') throw new InvalidInputError(`label ${JSON.stringify(name)} has no letter or digit to name it by`);
  const prefixed = /^[0-9]/.test(key) ? `label_${key}` : key;
  if (!LABEL_KEY_PATTERN.test(prefixed)) throw new InvalidInputError(`label ${JSON.stringify(name)} cannot be turned into a label key`);
  return prefixed;
}

/**
 * Remembers which class name each key came from, so two names that become one key ("Total" and
 * "total") are refused instead of silently merged.
 */
export class LabelKeys {
  private readonly names = new Map<string, string>();

  public key(name: string): string {
    const key = labelKeyFor(name);
    const earlier = this.names.get(key);
    if (earlier !== undefined && earlier !== name) {
      throw new InvalidInputError(
        `labels ${JSON.stringify(earlier)} and ${JSON.stringify(name)} both become the label key "${key}"; rename one of them`,
      );
    }
    this.names.set(key, name);
    return key;
  }
}
