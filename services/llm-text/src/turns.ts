import type { FastifyBaseLogger } from 'fastify';
import type { ChatMessage, ConversationTurn, GenerationOptions, TurnChunk, Usage } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import type { AckedPublish } from './acked-publish.js';
import type { AttachmentStore } from './attachments.js';
import { ChunkPublisher } from './chunk-publisher.js';
import type { HistoryStore } from './history.js';
import type { ModelRoute } from './providers/registry.js';
import type { FinishReason, Transcriber } from './providers/types.js';
import type { RetryPolicy } from './retries.js';
import type { Secrets } from './secrets.js';
import { streamAnswer } from './stream-answer.js';
import { TurnAbort } from './turn-abort.js';
import { buildInput, type ContextMessage } from './turn-input.js';
import type { TurnLedger } from './turn-ledger.js';
import { UpstreamFailure } from './upstream-failure.js';

/** A turn accepted by the chat endpoint, ready to run. */
export interface TurnJob {
  turnId: string;
  conversationId: string;
  route: ModelRoute;
  /** Everything the model reads, oldest first; the last entry is the message being answered. */
  context: ContextMessage[];
  /** Unset: the provider's own limit. */
  maxOutputTokens?: number | undefined;
  temperature?: number | undefined;
  options?: GenerationOptions | undefined;
  /** Conversation mode: the exchange to store when the turn ends. */
  store?: { user: ChatMessage; transcript?: string | undefined; replacesSeq?: number | undefined } | undefined;
}

export interface TurnRunnerOptions {
  /** Where the turns' chunks are published. */
  js: AckedPublish;
  history: HistoryStore;
  attachments: AttachmentStore;
  transcriber: Transcriber | undefined;
  secrets: Secrets;
  policy: RetryPolicy & { idleTimeoutMs: number; deadlineMs: number };
  log: FastifyBaseLogger;
  /** Lists running turns so that another instance can end them if this one dies. */
  ledger?: TurnLedger;
}

/** At shutdown, how much longer a turn's unstored chunks are sent again. */
const SHUTDOWN_RESEND_MS = 2_000;

type Final = Extract<TurnChunk, { type: 'done' | 'error' }> extends infer C ? (C extends TurnChunk ? Omit<C, 'seq'> : never) : never;

/** Runs turns in the background and knows which are running here, so a stop reaches the right one. */
export class TurnRunner {
  readonly #running = new Map<string, { controller: AbortController; conversationId: string; publisher: ChunkPublisher; ended: Promise<void> }>();
  readonly #options: TurnRunnerOptions;

  constructor(options: TurnRunnerOptions) {
    this.#options = options;
  }

  /** The conversation of a turn running here, or undefined when it is not. */
  conversationOf(turnId: string): string | undefined {
    return this.#running.get(turnId)?.conversationId;
  }

  /** Aborts the turn if it runs in this process; its provider request is aborted with it. */
  stop(turnId: string): boolean {
    const running = this.#running.get(turnId);
    if (running === undefined) return false;
    running.controller.abort(new TurnAbort('stopped'));
    return true;
  }

  /**
   * Starts the turn. Resolves once its `start` chunk is stored in JetStream (and `alongside`, a
   * write the turn depends on, has landed), so that whoever gets the reply can read the turn at
   * once. The provider call does not wait for that: it begins at once, and its chunks follow the
   * `start` chunk on the same connection, so JetStream stores them after it. If either write
   * fails the turn is aborted unseen (no final chunk, nothing stored) and the failure thrown.
   * The rest runs in the background, its outcome published as chunks, never thrown.
   */
  async start(job: TurnJob, alongside?: Promise<unknown>): Promise<void> {
    const controller = new AbortController();
    const publisher = new ChunkPublisher(this.#options.js, job.turnId);
    const stored = publisher.publish({ type: 'start', model: job.route.entry.id, conversationId: job.conversationId });
    // Registered before the first await, so a repeated start finds the turn running.
    const ended = this.#run(job, controller, publisher)
      .catch((error: unknown) => this.#options.log.error({ err: error, turnId: job.turnId }, 'turn crashed'))
      .finally(() => {
        this.#running.delete(job.turnId);
        this.#options.ledger?.remove(job.turnId);
      });
    this.#running.set(job.turnId, { controller, conversationId: job.conversationId, publisher, ended });
    this.#options.ledger?.add(job.turnId);
    let failure: unknown;
    await Promise.all([stored.then(() => (failure ??= publisher.failure)), alongside?.catch((error: unknown) => (failure ??= error))]);
    if (failure !== undefined) {
      publisher.abandon();
      controller.abort(new TurnAbort('refused'));
      this.#running.delete(job.turnId);
      throw failure;
    }
  }

  /**
   * At shutdown: gives the running turns up to `graceMs` to end by themselves, as the gateway and
   * the relay give their connections, then stops what is left (see `stopAll`).
   */
  async drain(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all([...this.#running.values()].map((r) => r.ended)), grace]);
    clearTimeout(timer);
    await this.stopAll();
  }

  /**
   * Stops every running turn and waits until each has published its final chunk (at shutdown).
   * Chunks that NATS did not store get a few more seconds to be sent again, not a minute.
   */
  async stopAll(): Promise<void> {
    const ended = [...this.#running.values()].map((r) => r.ended);
    for (const [turnId, running] of this.#running) {
      running.publisher.hurry(SHUTDOWN_RESEND_MS);
      this.stop(turnId);
    }
    await Promise.all(ended);
  }

  async #run(job: TurnJob, controller: AbortController, publisher: ChunkPublisher): Promise<void> {
    const { policy } = this.#options;
    const log = this.#options.log.child({ turnId: job.turnId, model: job.route.entry.id });
    const startedAt = Date.now();
    const deadlineAt = startedAt + policy.deadlineMs;
    const deadline = setTimeout(() => controller.abort(new TurnAbort('deadline')), policy.deadlineMs);
    const retry = { policy, turnSignal: controller.signal, deadlineAt, log, what: 'chat' };
    let finishReason: FinishReason = 'other';
    let usage: Usage | undefined;
    let transcript = job.store?.transcript;
    let final: Final;
    try {
      const input = await buildInput(job.context, {
        route: job.route,
        attachments: this.#options.attachments,
        transcriber: this.#options.transcriber,
        retry,
        onTranscript: (text) => publisher.publish({ type: 'transcript', text }),
      });
      transcript = input.transcript ?? transcript;
      await streamAnswer(
        job.route.provider,
        { model: job.route.upstreamModel, messages: input.messages, maxOutputTokens: job.maxOutputTokens, temperature: job.temperature, options: job.options },
        {
          ...retry,
          idleTimeoutMs: policy.idleTimeoutMs,
          backpressure: () => publisher.backpressure(),
          onEvent: (event) => {
            if (event.type === 'text') publisher.delta(event.text);
            else if (event.type === 'finish') finishReason = event.reason;
            else usage = event.usage;
          },
        },
      );
      final = { type: 'done', finishReason, ...(usage === undefined ? {} : { usage }) };
    } catch (error) {
      final = this.#failed(error, publisher.text !== '', log);
    } finally {
      clearTimeout(deadline);
    }
    if (controller.signal.reason instanceof TurnAbort && controller.signal.reason.why === 'refused') {
      log.warn({ durationMs: Date.now() - startedAt }, 'turn refused at its start; nothing published after it');
      return;
    }
    publisher.flush();
    if (job.store) await this.#store(job, publisher.text, final, transcript, usage, log);
    await publisher.end(final);
    if (publisher.failure !== undefined) log.error({ err: publisher.failure }, 'publishing chunks failed; the turn may be incomplete for its readers');
    log.info(
      {
        outcome: final.type === 'done' ? final.finishReason : final.code,
        answerChars: publisher.text.length,
        durationMs: Date.now() - startedAt,
        ...(publisher.resent > 0 ? { resentChunks: publisher.resent } : {}),
      },
      'turn ended',
    );
  }

  #failed(error: unknown, partial: boolean, log: FastifyBaseLogger): Final {
    const { secrets, policy } = this.#options;
    if (error instanceof TurnAbort) {
      if (error.why === 'stopped') return { type: 'done', finishReason: 'stopped' };
      return { type: 'error', code: 'upstream_timeout', message: `The answer took longer than ${policy.deadlineMs} ms.`, retryable: true };
    }
    if (error instanceof UpstreamFailure) {
      log.warn({ code: error.code, status: error.details.status, partial, reason: secrets.scrub(String((error.cause as Error | undefined)?.message ?? '')) }, 'upstream failed');
      const message = partial ? `${error.message} The answer broke off; the part that arrived is kept.` : error.message;
      return { type: 'error', code: error.code, message: secrets.scrub(message), retryable: error.retryable || partial };
    }
    if (error instanceof ServiceError) return { type: 'error', code: error.code, message: error.message, retryable: false };
    log.error({ err: error }, 'turn failed');
    return { type: 'error', code: 'internal_error', message: 'llm-text failed; the turn id names it in the logs.', retryable: true };
  }

  async #store(job: TurnJob, answer: string, final: Final, transcript: string | undefined, usage: Usage | undefined, log: FastifyBaseLogger): Promise<void> {
    if (!job.store) return;
    const status = final.type === 'error' ? 'failed' : final.finishReason === 'stopped' ? 'stopped' : 'done';
    const turn: ConversationTurn = {
      turnId: job.turnId,
      model: job.route.entry.id,
      user: job.store.user,
      answer,
      status,
      createdAt: new Date().toISOString(),
      ...(transcript === undefined ? {} : { transcript }),
      ...(final.type === 'error' ? { error: { code: final.code, message: final.message } } : {}),
      ...(usage === undefined ? {} : { usage }),
    };
    // The conversation's summary was brought up to date when the turn started (see chat-start).
    try {
      await this.#options.history.append(job.conversationId, turn, job.store.replacesSeq);
    } catch (error) {
      log.error({ err: error, conversationId: job.conversationId }, 'storing the exchange failed');
    }
  }
}
