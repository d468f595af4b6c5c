/**
 * How values are printed, per language, as data: month names and abbreviations, ordinal suffixes and
 * date connectors, currency marks, identifier prefixes, the qualifiers that make a field name a part
 * (`SUB TOTAL`), and the words that name each field before its value (`TOTAL`, `Gesamt`, `Totaal`,
 * `Montant`, `Jumlah`). Defined once, in training-image/doctrain_trainer/value-rules.json, which the
 * dataset builder (this module) and the trainer (doctrain_trainer/value_rules.py) both read, so
 * alignment and the trainer's features and field metrics follow the same table. Parsed here, never cast.
 *
 * Adding a language: its month names under `months.<code>` (twelve lists, January first) and its words
 * under each `fieldNames.<field>.<code>`; test/fixtures/value-cases.json is where its cases go.
 */
import * as z from 'zod';
import rulesJson from '../../training-image/doctrain_trainer/value-rules.json';

const languageCode = z.string().regex(/^[a-z]{2,3}$/, 'an ISO 639 language code');
const word = z.string().min(1);

export const valueRulesSchema = z.strictObject({
  schemaVersion: z.literal(1),
  description: z.string(),
  languages: z.record(languageCode, z.string().min(1)),
  months: z.record(languageCode, z.array(z.array(word).min(1)).length(12)),
  dateWords: z.strictObject({ ordinalSuffixes: z.array(word), connectors: z.array(word) }),
  currencies: z.strictObject({ symbols: z.array(word), codes: z.array(z.string().regex(/^[a-z]{2,3}$/)) }),
  identifierPrefixes: z.array(word),
  partQualifiers: z.array(z.string().regex(/^[a-z]+$/)),
  fieldNames: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.record(languageCode, z.array(word))),
});
export type ValueRules = z.infer<typeof valueRulesSchema>;

/** The shipped table. */
export const VALUE_RULES: ValueRules = valueRulesSchema.parse(rulesJson);

/**
 * Field names a user adds per annotation key (setting `fieldNames`, execution input `dataset.fieldNames`):
 * `{"total": ["Endsumme", "A payer"]}`, added to the table's words of every language.
 */
export const fieldNamesSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_]*$/, 'an annotation field key (lowercase letters, digits, _)'),
  z.array(z.string().trim().min(1).max(60)).max(50),
);
export type FieldNames = z.infer<typeof fieldNamesSchema>;

/** A BCP 47 locale (`en-US`, `de-DE`, `fr`), as Intl knows it: the user's, for the day/month order of numeric dates. */
export const localeSchema = z
  .string()
  .min(2)
  .max(35)
  .refine((value) => {
    try {
      return Intl.getCanonicalLocales(value).length === 1;
    } catch {
      return false;
    }
  }, 'a BCP 47 locale such as en-US, en-GB, de-DE or fr');

/** A JSON setting of field names (`{"total": ["Endsumme"]}`); '' or absent: none. */
export const envFieldNamesSchema = z.preprocess((value, ctx) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'JSON field names per field key, e.g. {"total":["Endsumme","A payer"]}' });
    return z.NEVER;
  }
}, fieldNamesSchema.optional());
