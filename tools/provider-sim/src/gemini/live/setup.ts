import { isPlainObject } from '../../realtime/params.js';
import { INVALID_ARGUMENT } from './wire.js';

/**
 * Live models the simulator takes in `setup.model` (`models/<id>`). protocols.md names none; these
 * are the ids the relay offers and two more seen in public Live clients [S].
 */
export const GEMINI_LIVE_MODELS = ['gemini-live-2.5-flash-preview', 'gemini-2.0-flash-live-001', 'gemini-2.5-flash-live-preview', 'gemini-3.1-flash-live-preview'];

/** The 30 voices of `prebuiltVoiceConfig.voiceName` (Google Cloud's Live API voice list). */
export const GEMINI_LIVE_VOICES = [
  'Zephyr', 'Puck', 'Charon', 'Kore', 'Fenrir', 'Leda', 'Orus', 'Aoede', 'Callirrhoe', 'Autonoe',
  'Enceladus', 'Iapetus', 'Umbriel', 'Algieba', 'Despina', 'Erinome', 'Algenib', 'Rasalgethi', 'Laomedeia', 'Achernar',
  'Alnilam', 'Schedar', 'Gacrux', 'Pulcherrima', 'Achird', 'Zubenelgenubi', 'Vindemiatrix', 'Sadachbia', 'Sadaltager', 'Sulafat',
];
/** The voice when `setup` names none (third-party clients default to Puck [S]; not documented). */
const DEFAULT_VOICE = 'Puck';
const ACTIVITY_HANDLING = ['ACTIVITY_HANDLING_UNSPECIFIED', 'START_OF_ACTIVITY_INTERRUPTS', 'NO_INTERRUPTION'];
/** Gemini's function name rule (`@google/genai` `FunctionDeclaration.name`). */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
/** The simulator's detection settings when `setup` leaves them out (Gemini documents no defaults). */
const DEFAULT_SILENCE_MS = 500;
const DEFAULT_PREFIX_MS = 300;

export interface LiveTool {
  name: string;
  parameters?: unknown;
}

/** What a `setup` configured. */
export interface LiveConfig {
  model: string;
  voice: string;
  instructions: string;
  tools: LiveTool[];
  /** Automatic activity detection (the default); false: the client sends `activityStart`/`activityEnd`. */
  automaticActivity: boolean;
  silenceDurationMs: number;
  prefixPaddingMs: number;
  /** Start of activity interrupts the answer (`START_OF_ACTIVITY_INTERRUPTS`, the default). */
  interrupts: boolean;
  inputTranscription: boolean;
  outputTranscription: boolean;
}

/** A refusal: Gemini closes the socket with `code` and `reason`. */
export interface Refused {
  ok: false;
  code: 1007 | 1008;
  reason: string;
}

export type SetupResult = { ok: true; config: LiveConfig } | Refused;

const invalid = (reason = INVALID_ARGUMENT): Refused => ({ ok: false, code: 1007, reason });

function isMilliseconds(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= 0);
}

/** Reads a `setup` (keys already in lowerCamel case, unknown fields already refused). */
export function applySetup(setup: Record<string, unknown>, apiVersion: string): SetupResult {
  const model = typeof setup.model === 'string' ? setup.model.replace(/^models\//, '') : undefined;
  if (model === undefined || !GEMINI_LIVE_MODELS.includes(model)) {
    // The real service's words for an unknown model [S], cut to a close frame's 123 bytes by the sender.
    return { ok: false, code: 1008, reason: `models/${String(model ?? '')} is not found for API version ${apiVersion}, or is not supported for bidiGenerateContent.` };
  }
  const generation = isPlainObject(setup.generationConfig) ? setup.generationConfig : {};
  const modalities = generation.responseModalities ?? ['AUDIO'];
  if (!Array.isArray(modalities) || modalities.length !== 1 || modalities[0] !== 'AUDIO') {
    // Gemini has TEXT answers too; the simulator speaks only AUDIO and says so rather than pretend.
    return invalid(`${INVALID_ARGUMENT} (simulated: only responseModalities ["AUDIO"] is simulated)`);
  }
  const prebuilt = (generation.speechConfig as { voiceConfig?: { prebuiltVoiceConfig?: { voiceName?: unknown } } } | undefined)?.voiceConfig?.prebuiltVoiceConfig;
  const voice = prebuilt?.voiceName ?? DEFAULT_VOICE;
  if (typeof voice !== 'string' || !GEMINI_LIVE_VOICES.includes(voice)) return invalid();

  let instructions = '';
  if (setup.systemInstruction !== undefined) {
    const parts = (setup.systemInstruction as { parts?: unknown }).parts;
    if (!Array.isArray(parts) || !parts.every((p) => isPlainObject(p) && typeof p.text === 'string')) return invalid();
    instructions = parts.map((p) => (p as { text: string }).text).join('\n');
  }

  const tools: LiveTool[] = [];
  if (setup.tools !== undefined) {
    if (!Array.isArray(setup.tools)) return invalid();
    for (const tool of setup.tools) {
      const declarations = isPlainObject(tool) ? tool.functionDeclarations : undefined;
      if (declarations === undefined) continue;
      if (!Array.isArray(declarations)) return invalid();
      for (const declaration of declarations) {
        if (!isPlainObject(declaration) || typeof declaration.name !== 'string' || !FUNCTION_NAME.test(declaration.name)) return invalid();
        // The two schema fields exclude each other; `parameters` is Google's OpenAPI subset, which has no additionalProperties [S].
        if (declaration.parameters !== undefined && declaration.parametersJsonSchema !== undefined) return invalid();
        if (isPlainObject(declaration.parameters) && JSON.stringify(declaration.parameters).includes('"additionalProperties"')) return invalid();
        tools.push({ name: declaration.name, parameters: declaration.parametersJsonSchema ?? declaration.parameters });
      }
    }
  }

  const input = isPlainObject(setup.realtimeInputConfig) ? setup.realtimeInputConfig : {};
  const detection = isPlainObject(input.automaticActivityDetection) ? input.automaticActivityDetection : {};
  if (detection.disabled !== undefined && typeof detection.disabled !== 'boolean') return invalid();
  if (!isMilliseconds(detection.silenceDurationMs) || !isMilliseconds(detection.prefixPaddingMs)) return invalid();
  if (input.activityHandling !== undefined && !ACTIVITY_HANDLING.includes(String(input.activityHandling))) return invalid();
  for (const key of ['inputAudioTranscription', 'outputAudioTranscription'] as const) {
    if (setup[key] !== undefined && !isPlainObject(setup[key])) return invalid();
  }
  return {
    ok: true,
    config: {
      model,
      voice,
      instructions,
      tools,
      automaticActivity: detection.disabled !== true,
      silenceDurationMs: (detection.silenceDurationMs as number | undefined) ?? DEFAULT_SILENCE_MS,
      prefixPaddingMs: (detection.prefixPaddingMs as number | undefined) ?? DEFAULT_PREFIX_MS,
      interrupts: input.activityHandling !== 'NO_INTERRUPTION',
      inputTranscription: setup.inputAudioTranscription !== undefined,
      outputTranscription: setup.outputAudioTranscription !== undefined,
    },
  };
}
