import type { FastifyBaseLogger } from 'fastify';
import type { NatsConnection } from 'nats';
import {
  RealtimeSubjects,
  type RealtimeSessionClosed,
  type RealtimeSessionOpened,
  type RealtimeTranscriptEvent,
  type RealtimeUsageEvent,
} from '@voxgate/protocol';
import type { VoiceHistory } from '@voxgate/service-kit';
import type { SessionHooks, SessionInfo } from './session.js';

/** Characters of one side's pending words kept per session before older text is cut. */
const MAX_PENDING_CHARS = 20_000;

/**
 * Publishes each session's life on NATS (opened, closed, usage, transcripts) and pairs the two
 * sides' transcripts into history exchanges: the user's words since the last answer, then the answer.
 * Answers arrive here as heard (`HeardAnswers`), once they can no longer be truncated.
 */
export class SessionEvents implements SessionHooks {
  /** Per open session: what the user said since the model last answered. */
  readonly #pendingUser = new Map<string, string>();

  constructor(
    readonly nc: NatsConnection,
    readonly relayId: string,
    readonly history: VoiceHistory | undefined,
    readonly log: FastifyBaseLogger,
  ) {}

  opened(info: SessionInfo): void {
    const event: RealtimeSessionOpened = { ...this.#base(info), openedAt: new Date().toISOString() };
    this.#publish(RealtimeSubjects.sessionOpened, event);
  }

  closed(info: SessionInfo, outcome: Pick<RealtimeSessionClosed, 'durationMs' | 'reason' | 'closeCode' | 'droppedAudioFrames'>): void {
    this.#pendingUser.delete(info.sessionId);
    const event: RealtimeSessionClosed = { ...this.#base(info), ...outcome };
    this.#publish(RealtimeSubjects.sessionClosed, event);
  }

  usage(info: SessionInfo, responseId: string | undefined, usage: { input: number; output: number; total: number }): void {
    const event: RealtimeUsageEvent = {
      ...this.#base(info),
      ...(responseId ? { responseId } : {}),
      inputTokens: usage.input,
      outputTokens: usage.output,
      totalTokens: usage.total,
    };
    this.#publish(RealtimeSubjects.usage, event);
  }

  transcript(info: SessionInfo, role: 'user' | 'assistant', text: string, itemId: string | undefined): void {
    if (!text.trim()) return;
    const event: RealtimeTranscriptEvent = { ...this.#base(info), role, ...(itemId ? { itemId } : {}), pii: { text } };
    this.#publish(RealtimeSubjects.transcript, event);
    if (role === 'user') {
      const joined = [this.#pendingUser.get(info.sessionId), text].filter(Boolean).join(' ');
      this.#pendingUser.set(info.sessionId, joined.slice(-MAX_PENDING_CHARS));
      return;
    }
    const userText = this.#pendingUser.get(info.sessionId) ?? '';
    this.#pendingUser.delete(info.sessionId);
    void this.history?.append(info.conversationId, info.model, { userText, answer: text, status: 'done' });
  }

  #base(info: SessionInfo) {
    return {
      sessionId: info.sessionId,
      relayId: this.relayId,
      model: info.model,
      provider: info.provider,
      conversationId: info.conversationId,
      ...(info.requestId ? { requestId: info.requestId } : {}),
    };
  }

  #publish(subject: string, payload: object): void {
    try {
      this.nc.publish(subject, JSON.stringify(payload));
    } catch (err) {
      this.log.warn({ err, subject }, 'could not publish a realtime event');
    }
  }
}
