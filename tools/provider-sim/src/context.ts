import type { FastifyRequest } from 'fastify';
import { FaultQueue } from './faults.js';
import { CallRegistry } from './openai/webrtc/call-registry.js';
import { ClientSecrets } from './openai/webrtc/client-secrets.js';
import type { RealtimePace } from './realtime/pace.js';
import { RealtimeRegistry } from './realtime/registry.js';
import { RequestLog, type RequestRecord } from './request-log.js';

/** State shared by every route of one simulator instance; nothing lives in module globals. */
export interface SimContext {
  readonly faults: FaultQueue;
  readonly requests: RequestLog;
  /** Pause before each streamed token when no fault says otherwise; 0 streams as fast as possible. */
  readonly tokenDelayMs: number;
  /** Aborted when the simulator closes, so stalls and streams end instead of holding it open. */
  readonly closing: AbortSignal;
  /** Open realtime sockets and recently closed sessions. */
  readonly realtime: RealtimeRegistry;
  /** OpenAI WebRTC calls, live and recently ended. */
  readonly webrtc: CallRegistry;
  /** Ephemeral keys minted by `POST /openai/v1/realtime/client_secrets`. */
  readonly clientSecrets: ClientSecrets;
  /** How realtime answers pace their audio. */
  readonly realtimePace: RealtimePace;
  /** Interval of GLM-Realtime's `heartbeat` events (30 s on the real service). */
  readonly zhipuHeartbeatMs: number;
  /** The log record of a provider request, opened when it arrived. */
  recordOf(request: FastifyRequest): RequestRecord | undefined;
  attachRecord(request: FastifyRequest, record: RequestRecord): void;
  /** A short unique id with the provider's usual prefix (`chatcmpl-…`). */
  nextId(prefix: string): string;
}

export interface ContextOptions {
  tokenDelayMs: number;
  requestLogLimit: number;
  closing: AbortSignal;
  realtimePace: RealtimePace;
  zhipuHeartbeatMs: number;
}

export function createContext(options: ContextOptions): SimContext {
  const records = new WeakMap<FastifyRequest, RequestRecord>();
  let counter = 0;
  return {
    faults: new FaultQueue(),
    requests: new RequestLog(options.requestLogLimit),
    tokenDelayMs: options.tokenDelayMs,
    closing: options.closing,
    realtime: new RealtimeRegistry(),
    webrtc: new CallRegistry(),
    clientSecrets: new ClientSecrets(),
    realtimePace: options.realtimePace,
    zhipuHeartbeatMs: options.zhipuHeartbeatMs,
    recordOf: (request) => records.get(request),
    attachRecord: (request, record) => {
      records.set(request, record);
    },
    nextId: (prefix) => `${prefix}${(++counter).toString(36).padStart(8, '0')}sim`,
  };
}
