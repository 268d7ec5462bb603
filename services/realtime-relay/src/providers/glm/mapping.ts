import { randomUUID } from 'node:crypto';
import type { RealtimeFunctionTool, RealtimeSessionConfig } from '@voxgate/protocol';

/**
 * OpenAI realtime GA ⇄ Zhipu GLM-Realtime, as the relay translates it (protocols.md §3).
 *
 * Client → GLM
 * | GA client event | GLM | notes |
 * |---|---|---|
 * | `session.update{session}` | `session.update{session}` | `model` always set (GLM picks the model there); `audio.output.voice` → `voice`; `audio.input.turn_detection` `server_vad`/`semantic_vad` → `{type:'server_vad'}`, `null` → `{type:'client_vad'}`, always sent (GLM wants it with every `tools` change); GA flat tools → GLM flat tools (`type,name,description,parameters` only); `input_audio_format:'wav'`, `output_audio_format:'pcm'`, `beta_fields:{chat_mode:'audio', tts_source:'e2e'}`; `audio.input.transcription` only echoed (GLM always transcribes the user). Checked first (`options.ts`), nothing reaches GLM if refused: a field GA does not have (the beta shape: `modalities`, top-level `voice`, `turn_detection`, `input_audio_format`…) or no `session.type` is `invalid_event` (OpenAI: `unknown_parameter`, `missing_required_parameter`), and so is another `model`; what GLM cannot honour is `unsupported_session_option`: `type:'transcription'`, `audio/pcmu`/`audio/pcma`, text-only `output_modalities`, `create_response`/`interrupt_response` `false`, VAD `threshold`/`prefix_padding_ms`/`silence_duration_ms`/`idle_timeout_ms`/`eagerness` (GLM's are fixed), `noise_reduction`, `speed` ≠ 1, non-function tools, `tool_choice` ≠ `'auto'`, `max_output_tokens` ≠ `'inf'`, `truncation` ≠ `'auto'`, `parallel_tool_calls: false`, `tracing`, `prompt`, `reasoning`, `include`; `param` names the field |
 * | `input_audio_buffer.append{audio}` | `input_audio_buffer.append{audio}` | PCM16 24 kHz → resampled to 16 kHz → one WAV file per append |
 * | `input_audio_buffer.commit` / `.clear` | same | `.clear` also resets the resampler and drops a carried odd byte, so cleared audio cannot leak into the next utterance |
 * | `conversation.item.create` | same | content `input_text` kept, assistant `output_text` → `text`, `function_call_output` → `{type, output}` (GLM has no `call_id`) |
 * | `conversation.item.truncate` | — | answered by the relay (GLM has none), as OpenAI would: `conversation.item.truncated` for the audio part of an assistant message item it announced (one of the last 16 answers' items) and an `audio_end_ms` within the audio sent for it (after a truncate, within that); otherwise `item_not_found` or `invalid_value` with `param`. GLM's own context keeps the whole answer |
 * | `response.create` / `response.cancel` | same | GLM's `response.create` takes no options: `metadata` is kept by the relay and echoed in the answer's `response`; `conversation:'auto'`, `output_modalities:['audio']`, `tool_choice:'auto'`, `max_output_tokens:'inf'`, `parallel_tool_calls:true` and the session's voice and `audio/pcm` pass; anything else (`conversation:'none'`, `instructions`, `input`, `tools`, `prompt`, text output…) is refused with `unsupported_event` and its `param`, and GLM starts no answer |
 * | `conversation.item.retrieve` / `.delete`, `output_audio_buffer.clear` | — | GA `error` `unsupported_event` |
 *
 * GLM → client
 * | GLM server event | GA | notes |
 * |---|---|---|
 * | `session.created` / `session.updated` | same | `session` rebuilt in GA shape from what the client configured; the `session.updated` answering the relay's own opening update is absorbed (GA sends one only when the client asked) |
 * | `conversation.item.created` | `conversation.item.added` + `conversation.item.done` | an assistant item during an answer: its id becomes the answer's item, `done` waits for the answer's end |
 * | `response.created` | same | `response` in GA's shape (`object`, `status`, `output: []`, `output_modalities`, `usage: null`); `resp_…` made when GLM names none |
 * | (first content event of an answer) | `response.output_item.added` + `conversation.item.added` + `response.content_part.added` | GLM names no assistant item; the relay makes one (`item_…`) so clients can play and truncate by `item_id` |
 * | `response.audio.delta` / `.done` | `response.output_audio.delta` / `.done` | built with the answer's `response_id`, `item_id`, `output_index`, `content_index` (GLM's `.done` carries none, its deltas no item); audio is PCM16 24 kHz already (`GLM_OUTPUT_SAMPLE_RATE`): the delta's base64 is copied into the GA frame without parsing GLM's |
 * | `response.audio_transcript.delta` / `.done` | `response.output_audio_transcript.delta` / `.done` | the same four fields added (GLM sends only `delta` / `transcript`) |
 * | `response.text.delta` / `.done` | `response.output_text.delta` / `.done` | the same, in a `text` content part of its own |
 * | `response.function_call_arguments.done{name, arguments}` | `response.output_item.added` + `conversation.item.added` (a `function_call` item, `in_progress`), `response.function_call_arguments.delta` (the whole arguments) + `.done`, `response.output_item.done` + `conversation.item.done` | GLM sends neither an item nor a call id: `item_…` and `call_…` made; the item is in `response.done.response.output` |
 * | `response.done{response:{id, status, usage}}` | `response.content_part.done`, `response.output_item.done` + `conversation.item.done` (status `completed`/`incomplete`, the transcript), then `response.done` with every output item in `output` | usage read for the NATS usage event (GLM's docs say it is 0 for now) |
 * | content after its answer's `response.done` | — | dropped, counted (`lateProviderEvents` in the session's closing log): it would open an assistant item nobody closes |
 * | `error{error}` | `error{error:{type,code,message,param:null,event_id:null}}` | `code` defaults to `provider_error` |
 * | `heartbeat` | — | absorbed |
 * | `response.function_call.simple_browser` | — | dropped (video-mode built-in search) |
 * | `input_audio_buffer.speech_started` / `.speech_stopped` | same | `item_id` added (GLM sends none): made at `speech_started`; `audio_start_ms` / `audio_end_ms` (GLM sends none): the client audio the relay had sent when GLM's event came: late by GLM's detection delay, more if the client sends audio faster than it plays |
 * | `input_audio_buffer.committed`, `conversation.item.created` (user), `conversation.item.input_audio_transcription.*` | same | GLM's item id of that utterance renamed to the one announced at `speech_started`; `content_index` 0, and the transcription's `usage` as `{type:'duration'}` of the audio committed, added |
 * | `conversation.item.created` (`function_call_output`) | `conversation.item.added` + `conversation.item.done` | the `call_id` the client gave it put back (GLM drops it) |
 * | `conversation.created`, other `input_audio_buffer.*` | same | `conversation` made when GLM sends none; every event without an `event_id` gets one |
 */

/** GLM's default input: WAV at 16 kHz. */
export const GLM_INPUT_SAMPLE_RATE = 16_000;
/** The voice GLM speaks in unless told otherwise. */
export const GLM_DEFAULT_VOICE = 'tongtong';
/** GLM's `pcm` output: 24 kHz mono PCM16, what GA clients play; anything else is resampled. */
export const GLM_OUTPUT_SAMPLE_RATE = 24_000;

/** Server events renamed 1:1. */
export const RENAMED_SERVER_EVENTS: Record<string, string> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
};

/** GLM events with no GA counterpart, dropped on the way to the client. */
export const ABSORBED_SERVER_EVENTS = new Set(['heartbeat', 'response.function_call.simple_browser']);

/** Client events GLM has no equivalent of, refused with `unsupported_event`. */
export const UNSUPPORTED_CLIENT_EVENTS = new Set(['conversation.item.retrieve', 'conversation.item.delete', 'output_audio_buffer.clear']);

/** The session as the client configured it, in GA terms (echoed in `session.created/updated`). */
export interface GlmSessionState {
  model: string;
  instructions?: string;
  voice?: string;
  /** GA turn detection: server VAD unless the client turned it off. */
  vad: boolean;
  tools?: RealtimeFunctionTool[];
  /** GA `audio.input.transcription`, echoed back; GLM transcribes the user's speech either way. */
  transcription?: Record<string, unknown> | null;
}

/** Merges a GA `session.update` into the state, once `sessionUpdateProblem` found nothing to refuse. */
export function mergeSession(state: GlmSessionState, session: RealtimeSessionConfig): void {
  const input = session.audio?.input;
  const output = session.audio?.output;
  if (session.instructions !== undefined) state.instructions = session.instructions;
  if (output?.voice !== undefined) state.voice = output.voice;
  if (input && 'turn_detection' in input && input.turn_detection !== undefined) state.vad = input.turn_detection !== null;
  if (input?.transcription !== undefined) state.transcription = input.transcription as Record<string, unknown> | null;
  if (session.tools !== undefined) {
    state.tools = session.tools.filter((t): t is RealtimeFunctionTool => t.type === 'function' && 'name' in t);
  }
}

/** GLM's `session.update` for the state. */
export function glmSessionUpdate(state: GlmSessionState, eventId?: string): string {
  return JSON.stringify({
    type: 'session.update',
    ...(eventId ? { event_id: eventId } : {}),
    client_timestamp: Date.now(),
    session: {
      model: state.model,
      ...(state.instructions !== undefined ? { instructions: state.instructions } : {}),
      ...(state.voice !== undefined ? { voice: state.voice } : {}),
      input_audio_format: 'wav',
      output_audio_format: 'pcm',
      turn_detection: { type: state.vad ? 'server_vad' : 'client_vad' },
      beta_fields: { chat_mode: 'audio', tts_source: 'e2e' },
      ...(state.tools
        ? { tools: state.tools.map((t) => ({ type: 'function', name: t.name, description: t.description ?? '', parameters: t.parameters ?? { type: 'object', properties: {} } })) }
        : {}),
    },
  });
}

/** The GA `session` object a client expects in `session.created/updated`. */
export function gaSession(state: GlmSessionState, id: unknown): Record<string, unknown> {
  const pcm = { type: 'audio/pcm', rate: 24_000 };
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: typeof id === 'string' ? id : `sess_${randomUUID()}`,
    model: state.model,
    output_modalities: ['audio'],
    instructions: state.instructions ?? '',
    tools: state.tools ?? [],
    audio: {
      input: { format: pcm, transcription: state.transcription ?? null, turn_detection: state.vad ? { type: 'server_vad' } : null },
      output: { format: pcm, voice: state.voice ?? GLM_DEFAULT_VOICE },
    },
  };
}

/** A GA `conversation.item.create` item in GLM's beta-style shape. */
export function glmItem(item: Record<string, unknown>): Record<string, unknown> {
  if (item.type === 'function_call_output') return { type: 'function_call_output', output: item.output };
  const content = Array.isArray(item.content) ? (item.content as Record<string, unknown>[]) : [];
  return {
    type: item.type,
    ...(item.role !== undefined ? { role: item.role } : {}),
    content: content.map((part) => (part.type === 'output_text' ? { type: 'text', text: part.text } : part)),
  };
}

/** A GLM error as a GA `error` event. */
export function gaError(event: Record<string, unknown>): string {
  const error = (typeof event.error === 'object' && event.error !== null ? event.error : {}) as Record<string, unknown>;
  return JSON.stringify({
    type: 'error',
    event_id: typeof event.event_id === 'string' ? event.event_id : `event_relay_${randomUUID()}`,
    error: {
      type: typeof error.type === 'string' ? error.type : 'server_error',
      code: typeof error.code === 'string' || typeof error.code === 'number' ? String(error.code) : 'provider_error',
      message: typeof error.message === 'string' ? error.message : 'The provider reported an error.',
      param: null,
      event_id: null,
    },
  });
}
