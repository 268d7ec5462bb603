import type { NatsConnection, ObjectStore } from 'nats';
import { Attachment, createParser, JetStreamNames } from '@voxgate/protocol';

const parseAttachment = createParser(Attachment);

/**
 * Uploaded images and voice messages in the NATS object store, as the gateway writes them and
 * llm-text reads them: the object's name is the attachment id, and its `description` is the JSON
 * of the `Attachment` record (kind, the mime type found from the magic bytes, size).
 */
export class AttachmentStore {
  constructor(readonly store: ObjectStore) {}

  static async open(nc: NatsConnection): Promise<AttachmentStore> {
    return new AttachmentStore(await nc.jetstream().views.os(JetStreamNames.attachmentsBucket));
  }

  /** The record of an attachment, or undefined when there is none (or its record is unreadable). */
  async info(id: string): Promise<Attachment | undefined> {
    const info = await this.store.info(id);
    if (info === null || info.deleted || info.description === undefined) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(info.description);
    } catch {
      return undefined;
    }
    const parsed = parseAttachment.parse(data);
    return parsed.ok && parsed.value.id === id ? parsed.value : undefined;
  }

  /** The record and the bytes, or undefined when the attachment is gone. */
  async read(id: string): Promise<{ attachment: Attachment; data: Buffer } | undefined> {
    const attachment = await this.info(id);
    if (attachment === undefined) return undefined;
    const bytes = await this.store.getBlob(id);
    return bytes === null ? undefined : { attachment, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  /** Stores bytes under the format above; the gateway writes the same way. */
  async write(attachment: Attachment, data: Uint8Array): Promise<void> {
    await this.store.putBlob({ name: attachment.id, description: JSON.stringify(attachment) }, data);
  }

  async delete(id: string): Promise<void> {
    // Already gone is what the caller wanted.
    await this.store.delete(id).catch(() => undefined);
  }
}
