import { Type, type Static } from 'typebox';

/** Limits a client can rely on; the gateway refuses anything larger with a 4xx and a code. */
export const ChatLimits = {
  /** Characters in one text part. */
  textChars: 100_000,
  /** Parts in one message, and messages in one `/v1` request. */
  partsPerMessage: 16,
  messagesPerRequest: 500,
  /** Bytes of one uploaded image (after the page downscales it to at most 2048 px). */
  imageBytes: 10 * 1024 * 1024,
  /** Bytes of one voice message (OpenAI's transcription limit). */
  audioBytes: 25 * 1024 * 1024,
  /** The longest side the page downscales an image to before upload. */
  imageMaxSidePx: 2048,
} as const;

const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });

/** A part of a message. Images and audio are uploaded first and referred to by attachment id. */
export const ContentPart = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String({ maxLength: ChatLimits.textChars }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('image'), attachmentId: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('audio'), attachmentId: Id }, { additionalProperties: false }),
]);
export type ContentPart = Static<typeof ContentPart>;

export const ChatRole = Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant')]);
export type ChatRole = Static<typeof ChatRole>;

export const ChatMessage = Type.Object(
  {
    role: ChatRole,
    content: Type.Array(ContentPart, { minItems: 1, maxItems: ChatLimits.partsPerMessage }),
  },
  { additionalProperties: false },
);
export type ChatMessage = Static<typeof ChatMessage>;

/** An uploaded image or voice message, stored once and referred to by id. */
export const Attachment = Type.Object({
  id: Id,
  kind: Type.Union([Type.Literal('image'), Type.Literal('audio')]),
  /** The media type found from the file's magic bytes, not the one the client claimed. */
  mime: Type.String(),
  bytes: Type.Integer({ minimum: 1 }),
  /** Images: decoded size in pixels. */
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type Attachment = Static<typeof Attachment>;

/** `POST /api/chat` body. */
export const ChatRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 200 }),
    /** Continue this conversation; absent: start a new one. */
    conversationId: Type.Optional(Id),
    /** The user's new message; absent with `regenerate`. */
    message: Type.Optional(ChatMessage),
    /** Answer the conversation's last user message again, replacing the last answer. */
    regenerate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ChatRequest = Static<typeof ChatRequest>;

/** `POST /api/chat` answer (JSON, or the first SSE event `turn`). */
export const TurnStarted = Type.Object({ turnId: Id, conversationId: Id });
export type TurnStarted = Static<typeof TurnStarted>;

export const Usage = Type.Object({
  inputTokens: Type.Integer({ minimum: 0 }),
  outputTokens: Type.Integer({ minimum: 0 }),
});
export type Usage = Static<typeof Usage>;

/**
 * One chunk of a turn, numbered from 1 without gaps, as published to JetStream and delivered over
 * SSE, WebSocket and polling alike. A turn ends with exactly one `done` or `error`.
 * `transcript`: what a voice message was transcribed to, for models that do not take audio.
 */
export const TurnChunk = Type.Union([
  Type.Object({ seq: Type.Integer({ minimum: 1 }), type: Type.Literal('start'), model: Type.String(), conversationId: Type.String() }),
  Type.Object({ seq: Type.Integer({ minimum: 1 }), type: Type.Literal('delta'), text: Type.String() }),
  Type.Object({ seq: Type.Integer({ minimum: 1 }), type: Type.Literal('transcript'), text: Type.String() }),
  Type.Object({
    seq: Type.Integer({ minimum: 1 }),
    type: Type.Literal('done'),
    // `content_filter`: the provider withheld (the rest of) the answer; `stopped`: ended early, the text kept.
    finishReason: Type.Union([Type.Literal('stop'), Type.Literal('length'), Type.Literal('content_filter'), Type.Literal('stopped'), Type.Literal('other')]),
    usage: Type.Optional(Usage),
  }),
  Type.Object({
    seq: Type.Integer({ minimum: 1 }),
    type: Type.Literal('error'),
    code: Type.String(),
    message: Type.String(),
    retryable: Type.Boolean(),
  }),
]);
export type TurnChunk = Static<typeof TurnChunk>;

/** `GET /api/turns/:id?after=N`: the chunks after N, and whether the turn has ended. */
export const TurnChunks = Type.Object({
  turnId: Id,
  chunks: Type.Array(TurnChunk),
  finished: Type.Boolean(),
});
export type TurnChunks = Static<typeof TurnChunks>;

/** A conversation as the sidebar lists it. */
export const ConversationSummary = Type.Object({
  id: Id,
  title: Type.String({ maxLength: 200 }),
  model: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type ConversationSummary = Static<typeof ConversationSummary>;

/** One stored exchange: what the user sent and what the model answered (or how it failed). */
export const ConversationTurn = Type.Object({
  turnId: Id,
  model: Type.String(),
  user: ChatMessage,
  /** A voice message's transcript, when the model got text instead of audio. */
  transcript: Type.Optional(Type.String()),
  answer: Type.String(),
  status: Type.Union([Type.Literal('done'), Type.Literal('stopped'), Type.Literal('failed')]),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  usage: Type.Optional(Usage),
  createdAt: Type.String(),
});
export type ConversationTurn = Static<typeof ConversationTurn>;

export const Conversation = Type.Object({
  ...ConversationSummary.properties,
  turns: Type.Array(ConversationTurn),
});
export type Conversation = Static<typeof Conversation>;

export const ConversationList = Type.Object({ conversations: Type.Array(ConversationSummary) });
export type ConversationList = Static<typeof ConversationList>;

export const RenameConversation = Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export type RenameConversation = Static<typeof RenameConversation>;
