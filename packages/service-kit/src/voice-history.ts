import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { JetStreamClient, KV, NatsConnection } from 'nats';
import {
  ChatLimits,
  ConversationSummary,
  createParser,
  JetStreamNames,
  Subjects,
  type ConversationTurn,
  type Usage,
} from '@voxgate/protocol';

const parseSummary = createParser(ConversationSummary);
/** Title length of a voice conversation, taken from the first words as the text chat does. */
const TITLE_CHARS = 60;

/** One exchange of a voice conversation: what the user said since the last answer, and the answer. */
export interface VoiceExchange {
  /** Empty when transcription of the user's side is off. */
  userText: string;
  answer: string;
  /** `stopped`: the user interrupted the answer; `failed`: the provider reported the response failed. */
  status: ConversationTurn['status'];
  usage?: Usage | undefined;
}

/**
 * Writes live voice conversations (relay sessions, WebRTC calls) into the same history as text
 * chat, in llm-text's layout: each exchange a `ConversationTurn` on `Subjects.history(id)` in the
 * history stream, and a `ConversationSummary` in the conversations bucket, so the sidebar lists it.
 */
export class VoiceHistory {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly kv: KV,
    private readonly log: FastifyBaseLogger,
    /** Prefix of the turn ids, telling where an exchange came from (`rt` relay, `rtc` WebRTC). */
    private readonly turnIdPrefix: string,
  ) {}

  static async open(nc: NatsConnection, log: FastifyBaseLogger, turnIdPrefix: string): Promise<VoiceHistory> {
    const js = nc.jetstream();
    return new VoiceHistory(js, await js.views.kv(JetStreamNames.conversationsBucket), log, turnIdPrefix);
  }

  /** Appends one exchange and updates the summary; a failure is logged, never thrown (the voice goes on). */
  async append(conversationId: string, model: string, exchange: VoiceExchange): Promise<void> {
    const now = new Date().toISOString();
    const userText = exchange.userText.slice(0, ChatLimits.textChars);
    const turn: ConversationTurn = {
      turnId: `${this.turnIdPrefix}_${randomUUID().replaceAll('-', '')}`,
      model,
      user: { role: 'user', content: [{ type: 'text', text: userText }] },
      transcript: userText,
      answer: exchange.answer,
      status: exchange.status,
      ...(exchange.usage === undefined ? {} : { usage: exchange.usage }),
      createdAt: now,
    };
    try {
      await this.js.publish(Subjects.history(conversationId), JSON.stringify(turn), { msgID: `history:${turn.turnId}` });
      const stored = await this.kv.get(conversationId);
      const parsed = stored !== null && stored.operation === 'PUT' ? parseSummary.parse(stored.json()) : undefined;
      const summary: ConversationSummary = parsed?.ok
        ? { ...parsed.value, model, updatedAt: now }
        : { id: conversationId, title: title(userText, exchange.answer), model, createdAt: now, updatedAt: now };
      await this.kv.put(conversationId, JSON.stringify(summary));
    } catch (err) {
      this.log.error({ err, conversationId }, 'storing a voice exchange failed');
    }
  }
}

function title(userText: string, answer: string): string {
  const words = (userText.trim() || answer.trim()).replace(/\s+/g, ' ');
  if (!words) return 'Voice conversation';
  return words.length > TITLE_CHARS ? `${words.slice(0, TITLE_CHARS - 1)}…` : words;
}
