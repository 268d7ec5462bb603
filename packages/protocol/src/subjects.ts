import { ServiceName } from './services.js';

/** Root of every Voxgate NATS subject, so that one server can host other applications too. */
const ROOT = 'voxgate';

/**
 * NATS subjects, written once. Request/reply subjects are endpoints of the NATS services API
 * (queue group per service), so replicas share the load and `$SRV.INFO` lists them.
 */
export const Subjects = {
  /** Each model-serving service answers its own catalogue subject with a `ModelCatalogue`. */
  /** llm-text: start a turn (`StartTurn` → `TurnStarted`). */
  chatStart: `${ROOT}.${ServiceName.llmText}.chat.start`,
  /** Every llm-text replica listens (no queue group); the one running the turn answers. */
  chatStop: (turnId: string) => `${ROOT}.${ServiceName.llmText}.chat.stop.${turnId}`,
  chatStopWildcard: `${ROOT}.${ServiceName.llmText}.chat.stop.*`,
  /** JetStream subject of one turn's chunks. */
  turn: (turnId: string) => `${ROOT}.turns.${turnId}`,
  turnsWildcard: `${ROOT}.turns.*`,
  /** JetStream subject of one conversation's stored exchanges. */
  history: (conversationId: string) => `${ROOT}.history.${conversationId}`,
  historyWildcard: `${ROOT}.history.*`,
  /** llm-text: the conversation history endpoints. */
  conversations: {
    list: `${ROOT}.${ServiceName.llmText}.conversations.list`,
    get: `${ROOT}.${ServiceName.llmText}.conversations.get`,
    rename: `${ROOT}.${ServiceName.llmText}.conversations.rename`,
    delete: `${ROOT}.${ServiceName.llmText}.conversations.delete`,
  },
  catalogue: {
    [ServiceName.llmText]: `${ROOT}.${ServiceName.llmText}.models`,
    [ServiceName.realtimeRelay]: `${ROOT}.${ServiceName.realtimeRelay}.models`,
    [ServiceName.session]: `${ROOT}.${ServiceName.session}.models`,
  },
} as const;

/** The services that contribute to the model catalogue. */
export const CATALOGUE_SERVICES = Object.keys(Subjects.catalogue) as (keyof typeof Subjects.catalogue)[];

/** NATS message headers Voxgate sets. */
export const Headers = {
  /** The gateway's request id, carried through every NATS hop so that logs line up. */
  requestId: 'Voxgate-Request-Id',
} as const;
