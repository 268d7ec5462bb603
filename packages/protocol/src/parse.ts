import { Compile } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';

/** The result of parsing untrusted input against a schema: the typed value, or why it was refused. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** A compiled schema check, built once per schema and reused for every payload. */
export interface Parser<S extends TSchema> {
  readonly schema: S;
  /** Checks `input`; on failure says where and why in one short line (never echoes the value). */
  parse(input: unknown): ParseResult<Static<S>>;
}

/** Compiles `schema` into a parser for the boundary where such payloads enter. */
export function createParser<S extends TSchema>(schema: S): Parser<S> {
  const validator = Compile(schema);
  return {
    schema,
    parse(input) {
      if (validator.Check(input)) return { ok: true, value: input as Static<S> };
      const [first] = validator.Errors(input);
      const where = first?.instancePath ? first.instancePath : '(root)';
      return { ok: false, error: first ? `${where}: ${first.message}` : 'invalid' };
    },
  };
}

/** Parses JSON text, then the schema; the text itself never appears in the error. */
export function parseJson<S extends TSchema>(parser: Parser<S>, text: string): ParseResult<Static<S>> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  return parser.parse(data);
}
