import { createParser, ErrorBody, GatewayStatus, ModelCatalogue, type ParseResult } from '@voxgate/protocol';
import { t } from './i18n/index.js';

/**
 * Why a call to the gateway failed, in terms the page can explain:
 * no connection, too slow, an error the gateway chose to send, or a body that breaks the contract.
 */
export type ApiFailure =
  | { kind: 'network' }
  | { kind: 'timeout' }
  | { kind: 'http'; status: number; code: string; message: string; requestId?: string }
  | { kind: 'invalid'; detail: string };

export class ApiError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(`gateway API: ${failure.kind}`);
    this.name = 'ApiError';
  }
}

// Parsers are compiled once; the gateway is trusted to run, not to be right, so bodies are checked.
const parsers = {
  catalogue: createParser(ModelCatalogue),
  status: createParser(GatewayStatus),
  error: createParser(ErrorBody),
};

const DEFAULT_TIMEOUT_MS = 5_000;

/** The gateway's refusal when ACCESS_PASSWORD is set and this browser's login is missing, expired or ended elsewhere. */
const LOGIN_REQUIRED = 'login_required';
let leavingForLogin = false;

/**
 * Every refusal the page gets passes through `failureOf`, so a lost login is handled there once:
 * the page goes to the login form, which comes back to `/`. Nothing goes in the URL.
 */
function toLogin(): void {
  if (leavingForLogin) return;
  leavingForLogin = true;
  location.assign('/login');
}

/**
 * A browser is not shown why a WebSocket upgrade was refused; after a socket that never opened,
 * one small request tells whether the login is what is missing (and `failureOf` acts on it).
 */
export async function checkLogin(): Promise<void> {
  const response = await send('/api/status', { headers: { accept: 'application/json' } }, DEFAULT_TIMEOUT_MS).catch(() => undefined);
  if (response?.status === 401) await failureOf(response);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A JSON value (sent as application/json) or raw bytes with their own content type. */
  json?: unknown;
  body?: Blob;
  timeoutMs?: number;
  /** Statuses besides 2xx whose body is still the expected shape (e.g. 503 from a status probe). */
  alsoAccept?: readonly number[];
  signal?: AbortSignal;
}

export interface Checker<T> {
  parse(input: unknown): ParseResult<T>;
}

/** `fetch` that turns "no connection" and "too slow" into an ApiError the UI can explain. */
export async function send(path: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await fetch(path, { cache: 'no-store', ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    if (signal?.aborted) throw error;
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new ApiError(timedOut ? { kind: 'timeout' } : { kind: 'network' });
  }
}

/** The gateway's `{error:{code,message}}` of a failed response, or what can be said without one. */
export async function failureOf(response: Response, body?: unknown): Promise<ApiError> {
  let parsedBody = body;
  if (parsedBody === undefined) {
    try {
      parsedBody = await response.json();
    } catch {
      parsedBody = undefined;
    }
  }
  const error = parsers.error.parse(parsedBody);
  if (error.ok) {
    const { code, message, requestId } = error.value.error;
    if (response.status === 401 && code === LOGIN_REQUIRED) toLogin();
    return new ApiError({ kind: 'http', status: response.status, code, message, ...(requestId ? { requestId } : {}) });
  }
  // A proxy or a gateway that is starting may answer with HTML or nothing at all.
  return new ApiError({ kind: 'http', status: response.status, code: 'unknown', message: response.statusText || 'error' });
}

export async function requestJson<T>(path: string, parser: Checker<T>, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body) {
    headers['content-type'] = options.body.type || 'application/octet-stream';
    body = options.body;
  }
  const response = await send(
    path,
    { method: options.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) },
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    options.signal,
  );

  let parsedBody: unknown;
  try {
    parsedBody = await response.json();
  } catch {
    parsedBody = undefined;
  }

  if (response.ok || options.alsoAccept?.includes(response.status)) {
    const parsed = parser.parse(parsedBody);
    if (parsed.ok) return parsed.value;
    if (response.ok) throw new ApiError({ kind: 'invalid', detail: parsed.error });
  }
  throw await failureOf(response, parsedBody);
}

function getJson<T>(path: string, parser: Checker<T>, options: RequestOptions = {}): Promise<T> {
  return requestJson(path, parser, options);
}

export function getModels(): Promise<ModelCatalogue> {
  return getJson('/api/models', parsers.catalogue);
}

/** A gateway that is up but not ready may say so with 503 and the same body. */
export function getStatus(): Promise<GatewayStatus> {
  return getJson('/api/status', parsers.status, { timeoutMs: 3_000, alsoAccept: [503] });
}

/** One readable clause for the UI, in the current language. */
export function explainFailure(error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.network');
  const failure = error.failure;
  switch (failure.kind) {
    case 'network':
      return t('error.network');
    case 'timeout':
      return t('error.timeout');
    case 'invalid':
      return t('error.invalid', { detail: failure.detail });
    case 'http':
      return t('error.http', { status: failure.status, message: failure.message });
  }
}
