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

interface GetOptions {
  timeoutMs?: number;
  /** Statuses besides 2xx whose body is still the expected shape (e.g. 503 from a status probe). */
  alsoAccept?: readonly number[];
}

interface Checker<T> {
  parse(input: unknown): ParseResult<T>;
}

async function getJson<T>(path: string, parser: Checker<T>, options: GetOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new ApiError(timedOut ? { kind: 'timeout' } : { kind: 'network' });
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }

  if (response.ok || options.alsoAccept?.includes(response.status)) {
    const parsed = parser.parse(body);
    if (parsed.ok) return parsed.value;
    if (response.ok) throw new ApiError({ kind: 'invalid', detail: parsed.error });
  }

  const error = parsers.error.parse(body);
  if (error.ok) {
    const { code, message, requestId } = error.value.error;
    throw new ApiError({ kind: 'http', status: response.status, code, message, ...(requestId ? { requestId } : {}) });
  }
  // A proxy or a gateway that is starting may answer with HTML or nothing at all.
  throw new ApiError({ kind: 'http', status: response.status, code: 'unknown', message: response.statusText || 'error' });
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
