import {
  anything,
  arrayOf,
  boolean,
  type Check,
  either,
  isPlainObject,
  mergeConfig,
  nullable,
  number,
  object,
  oneOf,
  type ParamProblem,
  string,
  tagged,
} from '../../realtime/params.js';
import type { VadSettings } from '../../realtime/vad.js';

/** GA audio formats; only 24 kHz is allowed for `audio/pcm`. */
export type AudioFormat = { type: 'audio/pcm'; rate: 24000 } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };

export type TurnDetection =
  | {
      type: 'server_vad';
      threshold: number;
      prefix_padding_ms: number;
      silence_duration_ms: number;
      idle_timeout_ms: number | null;
      create_response: boolean;
      interrupt_response: boolean;
    }
  | { type: 'semantic_vad'; eagerness: string; create_response: boolean; interrupt_response: boolean };

export interface FunctionTool {
  type: 'function';
  name: string;
  description?: string;
  parameters?: unknown;
}

/** The GA session object as `session.created` / `session.updated` carry it. */
export interface GaSession extends Record<string, unknown> {
  type: 'realtime';
  object: 'realtime.session';
  id: string;
  model: string;
  output_modalities: ('audio' | 'text')[];
  instructions: string;
  tools: (FunctionTool | Record<string, unknown>)[];
  tool_choice: unknown;
  max_output_tokens: number | 'inf';
  audio: {
    input: { format: AudioFormat; transcription: { model?: string; language?: string; prompt?: string } | null; noise_reduction: unknown; turn_detection: TurnDetection | null };
    output: { format: AudioFormat; voice: string; speed: number };
  };
}

const SERVER_VAD_DEFAULTS = { threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, idle_timeout_ms: null, create_response: true, interrupt_response: true };
const SEMANTIC_VAD_DEFAULTS = { eagerness: 'auto', create_response: true, interrupt_response: true };
/** Session lifetime OpenAI states in `expires_at`: 60 minutes (protocols.md §1.10). */
const SESSION_LIFETIME_S = 3600;

export const VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];

export function defaultSession(id: string, model: string): GaSession {
  const pcm: AudioFormat = { type: 'audio/pcm', rate: 24000 };
  return {
    type: 'realtime',
    object: 'realtime.session',
    id,
    model,
    output_modalities: ['audio'],
    instructions: 'You are a simulated realtime assistant. Your answers are deterministic.',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
    expires_at: Math.floor(Date.now() / 1000) + SESSION_LIFETIME_S,
    audio: {
      input: { format: pcm, transcription: null, noise_reduction: null, turn_detection: { type: 'server_vad', ...SERVER_VAD_DEFAULTS } },
      output: { format: pcm, voice: 'alloy', speed: 1 },
    },
  };
}

const format: Check = tagged('type', {
  'audio/pcm': object({ type: string, rate: oneOf([24000]) }),
  'audio/pcmu': object({ type: string }),
  'audio/pcma': object({ type: string }),
});

const turnDetection: Check = nullable(
  tagged('type', {
    server_vad: object({
      type: string,
      threshold: number(0, 1),
      prefix_padding_ms: number(0, 10_000, true),
      silence_duration_ms: number(0, 10_000, true),
      idle_timeout_ms: nullable(number(5_000, 30_000, true)),
      create_response: boolean,
      interrupt_response: boolean,
    }),
    semantic_vad: object({ type: string, eagerness: oneOf(['low', 'medium', 'high', 'auto']), create_response: boolean, interrupt_response: boolean }),
  }),
);

const tool: Check = tagged('type', {
  function: object({ type: string, name: string, description: string, parameters: anything }, ['name']),
  // MCP tools have many fields the simulator does not act on.
  mcp: anything,
});

/**
 * The GA `session` of `session.update`. Beta-shaped fields (`modalities`, top-level `voice`,
 * `input_audio_format`, `turn_detection`, …) are unknown parameters here, as they are to the GA API.
 */
const sessionUpdate: Check = object(
  {
    type: oneOf(['realtime']),
    model: string,
    output_modalities: arrayOf(oneOf(['audio', 'text']), 1),
    instructions: string,
    audio: object({
      input: object({
        format,
        transcription: nullable(object({ model: string, language: string, prompt: string })),
        noise_reduction: nullable(object({ type: oneOf(['near_field', 'far_field']) })),
        turn_detection: turnDetection,
      }),
      output: object({ format, voice: string, speed: number(0.25, 1.5) }),
    }),
    tools: arrayOf(tool),
    tool_choice: anything,
    max_output_tokens: either(number(1, 4096, true), oneOf(['inf'])),
    tracing: anything,
    truncation: anything,
    prompt: anything,
    include: anything,
    reasoning: anything,
    parallel_tool_calls: boolean,
  },
  ['type'],
);

export function sessionUpdateProblem(session: unknown): ParamProblem | undefined {
  return sessionUpdate(session, 'session');
}

/**
 * Applies a checked update. Formats and turn detection are replaced whole, with the provider's
 * defaults filled in for what the client left out, as the API reports them back.
 */
export function applySessionUpdate(current: GaSession, update: Record<string, unknown>): GaSession {
  const merged = mergeConfig(current, update, ['format', 'turn_detection', 'transcription', 'noise_reduction']);
  const detection = merged.audio.input.turn_detection as Record<string, unknown> | null;
  if (isPlainObject(detection)) {
    merged.audio.input.turn_detection = {
      ...(detection.type === 'semantic_vad' ? SEMANTIC_VAD_DEFAULTS : SERVER_VAD_DEFAULTS),
      ...detection,
    } as TurnDetection;
  }
  return merged;
}

/** The VAD knobs; semantic VAD is simulated with server_vad's defaults and an eagerness-scaled silence. */
export function vadSettings(detection: TurnDetection): VadSettings {
  if (detection.type === 'server_vad') {
    return { threshold: detection.threshold, prefixPaddingMs: detection.prefix_padding_ms, silenceDurationMs: detection.silence_duration_ms };
  }
  const silenceDurationMs = { low: 1200, medium: 700, high: 300, auto: 700 }[detection.eagerness] ?? 700;
  return { threshold: SERVER_VAD_DEFAULTS.threshold, prefixPaddingMs: SERVER_VAD_DEFAULTS.prefix_padding_ms, silenceDurationMs };
}

/** Sample rate and bytes per sample of an input or output format. */
export function formatRate(format: AudioFormat): { rateHz: number; bytesPerSample: number } {
  return format.type === 'audio/pcm' ? { rateHz: 24_000, bytesPerSample: 2 } : { rateHz: 8_000, bytesPerSample: 1 };
}
