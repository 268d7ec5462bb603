import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** Where a request body failed its schema: a JSON pointer (`/messages/0/role`) and a short reason. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: SchemaProblem };

/**
 * Compiles `schema` once and returns a checker for untrusted input. Only the first problem is
 * reported, the way the providers do; the offending value is never echoed back.
 */
export function checker<S extends TSchema>(schema: S): (input: unknown) => Checked<Static<S>> {
  const validator = Compile(schema);
  return (input) => {
    if (validator.Check(input)) return { ok: true, value: input };
    const [first] = validator.Errors(input);
    return { ok: false, problem: { pointer: first?.instancePath ?? '', message: first?.message ?? 'is invalid' } };
  };
}

/** `/messages/0/content` → `messages[0].content`, the way OpenAI names a parameter in errors. */
export function dottedParam(pointer: string): string {
  return pointer
    .split('/')
    .filter((segment) => segment !== '')
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`), '');
}
