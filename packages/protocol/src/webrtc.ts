import { Type, type Static } from 'typebox';
import { ServiceName } from './services.js';

/**
 * WebRTC calls to OpenAI realtime models, signalled through the gateway and the session service
 * with the server key (OpenAI's "unified interface"): the page posts its SDP offer, session posts
 * it to OpenAI as multipart `sdp` + `session`, and the answer SDP comes back. Media then flows
 * browser ⇄ OpenAI directly; session follows each call over the sideband WebSocket.
 */

/** Limits the page can rely on; the gateway and session refuse anything larger with a code. */
export const WebrtcLimits = {
  /** Bytes of an SDP offer. A browser's offer with audio and a data channel is 2–6 KiB. */
  sdpBytes: 64 * 1024,
  /** Characters of `instructions`. */
  instructionsChars: 10_000,
  /** OpenAI's range for `expires_after.seconds` of a client secret. */
  clientSecretMinTtlS: 10,
  clientSecretMaxTtlS: 7_200,
} as const;

const ConversationId = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });
/** OpenAI call ids are `rtc_…`; the bound keeps a stray value out of URLs and logs. */
const CallId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' });

/** Voice activity mode: the provider's VAD kinds, or `none` for push-to-talk (GA `turn_detection: null`). */
export const WebrtcTurnDetection = Type.Union([Type.Literal('server_vad'), Type.Literal('semantic_vad'), Type.Literal('none')]);
export type WebrtcTurnDetection = Static<typeof WebrtcTurnDetection>;

/** The options of a call, as the page chooses them; session turns them into a GA session config. */
const CallOptions = {
  voice: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  instructions: Type.Optional(Type.String({ maxLength: WebrtcLimits.instructionsChars })),
  turnDetection: Type.Optional(WebrtcTurnDetection),
  /** Transcribe the user's speech (GA `audio.input.transcription`); needed for the user's side of the history. */
  transcription: Type.Optional(Type.Boolean()),
  /** Record the call into this conversation; absent: a new one. */
  conversationId: Type.Optional(ConversationId),
};

/** `POST /api/realtime/calls?model=<id>` body (JSON). */
export const RealtimeCallRequest = Type.Object(
  {
    /** The browser's SDP offer, as `RTCPeerConnection.createOffer()` gave it. */
    sdp: Type.String({ minLength: 1, maxLength: WebrtcLimits.sdpBytes }),
    ...CallOptions,
  },
  { additionalProperties: false },
);
export type RealtimeCallRequest = Static<typeof RealtimeCallRequest>;

/** `POST /api/realtime/calls` answer (201), and session's reply to `WebrtcSubjects.createCall`. */
export const RealtimeCallAnswer = Type.Object({
  /** OpenAI's answer SDP, for `setRemoteDescription({ type: 'answer', sdp })`. */
  sdp: Type.String({ minLength: 1 }),
  callId: CallId,
  conversationId: ConversationId,
});
export type RealtimeCallAnswer = Static<typeof RealtimeCallAnswer>;

/** `POST /api/realtime/calls/:id/hangup` answer, and session's reply to `WebrtcSubjects.hangup`. */
export const RealtimeHangupAnswer = Type.Object({ hungUp: Type.Literal(true) });
export type RealtimeHangupAnswer = Static<typeof RealtimeHangupAnswer>;

/**
 * Gateway → session (`WebrtcSubjects.createCall`): the page's request with the model. The SDP is
 * only loosely bounded here so that session itself answers an empty or oversized offer with
 * `invalid_sdp` / `sdp_too_large` rather than a schema complaint.
 */
export const CreateCall = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 200 }),
    ...RealtimeCallRequest.properties,
    sdp: Type.String({ maxLength: 4 * WebrtcLimits.sdpBytes }),
  },
  { additionalProperties: false },
);
export type CreateCall = Static<typeof CreateCall>;

/** Gateway → session (`WebrtcSubjects.hangup`). */
export const HangupCall = Type.Object({ callId: CallId }, { additionalProperties: false });
export type HangupCall = Static<typeof HangupCall>;

/**
 * `POST /v1/realtime/client_secrets` body, OpenAI's GA `ClientSecretCreateParams` for realtime
 * sessions. Session fields other than `type` and `model` go to OpenAI as given (it is the authority
 * on them); the model must be one session offers, and the lifetime is capped by the server.
 */
export const ClientSecretRequest = Type.Object(
  {
    expires_after: Type.Optional(
      Type.Object(
        {
          anchor: Type.Optional(Type.Literal('created_at')),
          seconds: Type.Optional(
            Type.Integer({ minimum: WebrtcLimits.clientSecretMinTtlS, maximum: WebrtcLimits.clientSecretMaxTtlS }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    session: Type.Object({
      type: Type.Literal('realtime'),
      model: Type.String({ minLength: 1, maxLength: 200 }),
      instructions: Type.Optional(Type.String({ maxLength: WebrtcLimits.instructionsChars })),
    }),
  },
  { additionalProperties: false },
);
export type ClientSecretRequest = Static<typeof ClientSecretRequest>;

/** OpenAI's GA `ClientSecretCreateResponse`: the `ek_…` value at the top level, and the session. */
export const ClientSecretResponse = Type.Object({
  value: Type.String({ minLength: 1 }),
  /** Unix seconds. */
  expires_at: Type.Integer({ minimum: 0 }),
  session: Type.Record(Type.String(), Type.Unknown()),
});
export type ClientSecretResponse = Static<typeof ClientSecretResponse>;

const ROOT = `voxgate.${ServiceName.session}`;

/** Request/reply subjects of the session service (NATS services API endpoints). */
export const WebrtcSubjects = {
  /** `CreateCall` → `RealtimeCallAnswer`. */
  createCall: `${ROOT}.calls.create`,
  /** `HangupCall` → `RealtimeHangupAnswer`. */
  hangup: `${ROOT}.calls.hangup`,
  /** `ClientSecretRequest` → `ClientSecretResponse`. */
  clientSecrets: `${ROOT}.client_secrets`,
} as const;
