import type { Provider } from '@voxgate/protocol';
import type { RelayErrorCode } from '../errors.js';
import type { HeardAnswers } from '../heard.js';
import type { UpstreamTarget } from '../upstream.js';

/** What a provider adapter may do with a session: send either way, refuse, report. */
export interface SessionPort {
  /** To the client; `audio` marks an audio delta, which a slow client may have dropped. */
  toClient(data: Buffer | string, audio?: boolean): void;
  toProvider(data: Buffer | string): void;
  /** A GA `error` event to the client (`type` defaults to `invalid_request_error`); the session goes on. */
  refuse(code: RelayErrorCode | string, message: string, causeEventId?: string | undefined, options?: { type?: string; param?: string }): void;
  /** A finished utterance of either side, for the history and the transcript events (answers go through `heard`). */
  transcript(role: 'user' | 'assistant', text: string, itemId: string | undefined): void;
  /** The model's answers until they can no longer be truncated, then written as heard. */
  heard: HeardAnswers;
  /** A response ended; its usage, when the provider reported one. */
  responseDone(responseId: string | undefined, usage: { input: number; output: number; total: number } | undefined): void;
  /** Logs of this session (never keys, user content only under `pii`). */
  log: { debug(obj: object, msg: string): void; info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * One provider's side of a session: where to connect, and how frames cross in each direction.
 * OpenAI passes frames through; GLM translates them.
 */
export interface ProviderAdapter {
  readonly provider: Provider;
  readonly target: UpstreamTarget;
  /** The provider socket opened; frames the adapter must send first (e.g. GLM's model choice). */
  opened(port: SessionPort): void;
  /** A text frame from the client, already checked for size (not yet for content). */
  fromClient(frame: Buffer, port: SessionPort): void;
  /** A text frame from the provider. */
  fromProvider(frame: Buffer, port: SessionPort): void;
  /** The session ended (either side closed): what the adapter still holds is reported now. */
  ended?(port: SessionPort): void;
  /**
   * The provider sends its JSON events in binary frames too (Gemini Live does); they reach
   * `fromProvider` like text frames instead of being dropped.
   */
  readonly binaryJson?: boolean;
  /**
   * The provider closed its socket with `code` and `reason`: how the client's socket is closed and
   * the GA `error` event sent first, for a provider whose errors arrive as close frames (Gemini
   * Live's 1007/1008/1011). Undefined: the relay's usual rules (see `RealtimeSession`).
   */
  closed?(code: number, reason: string, port: SessionPort): { code: number; notice?: string } | undefined;
}
