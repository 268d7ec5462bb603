import type { NatsConnection, ObjectInfo, ObjectStore } from 'nats';
import { Attachment, createParser, JetStreamNames } from '@voxgate/protocol';
import { deleteObject } from '@voxgate/service-kit';

const parseAttachment = createParser(Attachment);

/**
 * A read that receives nothing for this long is given up as gone: an attachment deleted while it
 * is read (its conversation deleted, a sweep) has its chunks purged under the reader, and the
 * object store's reader would wait for them for ever, and the turn with it.
 */
const READ_IDLE_MS = 10_000;

/** The record an object's description holds, or undefined when it holds none for this id. */
function recordOf(id: string, info: Pick<ObjectInfo, 'deleted' | 'description'>): Attachment | undefined {
  if (info.deleted || info.description === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(info.description);
  } catch {
    return undefined;
  }
  const parsed = parseAttachment.parse(data);
  return parsed.ok && parsed.value.id === id ? parsed.value : undefined;
}

/** Every byte of the stream, or undefined when it stalls for `idleMs` (the read is then cancelled). */
async function readAll(stream: ReadableStream<Uint8Array>, idleMs: number): Promise<Buffer | undefined> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      timer = setTimeout(() => resolve('idle'), idleMs);
    });
    const next = await Promise.race([reader.read(), idle]).finally(() => clearTimeout(timer));
    if (next === 'idle') {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    if (next.done) return Buffer.concat(parts);
    parts.push(next.value);
  }
}

/**
 * Uploaded images and voice messages in the NATS object store, as the gateway writes them and
 * llm-text reads them: the object's name is the attachment id, and its `description` is the JSON
 * of the `Attachment` record (kind, the mime type found from the magic bytes, size).
 */
export class AttachmentStore {
  constructor(
    readonly store: ObjectStore,
    private readonly nc: NatsConnection,
  ) {}

  static async open(nc: NatsConnection): Promise<AttachmentStore> {
    return new AttachmentStore(await nc.jetstream().views.os(JetStreamNames.attachmentsBucket), nc);
  }

  /** The record of an attachment, or undefined when there is none (or its record is unreadable). */
  async info(id: string): Promise<Attachment | undefined> {
    const info = await this.store.info(id);
    return info === null ? undefined : recordOf(id, info);
  }

  /** The record and the bytes, or undefined when the attachment is gone. */
  async read(id: string): Promise<{ attachment: Attachment; data: Buffer } | undefined> {
    const result = await this.store.get(id);
    if (result === null) return undefined;
    // A failed read also errors the stream, where it is thrown; this copy of it must not go unheard.
    result.error.catch(() => undefined);
    const attachment = recordOf(id, result.info);
    if (attachment === undefined) {
      await result.data.cancel().catch(() => undefined);
      return undefined;
    }
    const data = await readAll(result.data, READ_IDLE_MS);
    return data === undefined ? undefined : { attachment, data };
  }

  /** Stores bytes under the format above; the gateway writes the same way. */
  async write(attachment: Attachment, data: Uint8Array): Promise<void> {
    await this.store.putBlob({ name: attachment.id, description: JSON.stringify(attachment) }, data);
  }

  /** Removes the attachment and leaves nothing of it behind; one already gone is what the caller wanted. */
  async delete(id: string): Promise<void> {
    // One left behind (NATS away) is referred to by no conversation now: the gateway's sweep takes it.
    await deleteObject(this.nc, this.store, id).catch(() => undefined);
  }
}
