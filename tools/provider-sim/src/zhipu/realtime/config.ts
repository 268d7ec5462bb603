import { isPlainObject } from '../../realtime/params.js';

/** GLM-Realtime models (docs.bigmodel.cn asyncapi `info.description`). */
export const GLM_REALTIME_MODELS = ['glm-realtime-flash', 'glm-realtime-air'];

/**
 * Input formats GLM documents: WAV, 16 kHz unless the format names another rate (`wav48`), and raw
 * 16 kHz PCM16 (`pcm16`; the suffix is the rate in kHz). Anything else, such as OpenAI's 24 kHz PCM,
 * is refused, so a client that forgot to convert finds out.
 */
export const GLM_INPUT_FORMATS: Readonly<Record<string, { container: 'wav' | 'raw'; rateHz: number }>> = {
  wav: { container: 'wav', rateHz: 16_000 },
  wav48: { container: 'wav', rateHz: 48_000 },
  pcm16: { container: 'raw', rateHz: 16_000 },
};
export const GLM_CHAT_MODES = ['audio', 'video_passive', 'video_proactive'];
/** GLM speaks PCM16 mono at 24 kHz (the demo's player rate). */
export const GLM_OUTPUT_RATE_HZ = 24_000;

export interface GlmTool {
  type: 'function';
  name: string;
  description?: string;
  parameters?: unknown;
}

export interface GlmSession extends Record<string, unknown> {
  id: string;
  object: 'realtime.session';
  model: string;
  input_audio_format: string;
  output_audio_format: 'pcm';
  instructions: string;
  voice: string;
  turn_detection: { type: 'client_vad' | 'server_vad' };
  beta_fields: { chat_mode: string; tts_source?: string; auto_search?: boolean } & Record<string, unknown>;
  tools: GlmTool[];
}

const KNOWN_FIELDS = ['model', 'input_audio_format', 'output_audio_format', 'instructions', 'voice', 'turn_detection', 'beta_fields', 'tools', 'temperature', 'max_response_output_tokens'];

export function defaultGlmSession(id: string): GlmSession {
  return {
    id,
    object: 'realtime.session',
    model: 'glm-realtime-flash',
    input_audio_format: 'wav',
    output_audio_format: 'pcm',
    instructions: '',
    voice: 'tongtong',
    turn_detection: { type: 'client_vad' },
    beta_fields: { chat_mode: 'audio', tts_source: 'e2e', auto_search: true },
    tools: [],
  };
}

export type GlmUpdate = { ok: true; session: GlmSession; ignored: string[] } | { ok: false; code: string; message: string };

/**
 * Applies a GLM `session.update`. Clients send the whole configuration each time; in particular a
 * missing `turn_detection` falls back to client VAD (the doc warns to resend it with tools).
 * Fields GLM does not know are ignored, and reported so tests can catch a GA-shaped update.
 */
export function applyGlmUpdate(current: GlmSession, update: unknown): GlmUpdate {
  const bad = (message: string, code = 'invalid_parameter'): GlmUpdate => ({ ok: false, code, message });
  if (!isPlainObject(update)) return bad('session must be an object');
  const next: GlmSession = { ...current, turn_detection: { type: 'client_vad' } };
  const ignored = Object.keys(update).filter((k) => !KNOWN_FIELDS.includes(k)).map((k) => `session.${k}`);

  if (update.model !== undefined) {
    if (typeof update.model !== 'string' || !GLM_REALTIME_MODELS.includes(update.model)) return bad(`model not found: ${String(update.model)}`, 'model_not_found');
    next.model = update.model;
  }
  if (update.input_audio_format !== undefined) {
    if (typeof update.input_audio_format !== 'string' || GLM_INPUT_FORMATS[update.input_audio_format] === undefined) {
      return bad(`input_audio_format must be one of ${Object.keys(GLM_INPUT_FORMATS).join(', ')}; got ${String(update.input_audio_format)}`, 'invalid_audio_format');
    }
    next.input_audio_format = update.input_audio_format;
  }
  if (update.output_audio_format !== undefined && update.output_audio_format !== 'pcm') {
    // GLM also offers mp3; the simulator has no mp3 encoder and says so rather than send PCM labelled mp3.
    return bad(`output_audio_format ${String(update.output_audio_format)} is not simulated; use pcm`, 'unsupported_by_simulator');
  }
  for (const field of ['instructions', 'voice'] as const) {
    const value = update[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return bad(`${field} must be a string`);
    next[field] = value;
  }
  if (update.turn_detection !== undefined && update.turn_detection !== null) {
    const type = isPlainObject(update.turn_detection) ? update.turn_detection.type : undefined;
    if (type !== 'client_vad' && type !== 'server_vad') return bad('turn_detection.type must be client_vad or server_vad');
    next.turn_detection = { type };
    ignored.push(...Object.keys(update.turn_detection as object).filter((k) => k !== 'type').map((k) => `session.turn_detection.${k}`));
  }
  const beta = update.beta_fields;
  if (!isPlainObject(beta) || typeof beta.chat_mode !== 'string') return bad('beta_fields.chat_mode is required');
  if (!GLM_CHAT_MODES.includes(beta.chat_mode)) return bad(`beta_fields.chat_mode must be one of ${GLM_CHAT_MODES.join(', ')}`);
  next.beta_fields = { ...beta, chat_mode: beta.chat_mode };
  if (update.tools !== undefined && update.tools !== null) {
    if (!Array.isArray(update.tools)) return bad('tools must be an array');
    const tools: GlmTool[] = [];
    for (const tool of update.tools) {
      // GLM tools are flat; the chat-completions shape `{type, function: {...}}` is a client bug.
      if (!isPlainObject(tool) || tool.type !== 'function' || typeof tool.name !== 'string' || tool.function !== undefined) {
        return bad('each tool must be {type:"function", name, description, parameters}');
      }
      tools.push({ type: 'function', name: tool.name, ...(typeof tool.description === 'string' ? { description: tool.description } : {}), parameters: tool.parameters });
    }
    next.tools = tools;
  }
  return { ok: true, session: next, ignored };
}
