/**
 * What a GA client may ask of a GLM-Realtime session, checked before anything reaches GLM. GLM
 * takes fields it does not know without a word, so a GA option the relay dropped would look
 * honoured; OpenAI refuses such requests, and so does the relay: a field GA does not have (the beta
 * shape: `modalities`, top-level `voice`, `turn_detection`, `input_audio_format`…, or no
 * `session.type`) is `invalid_event`, as OpenAI's `unknown_parameter` / `missing_required_parameter`;
 * a GA option GLM cannot honour is `unsupported_session_option` (session) or `unsupported_event`
 * (`response.create`). A value that is what GLM does anyway (`tool_choice: 'auto'`,
 * `max_output_tokens: 'inf'`, `create_response: true`…) is accepted.
 */

export interface OptionProblem {
  code: 'invalid_event' | 'unsupported_session_option' | 'unsupported_event';
  /** The offending field, as GA's `error.param` names it. */
  param: string;
  message: string;
}

/** The keys of GA's `session` (openai-node `RealtimeSessionCreateRequest`) and its `audio` parts. */
const SESSION_KEYS = ['type', 'model', 'instructions', 'output_modalities', 'audio', 'tools', 'tool_choice', 'max_output_tokens', 'tracing', 'truncation', 'prompt', 'include', 'reasoning', 'parallel_tool_calls'];
const AUDIO_KEYS = ['input', 'output'];
const AUDIO_INPUT_KEYS = ['format', 'transcription', 'noise_reduction', 'turn_detection'];
const AUDIO_OUTPUT_KEYS = ['format', 'voice', 'speed'];
const SERVER_VAD_KEYS = ['type', 'threshold', 'prefix_padding_ms', 'silence_duration_ms', 'create_response', 'interrupt_response', 'idle_timeout_ms'];
const SEMANTIC_VAD_KEYS = ['type', 'eagerness', 'create_response', 'interrupt_response'];
/** The keys of GA's `response.create.response` (openai-node `RealtimeResponseCreateParams`). */
const RESPONSE_KEYS = ['audio', 'conversation', 'input', 'instructions', 'max_output_tokens', 'metadata', 'output_modalities', 'parallel_tool_calls', 'prompt', 'reasoning', 'tool_choice', 'tools'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKey(object: Json, known: readonly string[], path: string): OptionProblem | undefined {
  const key = Object.keys(object).find((k) => !known.includes(k));
  return key === undefined ? undefined : { code: 'invalid_event', param: `${path}.${key}`, message: `Unknown parameter: '${path}.${key}'.` };
}

function unsupported(param: string, why: string, code: OptionProblem['code'] = 'unsupported_session_option'): OptionProblem {
  return { code, param, message: `GLM-Realtime cannot honour '${param}': ${why}` };
}

/** GA options of a session that GLM has no control for: only their "as GLM does anyway" value passes. */
function sessionValueProblem(session: Json, model: string): OptionProblem | undefined {
  if (session.model !== undefined && session.model !== model) {
    return { code: 'invalid_event', param: 'session.model', message: 'The model of a session cannot be changed once it has started.' };
  }
  const modalities = session.output_modalities;
  if (Array.isArray(modalities) && modalities.length > 1) {
    return { code: 'invalid_event', param: 'session.output_modalities', message: "output_modalities takes one of 'audio' or 'text', not both." };
  }
  if (Array.isArray(modalities) && modalities[0] === 'text') return unsupported('session.output_modalities', 'it always answers with audio; ["text"] is not available.');
  if (session.tool_choice !== undefined && session.tool_choice !== 'auto') return unsupported('session.tool_choice', "it decides itself whether to call a tool ('auto' only).");
  if (session.max_output_tokens !== undefined && session.max_output_tokens !== 'inf') return unsupported('session.max_output_tokens', "it takes no output limit ('inf' only).");
  if (session.truncation !== undefined && session.truncation !== 'auto') return unsupported('session.truncation', "it keeps its own two minutes of context ('auto' only).");
  if (session.parallel_tool_calls !== undefined && session.parallel_tool_calls !== true) return unsupported('session.parallel_tool_calls', 'it may call several tools at once and cannot be told not to.');
  for (const key of ['tracing', 'prompt', 'reasoning'] as const) {
    if (session[key] !== undefined && session[key] !== null) return unsupported(`session.${key}`, 'OpenAI-only feature.');
  }
  if (session.include !== undefined && session.include !== null && !(Array.isArray(session.include) && session.include.length === 0)) {
    return unsupported('session.include', 'it reports no transcription logprobs.');
  }
  if (Array.isArray(session.tools)) {
    const index = session.tools.findIndex((tool) => !isObject(tool) || tool.type !== 'function');
    if (index >= 0) return unsupported(`session.tools[${index}]`, 'only function tools are available.');
  }
  return undefined;
}

function formatProblem(format: unknown, param: string): OptionProblem | undefined {
  if (format === undefined || (isObject(format) && format.type === 'audio/pcm')) return undefined;
  const type = isObject(format) ? String(format.type) : String(format);
  return unsupported(param, `it takes only audio/pcm (24 kHz); ${type} is not available.`);
}

/** GLM's voice detection has fixed settings and always answers and interrupts by itself. */
function turnDetectionProblem(detection: unknown): OptionProblem | undefined {
  const path = 'session.audio.input.turn_detection';
  if (detection === null || detection === undefined || !isObject(detection)) return undefined;
  const keys = detection.type === 'semantic_vad' ? SEMANTIC_VAD_KEYS : SERVER_VAD_KEYS;
  const unknown = unknownKey(detection, keys, path);
  if (unknown) return unknown;
  for (const key of ['create_response', 'interrupt_response'] as const) {
    if (detection[key] === false) return unsupported(`${path}.${key}`, `its voice detection always ${key === 'create_response' ? 'answers a finished utterance' : 'stops the answer when the user speaks'}.`);
  }
  for (const key of ['threshold', 'prefix_padding_ms', 'silence_duration_ms'] as const) {
    if (detection[key] !== undefined) return unsupported(`${path}.${key}`, 'its voice detection has fixed settings.');
  }
  if (detection.idle_timeout_ms !== undefined && detection.idle_timeout_ms !== null) return unsupported(`${path}.idle_timeout_ms`, 'it has no idle timeout.');
  if (detection.eagerness !== undefined && detection.eagerness !== 'auto') return unsupported(`${path}.eagerness`, "its voice detection has fixed settings ('auto' only).");
  return undefined;
}

/** Why a GA `session.update.session` cannot be applied to a GLM session; undefined if it can. */
export function sessionUpdateProblem(session: unknown, model: string): OptionProblem | undefined {
  if (!isObject(session)) return { code: 'invalid_event', param: 'session', message: "Invalid 'session': expected an object." };
  const unknown = unknownKey(session, SESSION_KEYS, 'session');
  if (unknown) return unknown;
  if (session.type === undefined) return { code: 'invalid_event', param: 'session.type', message: "Missing required parameter: 'session.type'." };
  if (session.type === 'transcription') return unsupported('session.type', 'it has no transcription-only sessions.');
  const audio = session.audio;
  if (isObject(audio)) {
    const problem = unknownKey(audio, AUDIO_KEYS, 'session.audio');
    if (problem) return problem;
    const { input, output } = audio;
    if (isObject(input)) {
      const inputProblem =
        unknownKey(input, AUDIO_INPUT_KEYS, 'session.audio.input') ??
        formatProblem(input.format, 'session.audio.input.format') ??
        turnDetectionProblem(input.turn_detection) ??
        (input.noise_reduction !== undefined && input.noise_reduction !== null ? unsupported('session.audio.input.noise_reduction', 'it applies no noise reduction on request.') : undefined);
      if (inputProblem) return inputProblem;
    }
    if (isObject(output)) {
      const outputProblem =
        unknownKey(output, AUDIO_OUTPUT_KEYS, 'session.audio.output') ??
        formatProblem(output.format, 'session.audio.output.format') ??
        (output.speed !== undefined && output.speed !== 1 ? unsupported('session.audio.output.speed', 'its speech has one speed.') : undefined);
      if (outputProblem) return outputProblem;
    }
  }
  return sessionValueProblem(session, model);
}

/**
 * Why GLM cannot answer a `response.create` with these GA options (GLM's `response.create` takes
 * none); undefined if it can. `metadata` is the relay's to echo, so it is always accepted.
 */
export function responseCreateProblem(response: unknown, voice: string | undefined): OptionProblem | undefined {
  if (response === undefined) return undefined;
  if (!isObject(response)) return { code: 'invalid_event', param: 'response', message: "Invalid 'response': expected an object." };
  const unknown = unknownKey(response, RESPONSE_KEYS, 'response');
  if (unknown) return unknown;
  const refuse = (param: string, why: string) => unsupported(`response.${param}`, why, 'unsupported_event');
  if (response.conversation !== undefined && response.conversation !== 'auto') return refuse('conversation', 'every answer is part of the conversation; out-of-band responses are not available.');
  const modalities = response.output_modalities;
  if (modalities !== undefined && !(Array.isArray(modalities) && modalities.length === 1 && modalities[0] === 'audio')) return refuse('output_modalities', 'it always answers with audio.');
  for (const key of ['input', 'instructions', 'tools', 'prompt', 'reasoning'] as const) {
    if (response[key] !== undefined && response[key] !== null) return refuse(key, 'its responses take no options; set instructions and tools with session.update.');
  }
  if (response.tool_choice !== undefined && response.tool_choice !== 'auto') return refuse('tool_choice', "it decides itself whether to call a tool ('auto' only).");
  if (response.max_output_tokens !== undefined && response.max_output_tokens !== 'inf') return refuse('max_output_tokens', "it takes no output limit ('inf' only).");
  if (response.parallel_tool_calls !== undefined && response.parallel_tool_calls !== true) return refuse('parallel_tool_calls', 'it may call several tools at once and cannot be told not to.');
  const output = isObject(response.audio) ? response.audio.output : undefined;
  if (isObject(response.audio)) {
    const audioProblem = unknownKey(response.audio, ['output'], 'response.audio') ?? (isObject(output) ? unknownKey(output, ['format', 'voice'], 'response.audio.output') : undefined);
    if (audioProblem) return audioProblem;
  }
  if (isObject(output)) {
    const format = formatProblem(output.format, 'response.audio.output.format');
    if (format) return { ...format, code: 'unsupported_event' };
    if (output.voice !== undefined && output.voice !== (voice ?? 'tongtong')) return refuse('audio.output.voice', "an answer speaks in the session's voice.");
  }
  if (response.metadata !== undefined && response.metadata !== null && !isObject(response.metadata)) {
    return { code: 'invalid_event', param: 'response.metadata', message: "Invalid 'response.metadata': expected an object." };
  }
  return undefined;
}
