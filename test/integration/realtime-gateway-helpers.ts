import type { IncomingMessage } from 'node:http';
import { connect, type NatsConnection } from 'nats';
import { WebSocket, type ClientOptions } from 'ws';
import { listLiveRelays, openRelayRegistry } from '@voxgate/service-kit';
import type { RelayEntry } from '@voxgate/protocol';

/** One GA server event, as much of it as the tests read. */
export interface GaEvent {
  type: string;
  [key: string]: unknown;
}

/** What an upgrade attempt got: 101 and an open socket, or the HTTP refusal and its JSON body. */
export type UpgradeOutcome =
  | { status: 101; ws: WebSocket }
  | { status: number; body: { error?: { code?: string; message?: string; type?: string } } };

/**
 * Tries an upgrade and reports the answer; an open socket is left to the caller. `onSocket` sees
 * the socket at once: frames that arrive with the 101 are emitted before an awaiting caller resumes.
 */
export function tryUpgrade(url: string, options: ClientOptions = {}, onSocket?: (ws: WebSocket) => void): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    onSocket?.(ws);
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        let body = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          // not JSON: the status says enough
        }
        resolve({ status: response.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
}

/** A realtime client that records every event, with waits on event types. */
export class RealtimeClient {
  readonly events: GaEvent[] = [];
  readonly closed: Promise<number>;
  /** The close code, once closed. */
  closeCode: number | undefined;
  #waiters: { type: string; resolve: (e: GaEvent) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const event = JSON.parse(data.toString()) as GaEvent;
      this.events.push(event);
      const [due, waiting] = [this.#waiters.filter((w) => w.type === event.type), this.#waiters.filter((w) => w.type !== event.type)];
      this.#waiters = waiting;
      for (const w of due) w.resolve(event);
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  /** Opens `url` and waits for `session.created`, which the simulator sends first. */
  static async open(url: string, options: ClientOptions = {}): Promise<RealtimeClient> {
    let client: RealtimeClient | undefined;
    const outcome = await tryUpgrade(url, options, (ws) => {
      client = new RealtimeClient(ws);
    });
    if (!('ws' in outcome) || !client) throw new Error(`upgrade refused: ${outcome.status} ${JSON.stringify('body' in outcome ? outcome.body : {})}`);
    await client.next('session.created');
    return client;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  /** The first event of `type` (already received or to come) within `timeoutMs`. */
  next(type: string, timeoutMs = 10_000): Promise<GaEvent> {
    const seen = this.events.find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms; got ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.#waiters.push({
        type,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** A text turn and a spoken answer: what every realtime provider must give back. */
  async askForAudio(text: string): Promise<GaEvent> {
    this.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.send({ type: 'response.create' });
    return this.next('response.output_audio.delta');
  }

  close(): void {
    this.ws.close(1000);
  }
}

/** The relay registry, read the way the gateway reads it (and raw, to see what NATS still holds). */
export async function registryReader(natsUrl: string): Promise<{
  nc: NatsConnection;
  live(): Promise<RelayEntry[]>;
  stored(id: string): Promise<boolean>;
}> {
  const nc = await connect({ servers: natsUrl });
  const kv = await openRelayRegistry(nc);
  return {
    nc,
    live: () => listLiveRelays(nc, { kv }),
    stored: async (id) => (await kv.get(id))?.operation === 'PUT',
  };
}

/** The `msg`-matching JSON lines of a process's log. */
export function logRecords(lines: string[], msg: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record.msg === msg) records.push(record);
    } catch {
      // not a JSON line
    }
  }
  return records;
}
