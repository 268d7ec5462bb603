import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Attachment, ChatLimits, createParser, ErrorBody } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import { admitAttachment, claimedKind } from '../../attachment-intake.js';
import type { AttachmentStore } from '../../attachment-store.js';
import { errors } from '../../errors.js';

const params = createParser(Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }));

/** The largest body any upload may have; each kind's own limit is checked once its bytes are known. */
const MAX_UPLOAD_BYTES = Math.max(ChatLimits.imageBytes, ChatLimits.audioBytes);

/**
 * `POST /api/attachments` (the raw file as the body, its type in `Content-Type`) → `Attachment`,
 * or 507 `attachment_store_full` at the store's cap; `GET /api/attachments/:id` → the bytes with
 * their detected type. An upload no stored message comes to refer to is swept after the grace
 * (`AttachmentSweeper`); one a conversation refers to lives as long as the conversation.
 */
export async function attachmentsRoute(app: FastifyInstance, options: { store: AttachmentStore }): Promise<void> {
  // Raw bodies for this plugin only; JSON stays the default everywhere else.
  app.addContentTypeParser(/^(image|audio)\/|^application\/octet-stream/i, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/attachments',
    { bodyLimit: MAX_UPLOAD_BYTES, schema: { response: { 201: Attachment, '4xx': ErrorBody, '5xx': ErrorBody } } },
    async (request, reply) => {
      const claimed = claimedKind(request.headers['content-type']);
      if (claimed === undefined || !Buffer.isBuffer(request.body)) {
        throw errors.unsupported_media_type({ message: 'Send the file itself with an image/* or audio/* Content-Type.' });
      }
      const admitted = admitAttachment(request.body, claimed);
      if (admitted instanceof ServiceError) throw admitted;
      await options.store.put(admitted, request.body);
      request.log.info({ attachmentId: admitted.id, kind: admitted.kind, mime: admitted.mime, bytes: admitted.bytes }, 'attachment stored');
      return reply.code(201).send(admitted);
    },
  );

  app.get('/attachments/:id', async (request, reply) => {
    const parsed = params.parse(request.params);
    if (!parsed.ok) throw errors.attachment_not_found();
    const found = await options.store.get(parsed.value.id);
    if (!found) throw errors.attachment_not_found();
    const { record, data } = found;
    // The id names immutable content, and the type comes from the bytes, never from the uploader.
    return reply
      .header('content-type', record.mime)
      .header('content-length', String(record.bytes))
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(Readable.fromWeb(data as NodeReadableStream<Uint8Array>));
  });
}
