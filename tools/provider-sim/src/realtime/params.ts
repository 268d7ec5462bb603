/**
 * A small checker for realtime event payloads that words its findings the way OpenAI's API does
 * (`Unknown parameter: 'session.modalities'.`), which a schema library's messages would not.
 */
export interface ParamProblem {
  code: 'unknown_parameter' | 'missing_required_parameter' | 'invalid_type' | 'invalid_value' | 'value_out_of_range';
  message: string;
  param: string;
}

export type Check = (value: unknown, param: string) => ParamProblem | undefined;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function invalidType(param: string, expected: string, value: unknown): ParamProblem {
  return { code: 'invalid_type', param, message: `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.` };
}

export const anything: Check = () => undefined;

export const string: Check = (value, param) => (typeof value === 'string' ? undefined : invalidType(param, 'a string', value));

export const boolean: Check = (value, param) => (typeof value === 'boolean' ? undefined : invalidType(param, 'a boolean', value));

export function number(min: number, max: number, integer = false): Check {
  return (value, param) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      return invalidType(param, integer ? 'an integer' : 'a number', value);
    }
    if (value < min || value > max) {
      return { code: 'value_out_of_range', param, message: `Invalid '${param}': expected a value from ${min} to ${max}, but got ${value} instead.` };
    }
    return undefined;
  };
}

export function oneOf(values: readonly (string | number)[]): Check {
  return (value, param) => {
    if (values.includes(value as string | number)) return undefined;
    const supported = values.map((v) => `'${v}'`).join(', ');
    return { code: 'invalid_value', param, message: `Invalid value: '${String(value)}'. Supported values are: ${supported}.` };
  };
}

export function nullable(check: Check): Check {
  return (value, param) => (value === null ? undefined : check(value, param));
}

export function arrayOf(item: Check, maxItems = Number.POSITIVE_INFINITY): Check {
  return (value, param) => {
    if (!Array.isArray(value)) return invalidType(param, 'an array', value);
    if (value.length > maxItems) {
      return { code: 'invalid_value', param, message: `Invalid '${param}': expected an array with maximum length ${maxItems}, but got an array with length ${value.length} instead.` };
    }
    for (const [index, entry] of value.entries()) {
      const problem = item(entry, `${param}[${index}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object with exactly these optional fields (and `required` ones); anything else is unknown. */
export function object(fields: Readonly<Record<string, Check>>, required: readonly string[] = []): Check {
  return (value, param) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalidType(param, 'an object', value);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(fields, key)) return { code: 'unknown_parameter', param: `${param}.${key}`, message: `Unknown parameter: '${param}.${key}'.` };
    }
    for (const key of required) {
      if (record[key] === undefined) {
        return { code: 'missing_required_parameter', param: `${param}.${key}`, message: `Missing required parameter: '${param}.${key}'.` };
      }
    }
    for (const [key, check] of Object.entries(fields)) {
      if (record[key] === undefined) continue;
      const problem = check(record[key], `${param}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object whose `field` selects which shape it must have. */
export function tagged(field: string, shapes: Readonly<Record<string, Check>>): Check {
  return (value, param) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalidType(param, 'an object', value);
    const tag = (value as Record<string, unknown>)[field];
    if (tag === undefined) return { code: 'missing_required_parameter', param: `${param}.${field}`, message: `Missing required parameter: '${param}.${field}'.` };
    const shape = shapes[String(tag)];
    return shape === undefined ? oneOf(Object.keys(shapes))(tag, `${param}.${field}`) : shape(value, param);
  };
}

/** The first check that accepts the value; otherwise the first one's complaint. */
export function either(...checks: Check[]): Check {
  return (value, param) => {
    let first: ParamProblem | undefined;
    for (const check of checks) {
      const problem = check(value, param);
      if (problem === undefined) return undefined;
      first ??= problem;
    }
    return first;
  };
}

/** Merges a partial update into a configuration: objects merge key by key, anything else replaces. */
export function mergeConfig<T extends Record<string, unknown>>(current: T, update: Record<string, unknown>, replaceKeys: readonly string[] = []): T {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(update)) {
    const existing = merged[key];
    const bothObjects = isPlainObject(value) && isPlainObject(existing);
    merged[key] = bothObjects && !replaceKeys.includes(key) ? mergeConfig(existing, value, replaceKeys) : value;
  }
  return merged as T;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
