import { Type, type Static } from 'typebox';

/** Providers Voxgate can speak to. `compatible` is any OpenAI-compatible server (Ollama, vLLM, …). */
export const Provider = Type.Union([
  Type.Literal('openai'),
  Type.Literal('gemini'),
  Type.Literal('zhipu'),
  Type.Literal('compatible'),
]);
export type Provider = Static<typeof Provider>;

/** `text`: request/response chat with streamed answers. `realtime`: live full-duplex voice. */
export const ModelKind = Type.Union([Type.Literal('text'), Type.Literal('realtime')]);
export type ModelKind = Static<typeof ModelKind>;

/** What a user may put into a turn for this model. */
export const InputKind = Type.Union([Type.Literal('text'), Type.Literal('image'), Type.Literal('audio')]);
export type InputKind = Static<typeof InputKind>;

/**
 * How the browser or a program reaches the model through Voxgate.
 * `http`: `POST /api/chat` (SSE) and `/v1/chat/completions`;
 * `websocket`: through a realtime-relay replica; `webrtc`: media straight to the provider,
 * signalling through the session service.
 */
export const Transport = Type.Union([Type.Literal('http'), Type.Literal('websocket'), Type.Literal('webrtc')]);
export type Transport = Static<typeof Transport>;

/** One entry of the model catalogue. */
export const ModelEntry = Type.Object({
  /** The id a client sends back (`model` in requests); unique across the catalogue. */
  id: Type.String({ minLength: 1, maxLength: 200 }),
  /** Human label for the picker. */
  label: Type.String({ maxLength: 200 }),
  provider: Provider,
  /** For `compatible` models: the id of the server from MODELS_FILE that serves it. */
  serverId: Type.Optional(Type.String({ maxLength: 100 })),
  kind: ModelKind,
  input: Type.Array(InputKind, { minItems: 1, uniqueItems: true }),
  transports: Type.Array(Transport, { minItems: 1, uniqueItems: true }),
  /** True when the provider behind this model is the development simulator, not the real service. */
  simulated: Type.Boolean(),
});
export type ModelEntry = Static<typeof ModelEntry>;

/** What a service answers on its catalogue subject, and what `GET /api/models` returns. */
export const ModelCatalogue = Type.Object({ models: Type.Array(ModelEntry, { maxItems: 1000 }) });
export type ModelCatalogue = Static<typeof ModelCatalogue>;
