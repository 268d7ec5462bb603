import type { WebSocket } from 'ws';

/**
 * Gemini Live's wire: JSON messages, each an object with one top-level field naming its kind
 * (protocols.md §4.4). Google parses them as proto3 JSON, which refuses unknown fields; its Live
 * endpoint reports a refusal by closing the socket (1007 invalid argument, 1008 policy / not
 * found, 1011 internal), the reason in the close frame [S: public issue reports]. The server's
 * messages go out in binary frames [S: a client observed `setupComplete` with opcode 2].
 */

/** A field list per message kind: `true` a leaf (any value), a nested shape, or `[shape]` for a list of them. */
export type Shape = { readonly [field: string]: true | Shape | readonly [Shape] };

const PART: Shape = { text: true, inlineData: { mimeType: true, data: true }, functionCall: true, functionResponse: true, thought: true };
const BLOB: Shape = { mimeType: true, data: true };

/** `setup` as `@google/genai`'s converters write it (protocols.md §4.4 lists its fields). */
export const SETUP: Shape = {
  model: true,
  generationConfig: {
    responseModalities: true,
    speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: true } }, languageCode: true },
    temperature: true,
    topP: true,
    topK: true,
    maxOutputTokens: true,
    candidateCount: true,
    presencePenalty: true,
    frequencyPenalty: true,
    seed: true,
    mediaResolution: true,
    thinkingConfig: true,
    enableAffectiveDialog: true,
  },
  systemInstruction: { role: true, parts: [PART] },
  tools: [{ functionDeclarations: [{ name: true, description: true, parameters: true, parametersJsonSchema: true, response: true, responseJsonSchema: true, behavior: true }], googleSearch: true, codeExecution: true, urlContext: true }],
  realtimeInputConfig: {
    automaticActivityDetection: { disabled: true, startOfSpeechSensitivity: true, endOfSpeechSensitivity: true, prefixPaddingMs: true, silenceDurationMs: true },
    activityHandling: true,
    turnCoverage: true,
  },
  sessionResumption: true,
  contextWindowCompression: true,
  inputAudioTranscription: true,
  outputAudioTranscription: true,
  proactivity: true,
};

export const CLIENT_CONTENT: Shape = { turns: [{ role: true, parts: [PART] }], turnComplete: true };
export const REALTIME_INPUT: Shape = { audio: BLOB, video: BLOB, mediaChunks: [BLOB], text: true, activityStart: {}, activityEnd: {}, audioStreamEnd: true };
export const TOOL_RESPONSE: Shape = { functionResponses: [{ id: true, name: true, response: true, scheduling: true, willContinue: true }] };

/** The top-level kinds of client message. */
export const CLIENT_MESSAGE: Shape = { setup: SETUP, clientContent: CLIENT_CONTENT, realtimeInput: REALTIME_INPUT, toolResponse: TOOL_RESPONSE };

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function snake(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The first field of `value` its shape does not have, worded as Google's JSON parser words it;
 * proto3 JSON takes lowerCamel and the original snake_case names alike.
 */
export function unknownField(value: unknown, shape: Shape, path = ''): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) return undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const field = shape[camel(key)];
    if (field === undefined) return `Invalid JSON payload received. Unknown name "${key}"${path ? ` at '${snake(path)}'` : ''}: Cannot find field.`;
    if (field === true) continue;
    const nested = `${path ? `${path}.` : ''}${camel(key)}`;
    if (Array.isArray(field)) {
      if (!Array.isArray(child)) continue;
      for (const [index, entry] of child.entries()) {
        const problem = unknownField(entry, field[0] as Shape, `${nested}[${index}]`);
        if (problem) return problem;
      }
    } else {
      const problem = unknownField(child, field as Shape, nested);
      if (problem) return problem;
    }
  }
  return undefined;
}

const OPAQUE = new Set(['args', 'response', 'parameters', 'parametersJsonSchema', 'responseJsonSchema']);

/** `value` with every key in lowerCamel case, as the session reads it (proto3 JSON takes both). */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, v]) => {
      const name = camel(key);
      // Function arguments, results and schemas are the client's own JSON, not proto fields.
      return [name, OPAQUE.has(name) ? v : camelKeys(v)];
    }),
  );
}

/** Google's generic refusal of a request it cannot use. */
export const INVALID_ARGUMENT = 'Request contains an invalid argument.';

/** A close frame's reason holds at most 123 bytes (RFC 6455): longer ones are cut at a character. */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

/** Sends one server message as Gemini does, in a binary frame, if the socket is still open. */
export function sendMessage(socket: WebSocket, message: object): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message), { binary: true });
}
