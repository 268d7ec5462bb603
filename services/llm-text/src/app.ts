import type { FastifyInstance } from 'fastify';
import { createParser, StartTurn, Subjects } from '@voxgate/protocol';
import { addJsonEndpoint, ensureJetStream, serveCatalogue, useProxyForFetch, type ServiceContext } from '@voxgate/service-kit';
import { AckedPublish } from './acked-publish.js';
import { AttachmentStore } from './attachments.js';
import { textCatalogue } from './catalogue.js';
import { startTurn } from './chat-start.js';
import type { LlmTextConfig } from './config.js';
import { serveConversations } from './conversations.js';
import { HistoryStore } from './history.js';
import type { ModelsFile } from './models-file.js';
import { buildProviders } from './providers/registry.js';
import { Secrets } from './secrets.js';
import { serveStop } from './stop.js';
import { TurnLedger } from './turn-ledger.js';
import { TurnRunner } from './turns.js';

export interface LlmTextOptions {
  config: LlmTextConfig;
  modelsFile: ModelsFile;
  /** Each compatible server's key, read at start-up from the variable MODELS_FILE names. */
  serverKeys: Record<string, string | undefined>;
  context: ServiceContext;
}

const StartTurnRequest = createParser(StartTurn);

/** llm-text as a Fastify plugin: its HTTP side is health and metrics; its work arrives over NATS. */
export async function llmTextApp(app: FastifyInstance, { config, modelsFile, serverKeys, context }: LlmTextOptions): Promise<void> {
  const { nc } = context.nats;
  if (useProxyForFetch(config)) app.log.info({ httpProxy: Boolean(config.HTTP_PROXY), httpsProxy: Boolean(config.HTTPS_PROXY) }, 'provider requests go through the proxy');
  await ensureJetStream(nc);
  const acked = new AckedPublish(nc);
  const history = await HistoryStore.open(nc, acked);
  const attachments = await AttachmentStore.open(nc);
  const catalogue = textCatalogue(config, modelsFile);
  const providers = buildProviders(config, modelsFile, catalogue, serverKeys);
  const ledger = await TurnLedger.open(nc, context.service.info().id, app.log);
  const runner = new TurnRunner({
    js: acked,
    history,
    attachments,
    transcriber: providers.transcriber,
    secrets: new Secrets([config.OPENAI_API_KEY, config.GEMINI_API_KEY, config.ZHIPU_API_KEY, ...Object.values(serverKeys)]),
    policy: {
      attemptTimeoutMs: config.UPSTREAM_ATTEMPT_TIMEOUT_MS,
      idleTimeoutMs: config.UPSTREAM_IDLE_TIMEOUT_MS,
      deadlineMs: config.UPSTREAM_DEADLINE_MS,
      maxRetries: config.UPSTREAM_MAX_RETRIES,
      retryBaseMs: config.UPSTREAM_RETRY_BASE_MS,
    },
    log: app.log,
    ledger,
  });

  serveCatalogue(context.service, app.log, Subjects.catalogue['llm-text'], catalogue);
  const deps = { providers, history, attachments, runner, defaultMaxOutputTokens: config.MAX_OUTPUT_TOKENS };
  addJsonEndpoint(context.service, app.log, {
    name: 'chat-start',
    subject: Subjects.chatStart,
    request: StartTurnRequest,
    handler: (request, { log }) => startTurn(request, deps, log),
  });
  serveConversations(context.service, app.log, history, attachments);
  const stopSubscription = serveStop(nc, runner, app.log);
  ledger.start();
  // First the endpoints leave their queue groups, so that a turn asked now starts on another
  // instance instead of here, where the grace would cut it. Running turns get the grace period to
  // finish; those still running then end as stopped (with their partial text), before NATS drains.
  app.addHook('preClose', async () => {
    await context.service.stop().catch((error: unknown) => app.log.warn({ err: error }, 'the NATS endpoints did not stop cleanly'));
    ledger.stop();
    stopSubscription.unsubscribe();
    await runner.drain(config.SHUTDOWN_GRACE_MS);
    acked.close();
  });
}
