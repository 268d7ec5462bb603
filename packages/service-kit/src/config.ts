import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';


/** Thrown by `loadConfig`; its message is the one line printed before exiting with status 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** An absolute URL with one of `protocols` (each with its colon, e.g. `'https:'`). */
export function UrlString(protocols: readonly string[], options: { default?: string; description?: string } = {}) {
  return Type.Refine(Type.String({ ...options }), (v) => isUrl(v, protocols), () => `must be a ${protocols.join(' or ')} URL`);
}

/** A comma-separated list of URLs, as `NATS_URL` takes for a cluster. */
export function UrlList(protocols: readonly string[], options: { default?: string; description?: string } = {}) {
  return Type.Refine(
    Type.String({ ...options }),
    (v) => v.split(',').every((part) => isUrl(part.trim(), protocols)),
    () => `must be a comma-separated list of ${protocols.join(' or ')} URLs`,
  );
}

export const Port = (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort });

export const Bool = (defaultValue: boolean) => Type.Boolean({ default: defaultValue });

export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
  { default: 'info' },
);

/** Variables every service reads. Services spread these into their own schema. */
export const CommonConfig = {
  NATS_URL: UrlList(['nats:', 'tls:', 'ws:', 'wss:'], { default: 'nats://127.0.0.1:4222' }),
  /** Address to listen on. Loopback by default so that a key-holding service is never exposed by accident. */
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  LOG_LEVEL: LogLevel,
  /** How long open WebSockets and streams get to finish after SIGTERM before they are closed. */
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
} satisfies TProperties;

/** The outbound proxy variables, in their standard meaning (lower-case spellings are read too). */
export const ProxyConfig = {
  HTTP_PROXY: Type.Optional(UrlString(['http:', 'https:'])),
  HTTPS_PROXY: Type.Optional(UrlString(['http:', 'https:'])),
  NO_PROXY: Type.Optional(Type.String()),
} satisfies TProperties;

/**
 * Reads `env` through `schema` once: empty strings count as unset (compose writes `${X:-}`),
 * strings are converted to the declared types, defaults filled in, and the first problem
 * becomes a `ConfigError` naming the variable without echoing its value (it may be a key).
 */
export function loadConfig<P extends TProperties>(
  schema: TObject<P>,
  env: Record<string, string | undefined> = process.env,
): Static<TObject<P>> {
  const raw: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = env[key] ?? env[key.toLowerCase()];
    if (value !== undefined && value.trim() !== '') raw[key] = fromEnv(value.trim(), property);
  }
  const withDefaults = Value.Default(schema, raw);
  const validator = Compile(schema);
  if (validator.Check(withDefaults)) return withDefaults as Static<TObject<P>>;
  const [first] = validator.Errors(withDefaults);
  throw new ConfigError(describe(first, schema.properties));
}

/**
 * An environment string as the type its schema declares, strictly: `1.5` is not an integer and
 * `yes` is not a boolean (a lenient conversion would quietly run with a value nobody chose).
 * What does not convert stays a string, and the schema check then names the variable.
 */
function fromEnv(value: string, schema: TSchema): unknown {
  const type = (schema as { type?: string }).type;
  if (type === 'integer' && /^-?\d+$/.test(value)) return Number(value);
  if (type === 'number' && value !== '' && Number.isFinite(Number(value))) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function describe(error: { instancePath: string; message: string; keyword: string; params: object } | undefined, properties: Record<string, TSchema>): string {
  if (!error) return 'invalid configuration';
  if (error.keyword === 'required' && 'requiredProperties' in error.params) {
    const missing = (error.params.requiredProperties as string[]).join(', ');
    return `invalid configuration: ${missing} must be set`;
  }
  const name = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  const schema = properties[name] as (TSchema & { description?: string; anyOf?: { const?: unknown }[] }) | undefined;
  // What the value should be, in words: a regular expression or "equal to constant" helps nobody.
  if (schema?.anyOf?.every((o) => o.const !== undefined)) {
    return `invalid configuration: ${name} must be one of ${schema.anyOf.map((o) => String(o.const)).join(', ')}`;
  }
  if (error.keyword === 'pattern' && schema?.description) return `invalid configuration: ${name} must be ${schema.description}`;
  const expected = schema === undefined ? '' : expectation(schema);
  return `invalid configuration: ${name || '(root)'} ${error.message}${expected}`;
}

function expectation(schema: TSchema): string {
  const s = schema as { type?: string; minimum?: number; maximum?: number; anyOf?: { const?: unknown }[] };
  if (s.type === 'integer' && s.minimum !== undefined && s.maximum !== undefined) {
    return ` (an integer from ${s.minimum} to ${s.maximum})`;
  }
  if (s.anyOf?.every((o) => o.const !== undefined)) return ` (one of ${s.anyOf.map((o) => String(o.const)).join(', ')})`;
  if (s.type === 'boolean') return ' (true or false)';
  return '';
}
