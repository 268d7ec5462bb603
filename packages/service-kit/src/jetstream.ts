import { DeliverPolicy, StorageType, type NatsConnection, type ObjectStore, type StreamConfig } from 'nats';
import { JetStreamNames, Subjects } from '@voxgate/protocol';

const NS_PER_MS = 1_000_000;

/** The streams Voxgate keeps; file storage so that answers and history survive a NATS restart. */
const STREAMS: Partial<StreamConfig>[] = [
  {
    name: JetStreamNames.turnsStream,
    subjects: [Subjects.turnsWildcard],
    storage: StorageType.File,
    max_age: JetStreamNames.turnsMaxAgeMs * NS_PER_MS,
    // A chunk is a few tokens; a bound protects NATS from a runaway publisher.
    max_msg_size: 256 * 1024,
  },
  {
    name: JetStreamNames.historyStream,
    subjects: [Subjects.historyWildcard],
    storage: StorageType.File,
    max_msg_size: 1024 * 1024,
  },
];

/**
 * Creates Voxgate's streams, KV bucket and object store if they are missing, and brings an existing
 * stream's settings up to date. Every service that uses them calls this at start-up, in any order.
 */
export async function ensureJetStream(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for (const config of STREAMS) {
    const name = config.name as string;
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config);
    } catch (error) {
      if ((error as { code?: string }).code !== '404') throw error;
      await jsm.streams.add(config);
    }
  }
  const js = nc.jetstream();
  await js.views.kv(JetStreamNames.conversationsBucket, { storage: StorageType.File, history: 1 });
  await js.views.os(JetStreamNames.attachmentsBucket, { storage: StorageType.File });
}

/** A message already deleted: "no message found" (NATS 2.9) or "sequence N not found". */
function isNoMessage(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { err_code?: number; description?: string } };
  if (e.code === '404' || e.api_error?.err_code === 10037) return true;
  return e.api_error?.err_code === 10057 && /not found/i.test(e.api_error.description ?? '');
}

/**
 * Deletes an object of an object store and leaves nothing of it behind. `ObjectStore.delete`
 * keeps a deletion record for every name for ever (a few hundred bytes for each attachment ever
 * deleted, a growth without bound) and writes it first; this takes the object's record out and
 * purges its chunks instead, in the object store's layout (NATS ADR-20): the stream
 * `OBJ_<bucket>`, the chunks on `$O.<bucket>.C.<nuid>`. An object already gone is not an error.
 */
export async function deleteObject(nc: NatsConnection, os: ObjectStore, name: string): Promise<void> {
  const info = await os.info(name);
  if (info === null) return;
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  const stream = `OBJ_${info.bucket}`;
  // The record first: a reader then finds no object, rather than a record whose bytes are gone.
  await jsm.streams.deleteMessage(stream, info.revision, false).catch((error: unknown) => {
    if (!isNoMessage(error)) throw error;
  });
  if (!info.deleted) await jsm.streams.purge(stream, { filter: `$O.${info.bucket}.C.${info.nuid}` });
}

/** An object as `listObjects` finds it. */
export interface ListedObject {
  name: string;
  /** When its bytes were written, in ms since the epoch (NaN when its record has no time). */
  mtime: number;
}

const LIST_BATCH = 1_000;
/** How long one read of the records waits for more: they are stored already, so only a deletion meanwhile makes it wait. */
const LIST_FETCH_EXPIRES_MS = 2_000;

/**
 * The objects of a bucket, from the latest record of each (the same layout). `ObjectStore.list`
 * waits for ever when an object is deleted between its look at the bucket and its read of the
 * records (it waits for a last record that is gone); this read ends when nothing more comes.
 */
export async function listObjects(nc: NatsConnection, bucket: string): Promise<ListedObject[]> {
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  const stream = `OBJ_${bucket}`;
  const filter = `$O.${bucket}.M.>`;
  // An empty stream answers no fetch: it would wait the whole expiry for nothing.
  if ((await jsm.streams.info(stream)).state.messages === 0) return [];
  const consumer = await nc.jetstream().consumers.get(stream, { filterSubjects: filter, deliver_policy: DeliverPolicy.LastPerSubject });
  const objects: ListedObject[] = [];
  try {
    for (;;) {
      let read = 0;
      let caughtUp = false;
      for await (const msg of await consumer.fetch({ max_messages: LIST_BATCH, expires: LIST_FETCH_EXPIRES_MS })) {
        read++;
        const record = msg.json<{ name?: unknown; mtime?: unknown; deleted?: unknown }>();
        if (typeof record.name === 'string' && record.deleted !== true) objects.push({ name: record.name, mtime: Date.parse(String(record.mtime)) });
        if (msg.info.pending === 0) {
          caughtUp = true;
          break;
        }
      }
      if (caughtUp || read === 0) return objects;
    }
  } finally {
    void consumer.delete().catch(() => {});
  }
}
