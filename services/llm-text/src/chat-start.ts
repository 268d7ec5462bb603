import type { FastifyBaseLogger } from 'fastify';
import type { ChatMessage, ConversationSummary, StartTurn, TurnStarted } from '@voxgate/protocol';
import type { AttachmentStore } from './attachments.js';
import { newId, titleFrom } from './conversation-title.js';
import { errors } from './errors.js';
import type { HistoryStore, StoredTurn } from './history.js';
import type { ModelRoute, Providers } from './providers/registry.js';
import { optionsAskedFor } from './providers/types.js';
import type { ContextMessage } from './turn-input.js';
import type { TurnJob, TurnRunner } from './turns.js';

export interface ChatStartDeps {
  providers: Providers;
  history: HistoryStore;
  attachments: AttachmentStore;
  runner: TurnRunner;
  defaultMaxOutputTokens: number;
}

/** Refuses parts the model cannot take and attachments that do not exist, before a turn starts. */
async function checkParts(messages: ChatMessage[], route: ModelRoute, deps: ChatStartDeps): Promise<void> {
  for (const message of messages) {
    const hasText = message.content.some((p) => p.type === 'text' && p.text.trim() !== '');
    if (!hasText && message.content.every((p) => p.type === 'text')) throw errors.invalid_request({ message: 'The message is empty.' });
    for (const part of message.content) {
      if (part.type === 'text') continue;
      if (part.type === 'image' && !route.entry.input.includes('image')) {
        throw errors.unsupported_input({ message: `${route.entry.id} does not take images.` });
      }
      if (part.type === 'audio' && !route.entry.input.includes('audio') && deps.providers.transcriber === undefined) {
        throw errors.unsupported_input({ message: `${route.entry.id} does not take audio, and no transcription model is configured.` });
      }
      const attachment = await deps.attachments.info(part.attachmentId);
      if (attachment === undefined || attachment.kind !== part.type) {
        throw errors.attachment_not_found({ message: `No ${part.type} attachment ${part.attachmentId}.` });
      }
    }
  }
}

/** A message with no text, image or audio: a program's history may hold such assistant or system turns. */
const isEmpty = (message: ChatMessage) => message.content.every((p) => p.type === 'text' && p.text.trim() === '');

/** Refuses generation options the model's provider cannot honour, rather than dropping them unseen. */
function checkOptions(request: StartTurn, route: ModelRoute): void {
  const refused = optionsAskedFor(request.options).filter((option) => !route.provider.options.has(option));
  if (refused.length > 0) {
    throw errors.unsupported_option({ message: `${route.entry.id} (${route.entry.provider}) does not take ${refused.join(', ')}.` });
  }
}

function contextOf(turns: StoredTurn[]): ContextMessage[] {
  return turns.flatMap(({ turn }) => {
    const user: ContextMessage = { message: turn.user, transcript: turn.transcript };
    return turn.answer === '' ? [user] : [user, { message: { role: 'assistant', content: [{ type: 'text', text: turn.answer }] } }];
  });
}

/**
 * The summary as of a turn starting now with this model. Written at the start, alongside the
 * start chunk, rather than read and written again when the turn ends: one write per turn, and a
 * rename made while the turn runs is not overwritten.
 */
function touch(summary: ConversationSummary, route: ModelRoute, deps: ChatStartDeps): Promise<void> {
  return deps.history.saveSummary({ ...summary, model: route.entry.id, updatedAt: new Date().toISOString() });
}

/**
 * `Subjects.chatStart`: checks the request, creates the conversation when it is new, answers at
 * once with the turn's ids and leaves the turn running. A repeated request for a turn already
 * running here (a gateway retrying after a timeout) gets the same answer and starts nothing.
 */
export async function startTurn(request: StartTurn, deps: ChatStartDeps, log: FastifyBaseLogger): Promise<TurnStarted> {
  const running = deps.runner.conversationOf(request.turnId);
  if (running !== undefined) {
    log.info({ turnId: request.turnId }, 'turn already running; answering the repeated start');
    return { turnId: request.turnId, conversationId: running };
  }
  const route = deps.providers.routes.get(request.model);
  if (route === undefined) throw errors.unknown_model({ message: `No text model ${request.model}.` });
  checkOptions(request, route);
  // A program that names no limit gets the provider's own, as from OpenAI; the page gets the configured one.
  const maxOutputTokens = request.maxOutputTokens ?? (request.mode === 'stateless' ? undefined : deps.defaultMaxOutputTokens);
  const base = { turnId: request.turnId, route, maxOutputTokens, temperature: request.temperature, options: request.options };
  let job: TurnJob;
  let saving: Promise<void> | undefined;
  if (request.mode === 'stateless') {
    if (request.regenerate) throw errors.invalid_request({ message: 'A stateless turn cannot regenerate.' });
    // Empty turns of a program's history are left out; what remains must ask something.
    const messages = request.messages.filter((message) => !isEmpty(message));
    if (!messages.some((message) => message.role === 'user')) throw errors.invalid_request({ message: 'The request has no user message with text, an image or audio.' });
    await checkParts(messages, route, deps);
    job = { ...base, conversationId: request.conversationId ?? newId(), context: messages.map((message) => ({ message })) };
  } else if (request.regenerate) {
    if (request.conversationId === undefined) throw errors.invalid_request({ message: 'Regenerate needs a conversation id.' });
    if (request.messages.length > 0) throw errors.invalid_request({ message: 'Regenerate takes no new message.' });
    const [summary, turns] = await Promise.all([deps.history.summary(request.conversationId), deps.history.turns(request.conversationId)]);
    if (summary === undefined) throw errors.conversation_not_found();
    const last = turns.at(-1);
    if (last === undefined) throw errors.nothing_to_regenerate();
    await checkParts([last.turn.user], route, deps);
    saving = touch(summary, route, deps);
    job = {
      ...base,
      conversationId: request.conversationId,
      context: [...contextOf(turns.slice(0, -1)), { message: last.turn.user, transcript: last.turn.transcript }],
      store: { user: last.turn.user, transcript: last.turn.transcript, replacesSeq: last.seq },
    };
  } else {
    const [message] = request.messages;
    if (message === undefined || request.messages.length !== 1 || message.role !== 'user') {
      throw errors.invalid_request({ message: 'A conversation turn takes exactly one new user message.' });
    }
    await checkParts([message], route, deps);
    let turns: StoredTurn[] = [];
    let conversationId = request.conversationId;
    if (conversationId === undefined) {
      conversationId = newId();
      const now = new Date().toISOString();
      const summary: ConversationSummary = { id: conversationId, title: titleFrom(message), model: route.entry.id, createdAt: now, updatedAt: now };
      saving = deps.history.saveSummary(summary);
    } else {
      const [summary, stored] = await Promise.all([deps.history.summary(conversationId), deps.history.turns(conversationId)]);
      if (summary === undefined) throw errors.conversation_not_found();
      turns = stored;
      saving = touch(summary, route, deps);
    }
    job = { ...base, conversationId, context: [...contextOf(turns), { message }], store: { user: message } };
  }
  // The summary is written while the turn starts rather than before it; the reply waits for both.
  await deps.runner.start(job, saving);
  return { turnId: job.turnId, conversationId: job.conversationId };
}
