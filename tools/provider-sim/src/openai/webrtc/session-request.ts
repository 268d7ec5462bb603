import type { ProviderError } from '../../provider.js';
import { isPlainObject } from '../../realtime/params.js';
import { openaiError } from '../errors.js';
import { OPENAI_REALTIME_MODELS } from '../realtime/server.js';
import { sessionUpdateProblem } from '../realtime/session-config.js';

export type CheckedSession = { ok: true; session: Record<string, unknown>; model: string } | { ok: false; error: ProviderError };

function invalid(message: string, param: string, code: string): CheckedSession {
  return { ok: false, error: openaiError(400, message, 'invalid_request_error', { param, code }) };
}

/**
 * The GA `session` of a call or a client secret: a realtime session config with a realtime model.
 * Transcription sessions are not simulated; beta-shaped fields are unknown parameters, as in
 * `session.update`.
 */
export function checkSessionConfig(value: unknown): CheckedSession {
  if (!isPlainObject(value)) return invalid("Invalid type for 'session': expected an object.", 'session', 'invalid_type');
  if (value.type === 'transcription') return invalid('The simulator does not serve transcription sessions.', 'session.type', 'invalid_value');
  const problem = sessionUpdateProblem(value);
  if (problem) return invalid(problem.message, problem.param, problem.code);
  const model = value.model;
  if (typeof model !== 'string') return invalid("Missing required parameter: 'session.model'.", 'session.model', 'missing_required_parameter');
  if (!OPENAI_REALTIME_MODELS.includes(model)) {
    return invalid(`Invalid value: '${model}'. This model is not supported in realtime mode.`, 'session.model', 'invalid_value');
  }
  return { ok: true, session: value, model };
}

/** The `session` part of a multipart call, a JSON string. */
export function parseSessionPart(part: string | undefined): CheckedSession {
  if (part === undefined) return invalid("Missing required parameter: 'session'.", 'session', 'missing_required_parameter');
  let value: unknown;
  try {
    value = JSON.parse(part);
  } catch {
    return invalid("Invalid 'session': expected a JSON string of a session configuration.", 'session', 'invalid_json');
  }
  return checkSessionConfig(value);
}
