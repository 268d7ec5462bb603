import { Type, type Static } from 'typebox';
import { ChatLimits, ChatMessage } from './chat.js';

/**
 * Gateway → llm-text (`Subjects.chat.start`): start a turn. The reply (`TurnStarted`) comes as soon
 * as the turn is accepted; the answer itself flows through JetStream on `Subjects.turn(turnId)`.
 * The turn's `start` chunk (seq 1) is stored in JetStream before the reply is sent, so that a
 * client polling or subscribing right after the reply never finds the turn unknown (404).
 */
/**
 * How a program (`/v1`) wants the answer sampled and shaped, beyond length and temperature, in
 * OpenAI's terms. llm-text refuses an option the model's provider cannot honour rather than
 * ignoring it.
 */
export const GenerationOptions = Type.Object(
  {
    /** Up to 4 sequences at which the provider stops. */
    stop: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 4 })),
    topP: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    seed: Type.Optional(Type.Integer()),
    presencePenalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    frequencyPenalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    /** `json_object`: any JSON object; `json_schema`: JSON matching `schema`. */
    responseFormat: Type.Optional(
      Type.Union([
        Type.Object({ type: Type.Literal('json_object') }, { additionalProperties: false }),
        Type.Object(
          {
            type: Type.Literal('json_schema'),
            name: Type.String({ minLength: 1, maxLength: 64 }),
            schema: Type.Record(Type.String(), Type.Unknown()),
            strict: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type GenerationOptions = Static<typeof GenerationOptions>;

export const StartTurn = Type.Object(
  {
    /** Chosen by the gateway, so it can subscribe before the first chunk is published. */
    turnId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
    model: Type.String({ minLength: 1, maxLength: 200 }),
    /**
     * `conversation`: `messages` is the user's new message; llm-text adds the stored history and
     * stores the exchange. `stateless` (the `/v1` API): `messages` is the whole context; nothing is stored.
     */
    mode: Type.Union([Type.Literal('conversation'), Type.Literal('stateless')]),
    conversationId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })),
    messages: Type.Array(ChatMessage, { maxItems: ChatLimits.messagesPerRequest }),
    regenerate: Type.Optional(Type.Boolean()),
    maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    options: Type.Optional(GenerationOptions),
  },
  { additionalProperties: false },
);
export type StartTurn = Static<typeof StartTurn>;

/** Reply of the turn's owner to `Subjects.chat.stop(turnId)`. */
export const StopTurnReply = Type.Object({ stopped: Type.Boolean() });
export type StopTurnReply = Static<typeof StopTurnReply>;

/** Requests of the conversation endpoints. */
export const ConversationRef = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }, { additionalProperties: false });
export type ConversationRef = Static<typeof ConversationRef>;
export const ConversationRename = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }), title: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type ConversationRename = Static<typeof ConversationRename>;

/** JetStream resources, created idempotently at start-up by the services that use them. */
export const JetStreamNames = {
  /** Chunks of every turn, one subject per turn; kept long enough for any page to catch up. */
  turnsStream: 'VOXGATE_TURNS',
  turnsMaxAgeMs: 60 * 60 * 1000,
  /** Stored exchanges, one subject per conversation; file storage, survives restarts. */
  historyStream: 'VOXGATE_HISTORY',
  /** Conversation summaries (title, model, times) for the sidebar. */
  conversationsBucket: 'voxgate-conversations',
  /** Uploaded images and voice messages, referred to by id. */
  attachmentsBucket: 'voxgate-attachments',
} as const;
