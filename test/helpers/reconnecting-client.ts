import { RealtimeClient } from '../integration/realtime-gateway-helpers.js';

/** The page's reconnect wait before attempt n (web/src/realtime/call.ts): 0.5, 1, 2, 4, 8 s, ±15 %. */
function pageBackoffMs(attempt: number): number {
  const base = Math.min(8_000, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.85 + Math.random() * 0.3));
}
const MAX_ATTEMPTS = 6;

/** A line of the conversation as the page keeps it, to re-seed a new session with. */
export interface SpokenLine {
  role: 'user' | 'assistant';
  text: string;
}

/**
 * A realtime client that behaves as the page does when its socket drops: it waits the page's
 * backoff, opens a new session, configures it and re-seeds it with the conversation so far as GA
 * `conversation.item.create` items. It records when the drop was noticed and when the new session
 * had taken every seeded item (`conversation.item.added` for each).
 */
export class ReconnectingClient {
  client: RealtimeClient;
  readonly lines: SpokenLine[] = [];
  /** Close codes of the sockets that dropped. */
  readonly drops: number[] = [];
  droppedAtMs: number | undefined;
  reseededAtMs: number | undefined;
  attempts = 0;
  failure: string | undefined;
  #stopped = false;

  private constructor(
    readonly url: string,
    client: RealtimeClient,
  ) {
    this.client = client;
    this.#watch(client);
  }

  static async open(url: string): Promise<ReconnectingClient> {
    return new ReconnectingClient(url, await RealtimeClient.open(url));
  }

  /** Says something and keeps it as a line of the conversation (the item is acknowledged by the provider). */
  async say(text: string): Promise<void> {
    const from = this.client.events.length;
    this.client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    await waitForEvents(this.client, 'conversation.item.added', from, 1);
    this.lines.push({ role: 'user', text });
  }

  /** Keeps a model answer as a line, as the page does from the answer's transcript. */
  heard(text: string): void {
    this.lines.push({ role: 'assistant', text });
  }

  get reseeded(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = setInterval(() => {
        if (this.reseededAtMs !== undefined) resolve();
        else if (this.failure !== undefined) reject(new Error(this.failure));
        else return;
        clearInterval(check);
      }, 20);
    });
  }

  stop(): void {
    this.#stopped = true;
    this.client.ws.terminate();
  }

  #watch(client: RealtimeClient): void {
    void client.closed.then((code) => {
      if (this.#stopped || client !== this.client) return;
      this.drops.push(code);
      this.droppedAtMs ??= Date.now();
      this.reseededAtMs = undefined;
      void this.#reconnect();
    });
  }

  async #reconnect(): Promise<void> {
    for (;;) {
      this.attempts++;
      if (this.attempts > MAX_ATTEMPTS) {
        this.failure = `gave up after ${MAX_ATTEMPTS} attempts`;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, pageBackoffMs(this.attempts)));
      if (this.#stopped) return;
      try {
        const client = await RealtimeClient.open(this.url);
        this.client = client;
        this.#watch(client);
        const from = client.events.length;
        client.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'] } });
        for (const line of this.lines) {
          const content = [line.role === 'user' ? { type: 'input_text', text: line.text } : { type: 'output_text', text: line.text }];
          client.send({ type: 'conversation.item.create', item: { type: 'message', role: line.role, content } });
        }
        await waitForEvents(client, 'conversation.item.added', from, this.lines.length);
        this.reseededAtMs = Date.now();
        this.attempts = 0;
        return;
      } catch {
        // Refused or dropped again: the next attempt waits longer, as the page's does.
      }
    }
  }
}

/** Resolves once `count` events of `type` arrived after the first `from` events. */
export function waitForEvents(client: RealtimeClient, type: string, from: number, count: number, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = setInterval(() => {
      const seen = client.events.slice(from).filter((e) => e.type === type).length;
      if (seen >= count) resolve();
      else if (Date.now() > deadline || !client.open) reject(new Error(`${seen} of ${count} ${type} events`));
      else return;
      clearInterval(check);
    }, 10);
  });
}
