import { StorageType, type NatsConnection, type StreamConfig } from 'nats';
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
