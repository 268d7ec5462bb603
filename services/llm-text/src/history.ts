import type { JetStreamClient, JetStreamManager, KV, NatsConnection } from 'nats';
import type { AckedPublish } from './acked-publish.js';
import {
  ConversationSummary,
  ConversationTurn,
  createParser,
  JetStreamNames,
  Subjects,
  type Conversation,
} from '@voxgate/protocol';

const parseSummary = createParser(ConversationSummary);
const parseTurn = createParser(ConversationTurn);

/** A stored exchange and its stream sequence (needed to replace it on regenerate). */
export interface StoredTurn {
  turn: ConversationTurn;
  seq: number;
}

/** Most turns one read returns; a conversation longer than this is read up to here. */
const MAX_TURNS = 10_000;
/** How long a read waits for the stream before it returns what it has. */
const READ_EXPIRES_MS = 2_000;

function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { err_code?: number } };
  return e.code === '404' || e.api_error?.err_code === 10037;
}

/**
 * Conversation history in JetStream: each exchange a `ConversationTurn` message on the
 * conversation's own subject of the file-backed history stream, and a `ConversationSummary` per
 * conversation in a KV bucket for the sidebar. Both survive restarts of llm-text and of NATS.
 */
export class HistoryStore {
  constructor(
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly kv: KV,
    /** The writes a turn makes (summary, exchange), cheaper than `kv.put` and `js.publish`. */
    readonly publish: AckedPublish,
  ) {}

  static async open(nc: NatsConnection, publish: AckedPublish): Promise<HistoryStore> {
    const js = nc.jetstream();
    return new HistoryStore(js, await nc.jetstreamManager(), await js.views.kv(JetStreamNames.conversationsBucket), publish);
  }

  async summary(id: string): Promise<ConversationSummary | undefined> {
    const entry = await this.kv.get(id);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const parsed = parseSummary.parse(entry.json());
    return parsed.ok ? parsed.value : undefined;
  }

  async saveSummary(summary: ConversationSummary): Promise<void> {
    // What `kv.put` writes: the value on the bucket's subject for the key.
    await this.publish.publish(`$KV.${JetStreamNames.conversationsBucket}.${summary.id}`, JSON.stringify(summary));
  }

  /** Every conversation, most recently updated first. */
  async list(): Promise<ConversationSummary[]> {
    const ids: string[] = [];
    for await (const key of await this.kv.keys()) ids.push(key);
    const summaries = await Promise.all(ids.map((id) => this.summary(id)));
    return summaries
      .filter((s): s is ConversationSummary => s !== undefined)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  /** The stored exchanges of a conversation, oldest first. */
  async turns(id: string): Promise<StoredTurn[]> {
    const subject = Subjects.history(id);
    let lastSeq: number;
    try {
      lastSeq = (await this.jsm.streams.getMessage(JetStreamNames.historyStream, { last_by_subj: subject })).seq;
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const consumer = await this.js.consumers.get(JetStreamNames.historyStream, { filterSubjects: subject });
    const turns: StoredTurn[] = [];
    for await (const msg of await consumer.fetch({ max_messages: MAX_TURNS, expires: READ_EXPIRES_MS })) {
      const parsed = parseTurn.parse(msg.json());
      if (parsed.ok) turns.push({ turn: parsed.value, seq: msg.seq });
      if (msg.seq >= lastSeq) break;
    }
    return turns;
  }

  async conversation(id: string): Promise<Conversation | undefined> {
    const summary = await this.summary(id);
    if (summary === undefined) return undefined;
    return { ...summary, turns: (await this.turns(id)).map((t) => t.turn) };
  }

  /** Appends an exchange; `replacesSeq` is the stored exchange it replaces (regenerate). */
  async append(conversationId: string, turn: ConversationTurn, replacesSeq?: number): Promise<void> {
    if (replacesSeq !== undefined) {
      await this.jsm.streams.deleteMessage(JetStreamNames.historyStream, replacesSeq, false).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
    await this.publish.publish(Subjects.history(conversationId), JSON.stringify(turn), `history:${turn.turnId}`);
  }

  /** Removes the exchanges and the summary; returns the attachment ids the exchanges referred to. */
  async delete(id: string): Promise<string[]> {
    const turns = await this.turns(id);
    await this.jsm.streams.purge(JetStreamNames.historyStream, { filter: Subjects.history(id) });
    await this.kv.purge(id);
    return turns.flatMap(({ turn }) => turn.user.content.flatMap((p) => (p.type === 'text' ? [] : [p.attachmentId])));
  }
}
