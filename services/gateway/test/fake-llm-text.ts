import { connect, JSONCodec, type NatsConnection, type Subscription } from 'nats';
import { Type } from 'typebox';
import {
  ConversationRef,
  ConversationRename,
  createParser,
  ServiceName,
  StartTurn,
  Subjects,
  type Conversation,
  type ModelEntry,
  type TurnChunk,
} from '@voxgate/protocol';
import { addJsonEndpoint, createLogger, ensureJetStream, registerService, ServiceError } from '@voxgate/service-kit';

const json = JSONCodec();

/** The answer the fake gives, token by token: deterministic so tests can compare texts. */
export const fakeAnswer = (userText: string): string[] => `Fake answer to "${userText}" with several tokens to stream`.split(/(?= )/);

/** Models the fake offers: `fake-fast` answers at once, `fake-slow` waits 40 ms per token, `fake-fail` fails mid-answer. */
export const FAKE_MODELS: ModelEntry[] = ['fake-fast', 'fake-slow', 'fake-fail'].map((id) => ({
  id,
  label: id,
  provider: 'openai',
  kind: 'text',
  input: ['text', 'image', 'audio'],
  transports: ['http'],
  simulated: true,
}));

export interface FakeLlmText {
  readonly starts: StartTurn[];
  close(): Promise<void>;
}

/**
 * A stand-in for llm-text's side of the chat contract (`chat-nats.ts`): it accepts `StartTurn`,
 * publishes numbered chunks to JetStream, answers stop and the conversation endpoints. It lets the
 * gateway's delivery be tested on its own, with a real NATS, while llm-text is built.
 */
export async function startFakeLlmText(natsUrl: string): Promise<FakeLlmText> {
  const nc: NatsConnection = await connect({ servers: natsUrl, name: 'fake-llm-text' });
  await ensureJetStream(nc);
  const js = nc.jetstream();
  const log = createLogger('fake-llm-text', 'silent');
  const service = await registerService(nc, { name: ServiceName.llmText, version: '0.0.0', description: 'fake' });
  const starts: StartTurn[] = [];
  const stops: Subscription[] = [];
  const conversations = new Map<string, Conversation>();

  const publish = (turnId: string, chunk: TurnChunk) => js.publish(Subjects.turn(turnId), json.encode(chunk));

  async function run(start: StartTurn): Promise<void> {
    const first = start.messages.at(-1)?.content[0];
    const userText = first?.type === 'text' ? first.text : `[${first?.type ?? 'nothing'}]`;
    const tokens = fakeAnswer(userText);
    let stopped = false;
    const stop = nc.subscribe(Subjects.chatStop(start.turnId), {
      callback: (_err, msg) => {
        stopped = true;
        msg.respond(json.encode({ stopped: true }));
      },
    });
    stops.push(stop);
    let seq = 1;
    const next = () => ++seq;
    for (const [i, token] of tokens.entries()) {
      if (stopped) break;
      if (start.model === 'fake-slow') await new Promise((r) => setTimeout(r, 40));
      if (start.model === 'fake-fail' && i === 3) {
        await publish(start.turnId, { seq: next(), type: 'error', code: 'upstream_unavailable', message: 'The simulated provider hung up.', retryable: true });
        stop.unsubscribe();
        return;
      }
      await publish(start.turnId, { seq: next(), type: 'delta', text: token });
    }
    stop.unsubscribe();
    await publish(start.turnId, {
      seq: next(),
      type: 'done',
      finishReason: stopped ? 'stopped' : 'stop',
      usage: { inputTokens: 3, outputTokens: tokens.length },
    });
  }

  addJsonEndpoint(service, log, {
    name: 'chat-start',
    subject: Subjects.chatStart,
    request: createParser(StartTurn),
    handler: async (start) => {
      if (!FAKE_MODELS.some((m) => m.id === start.model)) throw new ServiceError('unknown_model', 404, `No model ${start.model}.`);
      starts.push(start);
      const conversationId = start.conversationId ?? `conv_${start.turnId}`;
      const now = new Date().toISOString();
      if (start.mode === 'conversation' && !conversations.has(conversationId)) {
        conversations.set(conversationId, { id: conversationId, title: 'New chat', model: start.model, createdAt: now, updatedAt: now, turns: [] });
      }
      // The contract: `start` is stored before the reply; the rest comes whenever it comes.
      await js.publish(Subjects.turn(start.turnId), json.encode({ seq: 1, type: 'start', model: start.model, conversationId } satisfies TurnChunk));
      setTimeout(() => void run(start), 5);
      return { turnId: start.turnId, conversationId };
    },
  });
  addJsonEndpoint(service, log, {
    name: 'models',
    subject: Subjects.catalogue[ServiceName.llmText],
    request: createParser(Type.Object({})),
    handler: async () => ({ models: FAKE_MODELS }),
  });
  const summary = (c: Conversation) => ({ id: c.id, title: c.title, model: c.model, createdAt: c.createdAt, updatedAt: c.updatedAt });
  const find = (id: string) => {
    const c = conversations.get(id);
    if (!c) throw new ServiceError('conversation_not_found', 404, 'No conversation with this id.');
    return c;
  };
  addJsonEndpoint(service, log, {
    name: 'conversations-list',
    subject: Subjects.conversations.list,
    request: createParser(Type.Object({})),
    handler: async () => ({ conversations: [...conversations.values()].map(summary) }),
  });
  addJsonEndpoint(service, log, { name: 'conversations-get', subject: Subjects.conversations.get, request: createParser(ConversationRef), handler: async ({ id }) => find(id) });
  addJsonEndpoint(service, log, {
    name: 'conversations-rename',
    subject: Subjects.conversations.rename,
    request: createParser(ConversationRename),
    handler: async ({ id, title }) => {
      const c = find(id);
      c.title = title;
      return summary(c);
    },
  });
  addJsonEndpoint(service, log, {
    name: 'conversations-delete',
    subject: Subjects.conversations.delete,
    request: createParser(ConversationRef),
    handler: async ({ id }) => {
      find(id);
      conversations.delete(id);
      return { deleted: true };
    },
  });

  return {
    starts,
    async close() {
      for (const s of stops) s.unsubscribe();
      await service.stop().catch(() => {});
      await nc.drain();
    },
  };
}
