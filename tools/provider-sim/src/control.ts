import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { SimContext } from './context.js';
import { FaultRequest, faultRequestProblem } from './faults.js';
import { PROVIDERS } from './provider.js';
import { REALTIME_PROVIDERS } from './realtime/registry.js';
import { checker } from './validate.js';

const checkFault = checker(FaultRequest);
const checkRequestsQuery = checker(
  Type.Object({ provider: Type.Optional(Type.Enum(PROVIDERS)) }, { additionalProperties: false }),
);

const checkRealtimeQuery = checker(
  Type.Object({ provider: Type.Optional(Type.Enum(REALTIME_PROVIDERS)) }, { additionalProperties: false }),
);

/** The control API's own error shape; it is not a provider, so it speaks like a plain service. */
function badRequest(message: string) {
  return { code: 'SIM_BAD_REQUEST', message };
}

/**
 * The control API tests use, under `/_sim`:
 * - `POST /faults` queues a fault for the next matching requests; `GET` lists; `DELETE` clears;
 * - `GET /requests[?provider=]` shows the last requests received; `DELETE` clears the log;
 * - `GET /realtime[?provider=]` counts open realtime sockets and lists sessions (audio received,
 *   session.update bodies), open ones first; `DELETE` forgets the closed ones;
 * - `GET /webrtc` lists OpenAI WebRTC calls (state, RTP counts, data-channel events); `DELETE` forgets ended ones.
 */
export async function controlApi(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  app.post('/faults', async (request, reply) => {
    const checked = checkFault(request.body);
    if (!checked.ok) return reply.code(400).send(badRequest(`${checked.problem.pointer || 'body'} ${checked.problem.message}`));
    const problem = faultRequestProblem(checked.value);
    if (problem !== undefined) return reply.code(400).send(badRequest(problem));
    return reply.code(201).send({ fault: ctx.faults.add(checked.value) });
  });
  app.get('/faults', async () => ({ faults: ctx.faults.list() }));
  app.delete('/faults', async () => ({ cleared: ctx.faults.clear() }));

  app.get('/requests', async (request, reply) => {
    const checked = checkRequestsQuery(request.query);
    if (!checked.ok) return reply.code(400).send(badRequest(`query ${checked.problem.pointer} ${checked.problem.message}`));
    return { requests: ctx.requests.list(checked.value.provider) };
  });
  app.delete('/requests', async () => {
    ctx.requests.clear();
    return { cleared: true };
  });

  app.get('/realtime', async (request, reply) => {
    const checked = checkRealtimeQuery(request.query);
    if (!checked.ok) return reply.code(400).send(badRequest(`query ${checked.problem.pointer} ${checked.problem.message}`));
    return ctx.realtime.snapshot(checked.value.provider);
  });
  app.delete('/realtime', async () => ({ cleared: ctx.realtime.clearClosed() }));

  app.get('/webrtc', async () => ctx.webrtc.snapshot());
  app.delete('/webrtc', async () => ({ cleared: ctx.webrtc.clearEnded() }));

  // Malformed JSON and the like, in the same shape as the checks above.
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(statusCode).send(statusCode === 500 ? { code: 'SIM_INTERNAL', message: 'Internal Server Error' } : badRequest(error.message));
  });
}
