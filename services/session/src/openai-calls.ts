import type { RealtimeSessionConfig } from '@voxgate/protocol';
import { errors } from './errors.js';
import { unreachable, upstreamFailure } from './upstream-failure.js';

/** Where OpenAI's REST API is and how to call it; from configuration only, never from a request. */
export interface OpenAiTarget {
  /** `OPENAI_BASE_URL`, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/** OpenAI call ids as they appear in `Location`; anything else is not trusted into a URL. */
const CALL_ID = /^[A-Za-z0-9_-]{1,128}$/;

const endpoint = (target: OpenAiTarget, path: string) => `${target.baseUrl.replace(/\/+$/, '')}${path}`;

/**
 * The unified-interface SDP exchange: `POST /realtime/calls` with the server key, multipart `sdp`
 * (the raw offer) and `session` (the GA config as a JSON string). 201 carries the answer SDP and
 * `Location: …/calls/<call_id>`; anything else is turned into an error, never passed on as SDP.
 */
export async function createCall(target: OpenAiTarget, offer: string, session: RealtimeSessionConfig): Promise<{ sdp: string; callId: string }> {
  const form = new FormData();
  form.set('sdp', offer);
  form.set('session', JSON.stringify(session));
  let response: Response;
  try {
    response = await fetch(endpoint(target, '/realtime/calls'), {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey}` },
      body: form,
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    throw unreachable(error, 'the call');
  }
  if (!response.ok) throw await upstreamFailure(response, 'the call', target.apiKey);
  const sdp = await response.text().catch((error: unknown) => {
    throw unreachable(error, 'the call');
  });
  const callId = (response.headers.get('location') ?? '').split('?')[0]?.split('/').pop() ?? '';
  if (!sdp.trimStart().startsWith('v=0')) {
    throw errors.upstream_unavailable({ message: 'OpenAI accepted the call but answered without an SDP.' });
  }
  if (!CALL_ID.test(callId)) {
    throw errors.upstream_unavailable({ message: 'OpenAI accepted the call but named no call id (Location).' });
  }
  return { sdp, callId };
}

/**
 * `POST /realtime/calls/{id}/hangup`. Resolves false when OpenAI does not know the call (404): it
 * has ended already, or it never was.
 */
export async function hangupCall(target: OpenAiTarget, callId: string): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(endpoint(target, `/realtime/calls/${encodeURIComponent(callId)}/hangup`), {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey}` },
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    throw unreachable(error, 'the hang-up');
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return false;
  }
  if (!response.ok) throw await upstreamFailure(response, 'the hang-up', target.apiKey);
  await response.body?.cancel();
  return true;
}
