import type { Scenario } from '../lib/scenario.js';
import { httpBaseline } from './http-baseline.js';
import { natsRequest } from './nats-request.js';

/**
 * Every scenario `npm run bench` knows, in the order a full run takes them. A new scenario is one
 * file in this folder exporting a `Scenario`, plus one line here.
 */
export const scenarios: readonly Scenario[] = [httpBaseline, natsRequest];
