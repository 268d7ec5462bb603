import type { IncomingMessage } from 'node:http';
import type { SimContext } from '../../context.js';
import type { ProviderError } from '../../provider.js';
import type { RealtimeRoute, Refusal } from '../../realtime/upgrade.js';
import { geminiError, geminiErrors } from '../errors.js';
import { GeminiLiveSession } from './session.js';

/** The Live paths under `/gemini`, one per API version (protocols.md §4.4: v1beta with a key). */
export const GEMINI_LIVE_VERSIONS = ['v1beta', 'v1alpha'] as const;
export function geminiLivePath(version: string): string {
  return `/gemini/ws/google.ai.generativelanguage.${version}.GenerativeService.BidiGenerateContent`;
}

function refusal(error: ProviderError): Refusal {
  return { status: error.statusCode, body: error.body, headers: error.headers };
}

/** The key, as `?key=` (what the SDK sends [V]) or `x-goog-api-key` (which the REST API also takes). */
function liveKey(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers['x-goog-api-key'];
  const key = url.searchParams.get('key') ?? (typeof header === 'string' ? header : undefined);
  return key === undefined || key === null || key.trim() === '' ? undefined : key;
}

/**
 * `GET /gemini/ws/google.ai.generativelanguage.<version>.GenerativeService.BidiGenerateContent`
 * upgraded to a WebSocket: Gemini Live. The model comes later, in `setup`. A missing key is
 * refused at the upgrade with the REST API's 403 (what Live answers instead is UNVERIFIED).
 */
export function geminiLiveRoute(ctx: SimContext, version: string): RealtimeRoute {
  return {
    provider: 'gemini',
    sessionIdPrefix: 'sess_',
    credential: liveKey,
    admit: (request, url) => (liveKey(request, url) === undefined ? { ok: false, refusal: refusal(geminiErrors.unauthenticated()) } : { ok: true }),
    refusal: (status, retryAfterSeconds) => refusal(status === 429 ? geminiErrors.rateLimited(retryAfterSeconds ?? 1) : geminiError(503, 'The model is overloaded. Please try again later. (simulated)')),
    keyRefusal: (key) => refusal(geminiErrors.invalidKey(key)),
    connect(socket, record, _request, fault) {
      new GeminiLiveSession({ socket, record, registry: ctx.realtime, pace: ctx.realtimePace, apiVersion: version, fault, nextId: ctx.nextId });
    },
  };
}
