import { type MessageKey, t, type Vars } from '../i18n/index.js';
import type { ClientEvent } from './transport.js';

/**
 * The conversation as the page shows it, kept across connections: what each side said (live
 * transcripts) and the page's own notes (reconnecting, errors). A new session after a dropped
 * connection is re-seeded from it.
 */

export type SpeechState =
  /** The user is speaking; no words yet. */
  | 'listening'
  /** Speech ended; the transcript is on its way. */
  | 'transcribing'
  /** The model is answering. */
  | 'speaking'
  | 'done'
  /** The user spoke over the model: what is shown went further than what was heard. */
  | 'interrupted'
  | 'failed';

export interface SpeechLine {
  readonly kind: 'speech';
  readonly key: number;
  readonly role: 'user' | 'assistant';
  /** The item id in the session that produced it (ids do not survive a reconnect). */
  itemId: string;
  text: string;
  state: SpeechState;
  /**
   * An answer cut off: the part of `text` the user heard, as far as the audio played tells
   * (undefined when it cannot tell, e.g. over WebRTC, whose audio never passes through the page).
   */
  heard: string | undefined;
}

/** Words of the page's own inside a note (a close reason), worded in the language shown. */
export interface Phrase {
  key: MessageKey;
  vars?: Vars;
}

export type NoteVars = Readonly<Record<string, string | number | Phrase>>;

/** The note's variables in the current language, read at every render so a switch re-words them. */
export function wordVars(vars: NoteVars | undefined): Vars | undefined {
  if (!vars) return undefined;
  return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, typeof value === 'object' ? t(value.key, value.vars) : value]));
}

export interface NoteAction {
  label: MessageKey;
  run(): void;
}

export interface NoteLine {
  readonly kind: 'note';
  readonly key: number;
  message: MessageKey;
  vars: NoteVars | undefined;
  tone: 'info' | 'error';
  action: NoteAction | undefined;
}

export type Line = SpeechLine | NoteLine;

export class Transcript {
  readonly #lines: Line[] = [];
  readonly #listeners = new Set<(line: Line | undefined) => void>();
  #nextKey = 1;

  get lines(): readonly Line[] {
    return this.#lines;
  }

  /** `line` changed or was added; `undefined`: the whole transcript changed (cleared). */
  subscribe(listener: (line: Line | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  speech(role: 'user' | 'assistant', itemId: string, state: SpeechState): SpeechLine {
    const found = this.find(itemId);
    if (found) return found;
    const line: SpeechLine = { kind: 'speech', key: this.#nextKey++, role, itemId, text: '', state, heard: undefined };
    this.#lines.push(line);
    this.#emit(line);
    return line;
  }

  find(itemId: string): SpeechLine | undefined {
    for (let i = this.#lines.length - 1; i >= 0; i--) {
      const line = this.#lines[i];
      if (line?.kind === 'speech' && line.itemId === itemId) return line;
    }
    return undefined;
  }

  update(line: SpeechLine, patch: Partial<Pick<SpeechLine, 'text' | 'state' | 'heard'>>): void {
    if (patch.text !== undefined) line.text = patch.text;
    if (patch.state !== undefined) line.state = patch.state;
    if (patch.heard !== undefined) line.heard = patch.heard;
    this.#emit(line);
  }

  note(message: MessageKey, options: { vars?: NoteVars; tone?: 'info' | 'error'; action?: NoteAction } = {}): NoteLine {
    const line: NoteLine = { kind: 'note', key: this.#nextKey++, message, vars: options.vars, tone: options.tone ?? 'info', action: options.action };
    this.#lines.push(line);
    this.#emit(line);
    return line;
  }

  /** Takes a note's button away once it has done its job (or can no longer). */
  retire(line: NoteLine): void {
    if (line.action === undefined) return;
    line.action = undefined;
    this.#emit(line);
  }

  clear(): void {
    this.#lines.length = 0;
    this.#emit(undefined);
  }

  /** Lines the user and model actually said, with words: what a new session needs to go on. */
  spoken(): SpeechLine[] {
    return this.#lines.filter((line): line is SpeechLine => line.kind === 'speech' && line.text.trim() !== '');
  }

  /**
   * The conversation so far as GA `conversation.item.create` events: user turns as `input_text`,
   * the model's as `output_text` (GA's assistant text type; `text` was beta's).
   *
   * An answer cut off (spoken over, or by a dropped connection) goes in as what the user heard of
   * it, ending in "…". The old session's server kept only that much (a truncate drops the unheard
   * rest and its transcript), so the new one must not learn words the user never heard and build
   * on them; the ellipsis tells the model it stopped mid-way rather than having made its point.
   * Over WebRTC the page cannot tell how much was heard, and only the mark is added.
   */
  seedEvents(): ClientEvent[] {
    const events: ClientEvent[] = [];
    for (const line of this.spoken()) {
      const words = line.state === 'interrupted' ? interruptedSeed(line) : line.text;
      if (words === '') continue;
      const content = line.role === 'user' ? { type: 'input_text', text: words } : { type: 'output_text', text: words };
      events.push({ type: 'conversation.item.create', item: { type: 'message', role: line.role, content: [content] } });
    }
    return events;
  }

  #emit(line: Line | undefined): void {
    for (const listener of this.#listeners) listener(line);
  }
}

function interruptedSeed(line: SpeechLine): string {
  const heard = (line.heard ?? line.text).trimEnd();
  return heard === '' ? '' : `${heard}…`;
}

/**
 * The first `share` of `text`, estimated from how much of the answer's audio was played: an
 * item's transcript and audio are generated together, so the text that had arrived and the audio
 * that had arrived cover about the same part of the answer. Words are kept whole where the text
 * has spaces; Chinese has none and is cut between characters.
 */
export function heardPart(text: string, share: number): string {
  const chars = Array.from(text);
  const end = Math.round(chars.length * Math.min(1, Math.max(0, share)));
  if (end >= chars.length) return text;
  const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);
  if (!chars.some(isSpace) || isSpace(chars[end])) return chars.slice(0, end).join('').trimEnd();
  let cut = end;
  while (cut > 0 && !isSpace(chars[cut - 1])) cut--;
  return chars.slice(0, cut).join('').trimEnd();
}
