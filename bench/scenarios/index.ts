import type { Scenario } from '../lib/scenario.js';
import { chatConcurrency } from './chat-concurrency.js';
import { chatThroughput } from './chat-throughput.js';
import { chatTtft } from './chat-ttft.js';
import { httpBaseline } from './http-baseline.js';
import { natsRequest } from './nats-request.js';
import { realtimeRelay } from './realtime-relay.js';
import { soakScenario } from './soak.js';
import { webrtcSignalling } from './webrtc-signalling.js';

/**
 * Every scenario `npm run bench` knows, in the order a full run takes them. A new scenario is one
 * file in this folder exporting a `Scenario`, plus one line here.
 */
export const scenarios: readonly Scenario[] = [httpBaseline, natsRequest, chatTtft, chatThroughput, chatConcurrency, realtimeRelay, webrtcSignalling, soakScenario];
