import { ChatMessage, createParser, JetStreamNames } from '@voxgate/protocol';

/**
 * Turns this tab started that may still be running, one per conversation, kept in sessionStorage.
 * The gateway stores an exchange in its conversation only when the turn ends, so a page reopened
 * mid-answer (reload, another conversation, a realtime model and back) would otherwise show
 * neither the message nor the answer. With this memory it shows them and follows the turn to its
 * end. Storage can be missing or throw (private windows); the page then only forgets, as before.
 */

export interface RunningTurn {
  turnId: string;
  conversationId: string;
  /** The model answering, for the answer's label. */
  model: string;
  /** The user's message as sent; absent for a regenerate, which answers the stored last message again. */
  user: ChatMessage | undefined;
  /** When the turn started (ms since the epoch): its chunks outlive it only by `turnsMaxAgeMs`. */
  startedAtMs: number;
}

const KEY = 'voxgate.runningTurns';
const messageParser = createParser(ChatMessage);

export function runningTurnOf(conversationId: string): RunningTurn | undefined {
  return read().find((turn) => turn.conversationId === conversationId);
}

/** A conversation runs one turn at a time, so a newer turn replaces the one remembered for it. */
export function rememberTurn(turn: RunningTurn): void {
  write([...read().filter((t) => t.conversationId !== turn.conversationId), turn]);
}

export function forgetTurn(turnId: string): void {
  const turns = read();
  if (turns.some((t) => t.turnId === turnId)) write(turns.filter((t) => t.turnId !== turnId));
}

export function forgetConversation(conversationId: string): void {
  const turns = read();
  if (turns.some((t) => t.conversationId === conversationId)) write(turns.filter((t) => t.conversationId !== conversationId));
}

/** What is stored, checked entry by entry; turns whose chunks the gateway no longer keeps are dropped. */
function read(): RunningTurn[] {
  let raw: unknown;
  try {
    raw = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const oldestMs = Date.now() - JetStreamNames.turnsMaxAgeMs;
  return raw.flatMap((entry: unknown) => {
    const turn = parseTurn(entry);
    return turn && turn.startedAtMs > oldestMs ? [turn] : [];
  });
}

function parseTurn(entry: unknown): RunningTurn | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { turnId, conversationId, model, user, startedAtMs } = entry as Record<string, unknown>;
  if (typeof turnId !== 'string' || typeof conversationId !== 'string' || typeof model !== 'string' || typeof startedAtMs !== 'number') return undefined;
  if (user === undefined) return { turnId, conversationId, model, user: undefined, startedAtMs };
  const message = messageParser.parse(user);
  return message.ok ? { turnId, conversationId, model, user: message.value, startedAtMs } : undefined;
}

function write(turns: readonly RunningTurn[]): void {
  try {
    if (turns.length === 0) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, JSON.stringify(turns));
  } catch {
    // Not remembering is acceptable; see above.
  }
}
