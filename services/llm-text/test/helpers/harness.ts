import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import {
  createParser,
  JetStreamNames,
  StopTurnReply,
  Subjects,
  TurnChunk,
  TurnStarted,
  type Attachment,
  type StartTurn,
  type TurnChunk as Chunk,
} from '@voxgate/protocol';
import type { FaultRequest, RequestRecord } from '@voxgate/provider-sim';
import { requestJson } from '@voxgate/service-kit';
import type { Parser } from '@voxgate/protocol';
import type { TSchema, Static } from 'typebox';
import type { ManagedProcess } from '../../../../scripts/lib/processes.js';
import { simulatorEnv, spawnService, startSimulator, waitUntilReady, type RunningSimulator } from '../../../../scripts/lib/stack.js';
import { startNatsServer, type NatsServerHandle } from '../../../../test/helpers/nats-server.js';
import { freePort } from '../../../../test/helpers/ports.js';

const parseChunk = createParser(TurnChunk);
const parseStarted = createParser(TurnStarted);
const parseStop = createParser(StopTurnReply);

/** The simulator's control API, as an outside test uses it. */
export interface SimControl {
  readonly url: string;
  fault(request: FaultRequest): Promise<void>;
  requests(provider?: 'openai' | 'gemini' | 'zhipu'): Promise<RequestRecord[]>;
  reset(): Promise<void>;
}

/**
 * A real nats-server, the provider simulator and llm-text as a process, and a NATS client that
 * drives llm-text exactly as the gateway does: requests on its subjects, chunks from JetStream.
 */
export interface Harness {
  readonly nc: NatsConnection;
  readonly nats: NatsServerHandle;
  readonly sim: SimControl;
  logs(): string[];
  /** Starts llm-text; `extraEnv` applies to this start only. */
  startLlmText(extraEnv?: Record<string, string>): Promise<void>;
  stopLlmText(): Promise<void>;
  request<S extends TSchema>(subject: string, body: unknown, parser: Parser<S>): Promise<Static<S>>;
  /** `Subjects.chatStart` with a fresh turn id unless one is given. */
  start(body: Omit<StartTurn, 'turnId'> & { turnId?: string }): Promise<TurnStarted>;
  stop(turnId: string): Promise<StopTurnReply>;
  /** The turn's chunks from JetStream, up to and including its final one. */
  chunks(turnId: string, options?: { timeoutMs?: number; onChunk?: (chunk: Chunk) => void }): Promise<Chunk[]>;
  /** Stores an attachment the way the gateway does and returns its id. */
  attach(kind: Attachment['kind'], mime: string, data: Buffer): Promise<string>;
  close(): Promise<void>;
}

export function newTurnId(): string {
  return randomBytes(12).toString('base64url');
}

export function textOf(chunks: Chunk[]): string {
  return chunks.flatMap((c) => (c.type === 'delta' ? [c.text] : [])).join('');
}

function simControl(url: string): SimControl {
  const call = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method };
    if (body !== undefined) Object.assign(init, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const response = await fetch(`${url}/_sim${path}`, init);
    if (!response.ok) throw new Error(`${method} /_sim${path} answered ${response.status}`);
    return response.json() as Promise<unknown>;
  };
  return {
    url,
    fault: async (request) => void (await call('POST', '/faults', request)),
    requests: async (provider) => ((await call('GET', `/requests${provider ? `?provider=${provider}` : ''}`)) as { requests: RequestRecord[] }).requests,
    reset: async () => {
      await call('DELETE', '/faults');
      await call('DELETE', '/requests');
    },
  };
}

export interface HarnessOptions {
  /** Extra environment for llm-text. */
  env?: Record<string, string>;
  /** MODELS_FILE contents, given the simulator's URL. */
  modelsFile?: (simulatorUrl: string) => unknown;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const nats = await startNatsServer();
  const lines: string[] = [];
  const onLine = (_name: string, line: string) => {
    lines.push(line);
    if (lines.length > 5_000) lines.shift();
  };
  const env: NodeJS.ProcessEnv = { ...process.env, NATS_URL: nats.url, LOG_LEVEL: 'info' };
  for (const key of ['OPENAI_API_KEY', 'GEMINI_API_KEY', 'ZHIPU_API_KEY', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    delete env[key];
  }
  const simulator: RunningSimulator = await startSimulator({ port: 0, env, onLine });
  Object.assign(env, simulatorEnv(simulator.url), options.env);
  if (options.modelsFile) {
    const path = join(mkdtempSync(join(tmpdir(), 'voxgate-models-')), 'models.json');
    writeFileSync(path, JSON.stringify(options.modelsFile(simulator.url)));
    env.MODELS_FILE = path;
  }
  const port = await freePort();
  let proc: ManagedProcess | undefined;
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });

  const harness: Harness = {
    nc,
    nats,
    sim: simControl(simulator.url),
    logs: () => lines,
    async startLlmText(extraEnv = {}) {
      proc = spawnService('llm-text', { port, env: { ...env, ...extraEnv }, onLine });
      if (!(await waitUntilReady(`http://127.0.0.1:${port}/readyz`, 20_000))) {
        throw new Error(`llm-text did not become ready:\n${lines.slice(-5).join('\n')}`);
      }
    },
    async stopLlmText() {
      await proc?.stop();
      proc = undefined;
    },
    request: (subject, body, parser) => requestJson(nc, subject, body, { response: parser, timeoutMs: 5_000 }),
    start: (body) => harness.request(Subjects.chatStart, { turnId: newTurnId(), ...body }, parseStarted),
    stop: (turnId) => harness.request(Subjects.chatStop(turnId), {}, parseStop),
    async chunks(turnId, { timeoutMs = 20_000, onChunk } = {}) {
      const consumer = await nc.jetstream().consumers.get(JetStreamNames.turnsStream, { filterSubjects: Subjects.turn(turnId) });
      const messages = await consumer.consume();
      const timer = setTimeout(() => messages.stop(), timeoutMs);
      const chunks: Chunk[] = [];
      try {
        for await (const msg of messages) {
          const parsed = parseChunk.parse(msg.json());
          if (!parsed.ok) throw new Error(`off-schema chunk: ${parsed.error}`);
          chunks.push(parsed.value);
          onChunk?.(parsed.value);
          if (parsed.value.type === 'done' || parsed.value.type === 'error') break;
        }
      } finally {
        clearTimeout(timer);
      }
      return chunks;
    },
    async attach(kind, mime, data) {
      const id = newTurnId();
      const os = await nc.jetstream().views.os(JetStreamNames.attachmentsBucket);
      const record: Attachment = { id, kind, mime, bytes: data.length };
      await os.putBlob({ name: id, description: JSON.stringify(record) }, data);
      return id;
    },
    async close() {
      await harness.stopLlmText();
      await nc.close();
      await simulator.proc.stop();
      await nats.dispose();
    },
  };
  await harness.startLlmText();
  return harness;
}
