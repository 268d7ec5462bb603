import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CreateCall, RealtimeCallAnswer } from '@voxgate/protocol';
import { CallRecorder } from './call-recorder.js';
import type { CallsRegistry } from './calls-registry.js';
import { errors } from './errors.js';
import type { VoiceExchange, VoiceHistory } from '@voxgate/service-kit';
import { checkOffer } from './offer.js';
import { createCall, hangupCall, type OpenAiTarget } from './openai-calls.js';
import { sessionConfig } from './session-config.js';
import { followSideband, type SidebandTarget } from './sideband.js';

/**
 * How long the sideband is still read after a hang-up: OpenAI closes it when the call ends, and
 * the answer that was being spoken brings its transcript and usage in the meantime.
 */
const SIDEBAND_LINGER_MS = 3_000;

export interface CallsDeps {
  openai: OpenAiTarget;
  sideband: SidebandTarget;
  registry: CallsRegistry;
  /** Undefined when the history cannot be opened; calls then work but are not recorded. */
  history: VoiceHistory | undefined;
  /** The model ids this service sets calls up for (its catalogue). */
  models: readonly string[];
  log: FastifyBaseLogger;
}

/** The same id shape as the gateway's conversation ids (16 random bytes, base64url). */
const newConversationId = () => randomBytes(16).toString('base64url');

/**
 * The WebRTC calls of this replica: set up with the server key, followed over the sideband into
 * the conversation history, and hung up on request.
 */
export class Calls {
  constructor(readonly deps: CallsDeps) {}

  async create(request: CreateCall, log: FastifyBaseLogger): Promise<RealtimeCallAnswer> {
    const { registry, models } = this.deps;
    if (!models.includes(request.model)) {
      throw errors.not_webrtc_model({ message: `'${request.model}' cannot be called over WebRTC; only ${models.join(', ') || 'OpenAI realtime models (OPENAI_API_KEY is not set)'} can.` });
    }
    checkOffer(request.sdp);
    registry.ensureRoom();
    const conversationId = request.conversationId ?? newConversationId();
    const { sdp, callId } = await createCall(this.deps.openai, request.sdp, sessionConfig(request));
    registry.add({ callId, model: request.model, conversationId, startedAtMs: Date.now() });
    this.#follow(callId, request.model, conversationId);
    log.info(
      { callId, model: request.model, conversationId, turnDetection: request.turnDetection, transcription: request.transcription === true },
      'call set up',
    );
    return { sdp, callId, conversationId };
  }

  /** Hangs the call up at OpenAI; a call neither this replica nor OpenAI knows is `call_not_found`. */
  async hangup(callId: string, log: FastifyBaseLogger): Promise<void> {
    // Another replica may have set the call up, so OpenAI is asked whatever this one knows.
    const known = await hangupCall(this.deps.openai, callId);
    const call = this.deps.registry.remove(callId);
    if (call === undefined && !known) throw errors.call_not_found();
    if (call?.stopFollowing) setTimeout(call.stopFollowing, SIDEBAND_LINGER_MS).unref();
    log.info({ callId, durationMs: call ? Date.now() - call.startedAtMs : undefined }, 'call hung up');
  }

  /** Stops following every call (shutdown); the calls themselves go on between browser and OpenAI. */
  stopAll(): void {
    for (const call of this.deps.registry.all()) this.deps.registry.remove(call.callId)?.stopFollowing?.();
  }

  #follow(callId: string, model: string, conversationId: string): void {
    const { history, registry, log } = this.deps;
    // Exchanges are written one after another, so a call's turns keep their order.
    let written = Promise.resolve();
    const record = (exchange: VoiceExchange) => {
      log.info({ callId, conversationId, status: exchange.status, usage: exchange.usage }, 'call exchange recorded');
      log.debug({ callId, pii: { userText: exchange.userText, answer: exchange.answer } }, 'call exchange text');
      if (history) written = written.then(() => history.append(conversationId, model, exchange));
    };
    const recorder = new CallRecorder(record);
    const stop = followSideband(
      this.deps.sideband,
      callId,
      {
        onEvent: (event) => recorder.handle(event),
        // A sideband that ran and ended means the call ended; one that never opened says nothing of the call.
        onClose: (wasOpen) => {
          if (wasOpen) registry.remove(callId);
        },
      },
      log,
    );
    const call = registry.get(callId);
    if (call) call.stopFollowing = stop;
  }
}
