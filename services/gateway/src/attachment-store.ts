import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { JetStreamManager, MsgRequest, NatsConnection, ObjectStore, StoredMsg } from 'nats';
import { Attachment, ConversationTurn, createParser, JetStreamNames, Subjects } from '@voxgate/protocol';
import { deleteObject, listObjects } from '@voxgate/service-kit';
import { errors } from './errors.js';

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

/** What the gateway's store is allowed to hold. */
export interface AttachmentStoreOptions {
  /** Bytes the bucket may hold (chunks and records together); 0: no cap. */
  maxBytes: number;
}

/** An attachment in the bucket, as a sweep sees it. */
export interface StoredObject {
  id: string;
  /** When its bytes were written, in ms since the epoch. */
  storedAt: number;
}

/**
 * Uploaded images and voice messages in the NATS object store. The object's name is the
 * attachment id and its `description` the `Attachment` record as JSON: llm-text reads the record
 * back from there, so this file is the one place that layout is written.
 *
 * The gateway is the only writer, so the size cap is checked here, before each write: NATS's own
 * `max_bytes` would reserve the whole cap in JetStream's storage at once, and refuse to start
 * with a cap larger than the server's disk allows. Replicas writing at the same moment may pass
 * the cap by what they write.
 */
export class AttachmentStore {
  private bucket: Promise<ObjectStore> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: AttachmentStoreOptions,
  ) {}

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

  /** Stores the bytes under the record, or throws `attachment_store_full` when they would pass the cap. */
  async put(record: Attachment, bytes: Uint8Array): Promise<void> {
    const os = await this.store();
    const { maxBytes } = this.options;
    if (maxBytes > 0) {
      const used = (await os.status()).size;
      if (used + bytes.length > maxBytes) {
        const mb = (n: number) => Math.ceil(n / 1_000_000);
        throw errors.attachment_store_full({
          message: `The attachment store is full (${mb(used)} of ${mb(maxBytes)} MB used). Deleting conversations with images or voice messages frees space; the operator can raise ATTACHMENTS_MAX_MB.`,
        });
      }
    }
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

  /** Every attachment in the bucket with the time it was written. */
  async list(): Promise<StoredObject[]> {
    return (await listObjects(this.nc, JetStreamNames.attachmentsBucket)).map((o) => ({ id: o.name, storedAt: o.mtime }));
  }

  /** Removes the attachment and leaves nothing of it behind; one already gone is not an error. */
  async delete(id: string): Promise<void> {
    await deleteObject(this.nc, await this.store(), id);
  }
}

/** A file a `/v1` request carried inline (the converter's `PendingAttachment`), checked and not stored yet. */
export interface InlineAttachment {
  record: Attachment;
  bytes: Uint8Array;
  /** The bytes' digest: equal keys, equal bytes. */
  key: string;
}

/** The inline attachments of one request, stored and held until `release`. */
export interface HeldAttachments {
  /** Ids the request gave its attachments that are stored under another id (a copy already there). */
  renamed: ReadonlyMap<string, string>;
  /** The request is done with them; idempotent. */
  release(): void;
}

interface SharedCopy {
  id: string;
  key: string;
  refs: number;
  createdAt: number;
  stored: Promise<void>;
}

/**
 * The images and audio programs send inline on `/v1`. Nobody sees them again once their turn has
 * read them, so each is stored for its request alone and deleted when the request is done; and
 * since programs resend their whole history on every call, requests in flight that carry the
 * same bytes share one stored copy. A copy is shared only while it is young (half the grace),
 * so that no copy in use grows old enough for another replica's sweep (`AttachmentSweeper`),
 * which knows nothing of this process, to take it; an older one is left to its last holder and
 * the next request stores the bytes again. A gateway that dies leaves its copies to the sweep.
 */
export class InlineAttachments {
  readonly #byKey = new Map<string, SharedCopy>();
  readonly #live = new Map<string, SharedCopy>();
  readonly #deleting = new Set<Promise<void>>();

  constructor(
    private readonly store: AttachmentStore,
    private readonly options: { shareMs: number; log: FastifyBaseLogger },
  ) {}

  /**
   * Stores what no request in flight has stored already, and holds it all for this request;
   * throws what storing threw (`attachment_store_full`), holding nothing.
   */
  async hold(pending: readonly InlineAttachment[]): Promise<HeldAttachments> {
    const now = Date.now();
    const copies: SharedCopy[] = [];
    const renamed = new Map<string, string>();
    for (const attachment of pending) {
      let copy = this.#byKey.get(attachment.key);
      if (copy === undefined || now - copy.createdAt >= this.options.shareMs) copy = this.#create(attachment, now);
      copy.refs++;
      copies.push(copy);
      if (copy.id !== attachment.record.id) renamed.set(attachment.record.id, copy.id);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const copy of copies) this.#release(copy);
    };
    try {
      await Promise.all(copies.map((copy) => copy.stored));
    } catch (error) {
      release();
      throw error;
    }
    return { renamed, release };
  }

  /** Whether a request of this process holds the attachment. */
  holds(id: string): boolean {
    return this.#live.has(id);
  }

  /** Waits for the deletions under way (at shutdown, before NATS drains). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#deleting);
  }

  #create(attachment: InlineAttachment, now: number): SharedCopy {
    const copy: SharedCopy = { id: attachment.record.id, key: attachment.key, refs: 0, createdAt: now, stored: this.store.put(attachment.record, attachment.bytes) };
    // A copy that failed to store is not shared: the next request with these bytes tries again.
    copy.stored.catch(() => {
      if (this.#byKey.get(copy.key) === copy) this.#byKey.delete(copy.key);
    });
    this.#byKey.set(copy.key, copy);
    this.#live.set(copy.id, copy);
    return copy;
  }

  #release(copy: SharedCopy): void {
    copy.refs--;
    if (copy.refs > 0) return;
    if (this.#byKey.get(copy.key) === copy) this.#byKey.delete(copy.key);
    this.#live.delete(copy.id);
    // Once its write has settled, so that a write still under way is not left behind.
    const deleting = copy.stored
      .then(
        () => this.store.delete(copy.id),
        () => undefined,
      )
      .catch((error: unknown) => this.options.log.warn({ err: error, attachmentId: copy.id }, 'deleting an inline attachment failed; the sweep will'))
      .finally(() => this.#deleting.delete(deleting));
    this.#deleting.add(deleting);
  }
}

const parseTurn = createParser(ConversationTurn);
/** The longest pause between two sweeps, and the shortest. */
const SWEEP_INTERVAL_MAX_MS = 10 * 60_000;
const SWEEP_INTERVAL_MIN_MS = 1_000;
/** History messages read at a time while a sweep catches up with the stream. */
const HISTORY_BATCH = 1_000;
const HISTORY_FETCH_EXPIRES_MS = 2_000;

export interface SweepOptions {
  /** How long an attachment no stored message refers to is kept. */
  graceMs: number;
  log: FastifyBaseLogger;
  /** Attachments this process is using right now, never swept (see `InlineAttachments`). */
  inUse: (id: string) => boolean;
}

/**
 * Removes attachments that no stored message refers to once they are older than the grace: an
 * upload the user never sent, one whose turn was refused, an inline `/v1` copy a gateway left
 * when it died. An attachment of a stored conversation stays as long as the conversation (its
 * deletion in llm-text takes the attachments with it).
 *
 * What the conversations refer to is read from llm-text's history stream, each exchange a
 * `ConversationTurn` (the protocol's type): once from its start, then what was added since.
 * An attachment is removed only when two sweeps in a row found it old and unreferenced, so that
 * a turn sent just inside the grace, which is stored when it ends, has a sweep interval to be
 * stored. A message of the history that is not an exchange stops every removal (logged): the
 * sweep must never guess what a conversation holds.
 */
export class AttachmentSweeper {
  readonly #referenced = new Set<string>();
  #suspects = new Set<string>();
  /** The history stream's sequence read up to. */
  #historySeq = 0;
  #unreadable = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly store: AttachmentStore,
    private readonly options: SweepOptions,
  ) {}

  /**
   * A quarter of the grace, between 1 s and 10 min: an attachment is removed one to two intervals
   * after its grace ends, and a turn started inside the grace has an interval more to be stored.
   */
  get intervalMs(): number {
    return Math.min(SWEEP_INTERVAL_MAX_MS, Math.max(SWEEP_INTERVAL_MIN_MS, Math.round(this.options.graceMs / 4)));
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.sweep()
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'attachment sweep failed; the next one tries again'))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One sweep: answers how many attachments it removed. */
  async sweep(now = Date.now()): Promise<number> {
    const objects = await this.store.list();
    const listed = new Set(objects.map((o) => o.id));
    // Every id known so far was read from an exchange stored before this listing, and so was
    // written before it: one not listed is gone for good (its conversation was deleted).
    for (const id of this.#referenced) if (!listed.has(id)) this.#referenced.delete(id);
    const old = objects.filter((o) => now - o.storedAt > this.options.graceMs && !this.options.inUse(o.id));
    if (old.length === 0) {
      this.#suspects.clear();
      return 0;
    }
    const complete = await this.#readHistory();
    if (!complete || this.#unreadable || this.#stopped) return 0;
    const unreferenced = old.filter((o) => !this.#referenced.has(o.id)).map((o) => o.id);
    const due = unreferenced.filter((id) => this.#suspects.has(id));
    this.#suspects = new Set(unreferenced.filter((id) => !this.#suspects.has(id)));
    let removed = 0;
    for (const id of due) {
      if (this.#stopped) break;
      await this.store.delete(id);
      removed++;
    }
    if (removed > 0) this.options.log.info({ removed, graceMs: this.options.graceMs }, 'attachments no stored message refers to removed');
    return removed;
  }

  /**
   * Reads the exchanges stored since the last read, learning the attachments they refer to.
   * Answers whether it read up to the stream's end: messages it could not read now it reads
   * next time, and until then nothing is removed.
   */
  async #readHistory(): Promise<boolean> {
    const jsm = await this.nc.jetstreamManager({ checkAPI: false });
    const stream = JetStreamNames.historyStream;
    const last = (await jsm.streams.info(stream)).state.last_seq;
    if (last <= this.#historySeq) return true;
    // Everything after the last read deleted since (a deleted conversation): nothing to read.
    if ((await nextMessage(jsm, stream, this.#historySeq + 1)) === undefined) {
      this.#historySeq = last;
      return true;
    }
    const consumer = await this.nc.jetstream().consumers.get(stream, { filterSubjects: Subjects.historyWildcard, opt_start_seq: this.#historySeq + 1 });
    try {
      for (;;) {
        let read = 0;
        for await (const msg of await consumer.fetch({ max_messages: HISTORY_BATCH, expires: HISTORY_FETCH_EXPIRES_MS })) {
          read++;
          this.#learn(msg.seq, msg.data);
          this.#historySeq = msg.seq;
          // Caught up: whatever is missing up to `last` was deleted meanwhile.
          if (msg.seq >= last || msg.info.pending === 0) {
            this.#historySeq = Math.max(msg.seq, last);
            return true;
          }
          if (this.#stopped) return false;
        }
        if (read === 0) return false;
      }
    } finally {
      void consumer.delete().catch(() => {});
    }
  }

  #learn(seq: number, data: Uint8Array): void {
    let parsed: ReturnType<typeof parseTurn.parse> | undefined;
    try {
      parsed = parseTurn.parse(JSON.parse(Buffer.from(data).toString()));
    } catch {
      parsed = undefined;
    }
    if (parsed?.ok) {
      for (const part of parsed.value.user.content) if (part.type !== 'text') this.#referenced.add(part.attachmentId);
      return;
    }
    if (!this.#unreadable) this.options.log.warn({ seq }, 'a history message is not an exchange; attachments are no longer swept until the gateway restarts');
    this.#unreadable = true;
  }
}

/** The first message of the stream at or after `seq`, or undefined when there is none. */
async function nextMessage(jsm: JetStreamManager, stream: string, seq: number): Promise<StoredMsg | undefined> {
  try {
    // NATS 2.9+ takes `next_by_subj` on STREAM.MSG.GET (nats.js types it for direct gets only).
    return await jsm.streams.getMessage(stream, { seq, next_by_subj: '>' } as unknown as MsgRequest);
  } catch (error) {
    const e = error as { code?: unknown; api_error?: { err_code?: number } };
    if (e.code === '404' || e.api_error?.err_code === 10037) return undefined;
    throw error;
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
