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
/** Title length of a call's conversation, taken from the first words as the text chat does. */
const TITLE_CHARS = 60;

/** One exchange of a call, as the sideband saw it. */
export interface CallExchange {
  /** What the user said since the model last answered (empty when transcription is off). */
  userText: string;
  answer: string;
  /** `stopped`: the user interrupted the answer; `failed`: OpenAI reported the response failed. */
  status: ConversationTurn['status'];
  usage?: Usage | undefined;
}

/**
 * Writes a call into the same history as text chat and WebSocket voice (llm-text's `HistoryStore`
 * layout): each exchange a `ConversationTurn` on `Subjects.history(id)` in the history stream, and
 * a `ConversationSummary` in the conversations bucket, so the sidebar lists the call.
 */
export class CallHistory {
  constructor(
    readonly js: JetStreamClient,
    readonly kv: KV,
    readonly log: FastifyBaseLogger,
  ) {}

  static async open(nc: NatsConnection, log: FastifyBaseLogger): Promise<CallHistory> {
    const js = nc.jetstream();
    return new CallHistory(js, await js.views.kv(JetStreamNames.conversationsBucket), log);
  }

  /** Appends one exchange and updates the summary; a failure is logged, never thrown (the call goes on). */
  async append(conversationId: string, model: string, exchange: CallExchange): Promise<void> {
    const now = new Date().toISOString();
    const userText = exchange.userText.slice(0, ChatLimits.textChars);
    const turn: ConversationTurn = {
      turnId: `rtc_${randomUUID().replaceAll('-', '')}`,
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
      this.log.error({ err, conversationId }, 'storing a call exchange failed');
    }
  }
}

function title(userText: string, answer: string): string {
  const words = (userText.trim() || answer.trim()).replace(/\s+/g, ' ');
  if (!words) return 'Voice call';
  return words.length > TITLE_CHARS ? `${words.slice(0, TITLE_CHARS - 1)}…` : words;
}
