import type { FastifyBaseLogger } from 'fastify';
import type { Service } from 'nats';
import { Type } from 'typebox';
import { ConversationRef, ConversationRename, createParser, Subjects } from '@voxgate/protocol';
import { addJsonEndpoint } from '@voxgate/service-kit';
import type { AttachmentStore } from './attachments.js';
import { errors } from './errors.js';
import type { HistoryStore } from './history.js';

const ListRequest = createParser(Type.Object({}));
const RefRequest = createParser(ConversationRef);
const RenameRequest = createParser(ConversationRename);

/** The conversation endpoints: list (newest first), get with turns, rename, delete. */
export function serveConversations(service: Service, log: FastifyBaseLogger, history: HistoryStore, attachments: AttachmentStore): void {
  addJsonEndpoint(service, log, {
    name: 'conversations-list',
    subject: Subjects.conversations.list,
    request: ListRequest,
    handler: async () => ({ conversations: await history.list() }),
  });
  addJsonEndpoint(service, log, {
    name: 'conversations-get',
    subject: Subjects.conversations.get,
    request: RefRequest,
    handler: async ({ id }) => {
      const conversation = await history.conversation(id);
      if (conversation === undefined) throw errors.conversation_not_found();
      return conversation;
    },
  });
  addJsonEndpoint(service, log, {
    name: 'conversations-rename',
    subject: Subjects.conversations.rename,
    request: RenameRequest,
    handler: async ({ id, title }) => {
      const summary = await history.summary(id);
      if (summary === undefined) throw errors.conversation_not_found();
      // updatedAt stays: the sidebar orders by the last exchange, not the last rename.
      const renamed = { ...summary, title };
      await history.saveSummary(renamed);
      return renamed;
    },
  });
  addJsonEndpoint(service, log, {
    name: 'conversations-delete',
    subject: Subjects.conversations.delete,
    request: RefRequest,
    handler: async ({ id }, { log: requestLog }) => {
      if ((await history.summary(id)) === undefined) throw errors.conversation_not_found();
      const attachmentIds = await history.delete(id);
      // The conversation is gone either way; a leftover attachment only costs space.
      for (const attachmentId of attachmentIds) await attachments.delete(attachmentId);
      requestLog.info({ conversationId: id, attachments: attachmentIds.length }, 'conversation deleted');
      return { deleted: true };
    },
  });
}
