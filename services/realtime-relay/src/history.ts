import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { JetStreamClient, KV, NatsConnection } from 'nats';
import {
  ConversationSummary,
  createParser,
  JetStreamNames,
  Subjects,
  type ConversationTurn,
} from '@voxgate/protocol';

const parseSummary = createParser(ConversationSummary);
/** Title length of a voice conversation, taken from the user's first words as the text chat does. */
const TITLE_CHARS = 60;

/**
 * Writes a voice conversation into the same history as text chat (llm-text's `HistoryStore`
 * layout): each answered utterance a `ConversationTurn` on `Subjects.history(id)` in the history
 * stream, and a `ConversationSummary` in the conversations bucket, so the sidebar lists it.
 */
export class VoiceHistory {
  constructor(
    readonly js: JetStreamClient,
    readonly kv: KV,
    readonly log: FastifyBaseLogger,
  ) {}

  static async open(nc: NatsConnection, log: FastifyBaseLogger): Promise<VoiceHistory> {
    const js = nc.jetstream();
    return new VoiceHistory(js, await js.views.kv(JetStreamNames.conversationsBucket), log);
  }

  /** Appends one exchange (what the user said, what the model answered) and updates the summary. */
  async append(conversationId: string, model: string, userText: string, answer: string): Promise<void> {
    const now = new Date().toISOString();
    const turn: ConversationTurn = {
      turnId: `rt_${randomUUID().replaceAll('-', '')}`,
      model,
      user: { role: 'user', content: [{ type: 'text', text: userText }] },
      transcript: userText,
      answer,
      status: 'done',
      createdAt: now,
    };
    try {
      await this.js.publish(Subjects.history(conversationId), JSON.stringify(turn), { msgID: `history:${turn.turnId}` });
      const stored = await this.kv.get(conversationId);
      const parsed = stored !== null && stored.operation === 'PUT' ? parseSummary.parse(stored.json()) : undefined;
      const summary: ConversationSummary = parsed?.ok
        ? { ...parsed.value, model, updatedAt: now }
        : { id: conversationId, title: title(userText, answer), model, createdAt: now, updatedAt: now };
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
