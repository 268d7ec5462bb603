import { ClientSecretResponse, createParser, type ClientSecretRequest } from '@voxgate/protocol';
import { errors } from './errors.js';
import type { OpenAiTarget } from './openai-calls.js';
import { unreachable, upstreamFailure } from './upstream-failure.js';

const parseResponse = createParser(ClientSecretResponse);

/**
 * Mints an ephemeral client secret (`POST /realtime/client_secrets`, GA shapes) for a program that
 * connects to OpenAI itself. The lifetime is cut to `maxTtlS`, and only the realtime models this
 * service offers are allowed. The `ek_…` value is the answer, so it goes back to the caller, but
 * it is never logged.
 */
export async function mintClientSecret(
  target: OpenAiTarget,
  request: ClientSecretRequest,
  policy: { maxTtlS: number; models: readonly string[] },
): Promise<ClientSecretResponse> {
  if (!policy.models.includes(request.session.model)) {
    throw errors.model_not_allowed({
      message: `Client secrets are issued only for ${policy.models.join(', ') || 'no model (OPENAI_API_KEY is not set)'}.`,
    });
  }
  const seconds = Math.min(request.expires_after?.seconds ?? policy.maxTtlS, policy.maxTtlS);
  const body = { ...request, expires_after: { anchor: 'created_at' as const, seconds } };
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl.replace(/\/+$/, '')}/realtime/client_secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    throw unreachable(error, 'the client secret');
  }
  if (!response.ok) throw await upstreamFailure(response, 'the client secret', target.apiKey);
  let data: unknown;
  try {
    data = await response.json();
  } catch (error) {
    throw errors.upstream_unavailable({ message: 'OpenAI answered the client secret with something that is not JSON.', cause: error });
  }
  const parsed = parseResponse.parse(data);
  if (!parsed.ok) throw errors.upstream_unavailable({ message: `OpenAI answered the client secret off-schema: ${parsed.error}` });
  return parsed.value;
}
