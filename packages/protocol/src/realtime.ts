import { Type, type Static } from 'typebox';

/**
 * The OpenAI realtime GA protocol, as far as the relay parses it. Audio frames are forwarded
 * without being parsed, so only control events have schemas here; every other field passes
 * through untouched (`additionalProperties` stays open, the provider is the authority).
 */

/** Limits a realtime client can rely on when talking to a Voxgate relay. */
export const RealtimeLimits = {
  /**
   * Bytes of one WebSocket frame from a client. 1 MiB holds about 16 s of 24 kHz PCM16 audio in
   * base64, far more than a 20–100 ms frame needs; OpenAI's own 15 MiB per event is not needed.
   */
  maxFrameBytes: 1024 * 1024,
  /** The only PCM sample rate GA `audio/pcm` takes. */
  pcmSampleRate: 24_000,
} as const;

/** Every client event type of the GA protocol (openai-node `RealtimeClientEvent`). */
export const REALTIME_CLIENT_EVENT_TYPES = [
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.retrieve',
  'conversation.item.truncate',
  'conversation.item.delete',
  'response.create',
  'response.cancel',
  'output_audio_buffer.clear',
] as const;
export type RealtimeClientEventType = (typeof REALTIME_CLIENT_EVENT_TYPES)[number];

const EventId = Type.Optional(Type.String({ maxLength: 512 }));

/** GA audio format of `audio.input.format` / `audio.output.format`. */
export const RealtimeAudioFormat = Type.Union([
  Type.Object({ type: Type.Literal('audio/pcm'), rate: Type.Optional(Type.Literal(24_000)) }),
  Type.Object({ type: Type.Literal('audio/pcmu') }),
  Type.Object({ type: Type.Literal('audio/pcma') }),
]);
export type RealtimeAudioFormat = Static<typeof RealtimeAudioFormat>;

/** GA voice activity detection; `null` turns it off (push-to-talk). */
export const RealtimeTurnDetection = Type.Union([
  Type.Null(),
  Type.Object({ type: Type.Literal('server_vad') }),
  Type.Object({ type: Type.Literal('semantic_vad') }),
]);
export type RealtimeTurnDetection = Static<typeof RealtimeTurnDetection>;

/** A GA function tool: flat, `{ type: 'function', name, description, parameters }`. */
export const RealtimeFunctionTool = Type.Object({
  type: Type.Literal('function'),
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.Optional(Type.String()),
  parameters: Type.Optional(Type.Unknown()),
});
export type RealtimeFunctionTool = Static<typeof RealtimeFunctionTool>;

/** The GA session configuration, the fields a relay reads or translates. */
export const RealtimeSessionConfig = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('realtime'), Type.Literal('transcription')])),
  model: Type.Optional(Type.String()),
  instructions: Type.Optional(Type.String()),
  output_modalities: Type.Optional(Type.Array(Type.Union([Type.Literal('audio'), Type.Literal('text')]), { maxItems: 2 })),
  audio: Type.Optional(
    Type.Object({
      input: Type.Optional(
        Type.Object({
          format: Type.Optional(RealtimeAudioFormat),
          turn_detection: Type.Optional(RealtimeTurnDetection),
          transcription: Type.Optional(Type.Union([Type.Null(), Type.Object({})])),
        }),
      ),
      output: Type.Optional(
        Type.Object({ format: Type.Optional(RealtimeAudioFormat), voice: Type.Optional(Type.String({ maxLength: 100 })) }),
      ),
    }),
  ),
  tools: Type.Optional(Type.Array(Type.Union([RealtimeFunctionTool, Type.Object({ type: Type.String() })]), { maxItems: 128 })),
  tool_choice: Type.Optional(Type.Unknown()),
});
export type RealtimeSessionConfig = Static<typeof RealtimeSessionConfig>;

/** Client → server: `session.update`. */
export const RealtimeSessionUpdate = Type.Object({
  type: Type.Literal('session.update'),
  event_id: EventId,
  session: RealtimeSessionConfig,
});
export type RealtimeSessionUpdate = Static<typeof RealtimeSessionUpdate>;

/** Client → server: `conversation.item.truncate`, after the client stopped playing an answer. */
export const RealtimeItemTruncate = Type.Object({
  type: Type.Literal('conversation.item.truncate'),
  event_id: EventId,
  item_id: Type.String({ minLength: 1, maxLength: 512 }),
  content_index: Type.Integer({ minimum: 0 }),
  audio_end_ms: Type.Integer({ minimum: 0 }),
});
export type RealtimeItemTruncate = Static<typeof RealtimeItemTruncate>;

/** A content part of a conversation item (user `input_text|input_audio`, assistant `output_text|output_audio`). */
export const RealtimeContentPart = Type.Object({
  type: Type.String(),
  text: Type.Optional(Type.String()),
  transcript: Type.Optional(Type.String()),
  audio: Type.Optional(Type.String()),
});
export type RealtimeContentPart = Static<typeof RealtimeContentPart>;

/** A conversation item as the relay reads it. */
export const RealtimeItem = Type.Object({
  id: Type.Optional(Type.String()),
  type: Type.String(),
  role: Type.Optional(Type.String()),
  content: Type.Optional(Type.Array(RealtimeContentPart)),
  call_id: Type.Optional(Type.String()),
  output: Type.Optional(Type.String()),
});
export type RealtimeItem = Static<typeof RealtimeItem>;

/** Client → server: `conversation.item.create`. */
export const RealtimeItemCreate = Type.Object({
  type: Type.Literal('conversation.item.create'),
  event_id: EventId,
  previous_item_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  item: RealtimeItem,
});
export type RealtimeItemCreate = Static<typeof RealtimeItemCreate>;

/** Any other client control event: a known `type` and an optional `event_id`. */
export const RealtimeControlEvent = Type.Object({ type: Type.String({ maxLength: 100 }), event_id: EventId });
export type RealtimeControlEvent = Static<typeof RealtimeControlEvent>;

/** GA `error.error.type` values the relay sends. */
export const RealtimeErrorType = Type.Union([
  Type.Literal('invalid_request_error'),
  Type.Literal('server_error'),
  Type.Literal('rate_limit_error'),
]);
export type RealtimeErrorType = Static<typeof RealtimeErrorType>;

/**
 * Server → client: the GA `error` event. "Most errors are recoverable and the session will stay
 * open"; the relay closes only for the session-ending codes it documents.
 */
export const RealtimeErrorEvent = Type.Object({
  type: Type.Literal('error'),
  event_id: Type.String(),
  error: Type.Object({
    type: Type.String(),
    code: Type.Union([Type.String(), Type.Null()]),
    message: Type.String(),
    param: Type.Union([Type.String(), Type.Null()]),
    /** The client event that caused it, when it had an `event_id`. */
    event_id: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type RealtimeErrorEvent = Static<typeof RealtimeErrorEvent>;

/** GA `response.done.response.usage`, the fields the relay reports. */
export const RealtimeUsage = Type.Object({
  total_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
  input_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
  output_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type RealtimeUsage = Static<typeof RealtimeUsage>;

/** Server → client: `response.done`. */
export const RealtimeResponseDone = Type.Object({
  type: Type.Literal('response.done'),
  response: Type.Object({
    id: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    usage: Type.Optional(Type.Union([RealtimeUsage, Type.Null()])),
  }),
});
export type RealtimeResponseDone = Static<typeof RealtimeResponseDone>;

/** Server → client: the user's speech transcribed (`conversation.item.input_audio_transcription.completed`). */
export const RealtimeInputTranscript = Type.Object({
  type: Type.Literal('conversation.item.input_audio_transcription.completed'),
  item_id: Type.Optional(Type.String()),
  transcript: Type.String(),
});
export type RealtimeInputTranscript = Static<typeof RealtimeInputTranscript>;

/** Server → client: the model's spoken answer as text (`response.output_audio_transcript.done`). */
export const RealtimeOutputTranscript = Type.Object({
  type: Type.Union([Type.Literal('response.output_audio_transcript.done'), Type.Literal('response.output_text.done')]),
  response_id: Type.Optional(Type.String()),
  item_id: Type.Optional(Type.String()),
  transcript: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
});
export type RealtimeOutputTranscript = Static<typeof RealtimeOutputTranscript>;
