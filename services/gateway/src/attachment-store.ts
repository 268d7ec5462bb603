import { randomBytes } from 'node:crypto';
import type { NatsConnection, ObjectStore } from 'nats';
import { Attachment, createParser, JetStreamNames } from '@voxgate/protocol';

const attachmentParser = createParser(Attachment);

const ID_BYTES = 16;
/**
 * Random bytes are drawn for this many ids at once (as Node does for `randomUUID`): a draw per id
 * cost every chat request a call into OpenSSL and a getpid system call, 2 % of the gateway's CPU.
 */
const IDS_PER_DRAW = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A new id for an attachment or a turn: 128 random bits, URL-safe, matching the protocol's `Id`. */
export function newId(): string {
  if (poolOffset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * IDS_PER_DRAW);
    poolOffset = 0;
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return id;
}

/**
 * Uploaded images and voice messages in the NATS object store. The object's name is the
 * attachment id and its `description` the `Attachment` record as JSON: llm-text reads the record
 * back from there, so this file is the one place that layout is written.
 */
export class AttachmentStore {
  private bucket: Promise<ObjectStore> | undefined;

  constructor(private readonly nc: NatsConnection) {}

  private store(): Promise<ObjectStore> {
    // Opened once and shared; a failed open is retried on the next call.
    this.bucket ??= this.nc
      .jetstream()
      .views.os(JetStreamNames.attachmentsBucket)
      .catch((error: unknown) => {
        this.bucket = undefined;
        throw error;
      });
    return this.bucket;
  }

  async put(record: Attachment, bytes: Uint8Array): Promise<void> {
    const os = await this.store();
    await os.putBlob({ name: record.id, description: JSON.stringify(record) }, bytes);
  }

  /** The record and a stream of the bytes, or undefined when there is no such attachment. */
  async get(id: string): Promise<{ record: Attachment; data: ReadableStream<Uint8Array> } | undefined> {
    const os = await this.store();
    const result = await os.get(id);
    if (!result) return undefined;
    const record = parseRecord(result.info.description);
    if (!record) {
      // Not one of ours: drain nothing, answer as missing.
      await result.data.cancel().catch(() => {});
      return undefined;
    }
    return { record, data: result.data };
  }
}

/** The `Attachment` record from an object's description, or undefined when it is not one. */
export function parseRecord(description: string | undefined): Attachment | undefined {
  if (description === undefined) return undefined;
  try {
    const parsed = attachmentParser.parse(JSON.parse(description));
    return parsed.ok ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}
