import {
  Attachment,
  Conversation,
  ConversationList,
  createParser,
  TurnChunks,
  type ConversationSummary,
} from '@voxgate/protocol';
import { ApiError, type Checker, requestJson } from '../api.js';

/** The gateway's chat routes, each body checked against the shared contract before it is used. */

const parsers = {
  attachment: createParser(Attachment),
  conversation: createParser(Conversation),
  list: createParser(ConversationList),
  chunks: createParser(TurnChunks),
  /** Stop, rename and delete answer small acknowledgements the page does not need to read. */
  any: { parse: (input: unknown) => ({ ok: true, value: input }) } satisfies Checker<unknown>,
};

/** Uploads can be large on a slow link; everything else is small. */
const UPLOAD_TIMEOUT_MS = 120_000;

export function uploadAttachment(blob: Blob, signal?: AbortSignal): Promise<Attachment> {
  return requestJson('/api/attachments', parsers.attachment, {
    method: 'POST',
    body: blob,
    timeoutMs: UPLOAD_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
  });
}

export function attachmentUrl(id: string): string {
  return `/api/attachments/${encodeURIComponent(id)}`;
}

/** Chunks after `after`; polling is how a page catches up after its stream dropped. */
export function getTurnChunks(turnId: string, after: number, signal?: AbortSignal): Promise<TurnChunks> {
  return requestJson(`/api/turns/${encodeURIComponent(turnId)}?after=${after}`, parsers.chunks, {
    timeoutMs: 15_000,
    ...(signal ? { signal } : {}),
  });
}

/** Asks the turn's owner to stop; a turn that already ended (409 `turn_not_running`) is not an error here. */
export async function stopTurn(turnId: string): Promise<void> {
  try {
    await requestJson(`/api/turns/${encodeURIComponent(turnId)}/stop`, parsers.any, { method: 'POST', json: {} });
  } catch (error) {
    if (error instanceof ApiError && error.failure.kind === 'http' && error.failure.code === 'turn_not_running') return;
    throw error;
  }
}

export async function listConversations(): Promise<readonly ConversationSummary[]> {
  const { conversations } = await requestJson('/api/conversations', parsers.list);
  return conversations;
}

export function getConversation(id: string): Promise<Conversation> {
  return requestJson(`/api/conversations/${encodeURIComponent(id)}`, parsers.conversation);
}

export async function renameConversation(id: string, title: string): Promise<void> {
  await requestJson(`/api/conversations/${encodeURIComponent(id)}`, parsers.any, { method: 'PATCH', json: { title } });
}

export async function deleteConversation(id: string): Promise<void> {
  await requestJson(`/api/conversations/${encodeURIComponent(id)}`, parsers.any, { method: 'DELETE' });
}
