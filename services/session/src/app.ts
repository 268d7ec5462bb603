import type { FastifyInstance } from 'fastify';
import {
  ClientSecretRequest,
  createParser,
  CreateCall,
  HangupCall,
  Subjects,
  WebrtcSubjects,
  type ClientSecretResponse,
  type RealtimeCallAnswer,
  type RealtimeHangupAnswer,
} from '@voxgate/protocol';
import { addJsonEndpoint, ensureJetStream, serveCatalogue, useProxyForFetch, VoiceHistory, type ServiceContext } from '@voxgate/service-kit';
import { Calls } from './calls.js';
import { CallsRegistry } from './calls-registry.js';
import { webrtcCatalogue } from './catalogue.js';
import { mintClientSecret } from './client-secrets.js';
import type { SessionConfig } from './config.js';
import type { OpenAiTarget } from './openai-calls.js';

const createParserOf = createParser(CreateCall);
const hangupParser = createParser(HangupCall);
const clientSecretParser = createParser(ClientSecretRequest);

export interface SessionOptions {
  config: SessionConfig;
  context: ServiceContext;
}

/** The session service as a Fastify plugin: health and metrics over HTTP, its work over NATS. */
export async function sessionApp(app: FastifyInstance, { config, context }: SessionOptions): Promise<void> {
  if (useProxyForFetch(config)) {
    app.log.info({ httpProxy: Boolean(config.HTTP_PROXY), httpsProxy: Boolean(config.HTTPS_PROXY) }, 'provider requests go through the proxy');
  }
  const catalogue = webrtcCatalogue(config);
  serveCatalogue(context.service, app.log, Subjects.catalogue.session, catalogue);

  const nc = context.nats.nc;
  // The history stream and the conversations bucket; idempotent, whichever service comes up first.
  await ensureJetStream(nc);
  const history = await VoiceHistory.open(nc, app.log, 'rtc');
  const openai: OpenAiTarget = {
    baseUrl: config.OPENAI_BASE_URL,
    apiKey: config.OPENAI_API_KEY ?? '',
    timeoutMs: config.OPENAI_REQUEST_TIMEOUT_MS,
  };
  const calls = new Calls({
    openai,
    sideband: { url: config.OPENAI_REALTIME_URL, apiKey: openai.apiKey, proxy: config, connectTimeoutMs: config.OPENAI_REQUEST_TIMEOUT_MS },
    registry: new CallsRegistry(config.MAX_LIVE_CALLS, config.CALL_MAX_AGE_MS),
    history,
    models: catalogue.map((m) => m.id),
    log: app.log,
  });
  app.addHook('onClose', async () => calls.stopAll());

  addJsonEndpoint(context.service, app.log, {
    name: 'calls-create',
    subject: WebrtcSubjects.createCall,
    request: createParserOf,
    handler: async (request, { log }): Promise<RealtimeCallAnswer> => calls.create(request, log),
  });
  addJsonEndpoint(context.service, app.log, {
    name: 'calls-hangup',
    subject: WebrtcSubjects.hangup,
    request: hangupParser,
    handler: async ({ callId }, { log }): Promise<RealtimeHangupAnswer> => {
      await calls.hangup(callId, log);
      return { hungUp: true };
    },
  });
  addJsonEndpoint(context.service, app.log, {
    name: 'client-secrets',
    subject: WebrtcSubjects.clientSecrets,
    request: clientSecretParser,
    handler: async (request, { log }): Promise<ClientSecretResponse> => {
      const secret = await mintClientSecret(openai, request, { maxTtlS: config.CLIENT_SECRET_MAX_TTL_S, models: catalogue.map((m) => m.id) });
      // The value is the answer's purpose, so it goes back to the caller, but never into a log.
      log.info({ model: request.session.model, expiresAt: secret.expires_at }, 'client secret issued');
      return secret;
    },
  });
}
