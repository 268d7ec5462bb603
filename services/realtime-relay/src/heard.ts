/** Answers kept waiting at most; past this the oldest is written as it stands. */
const ITEMS_KEPT = 32;
/** A cut falling this close after a space drops the partly heard word; longer runs (Chinese has no spaces) are cut where they fall. */
const WORD_MAX_CHARS = 24;

interface Answer {
  /** Audio of the item sent toward the client. */
  audioMs: number;
  transcript: string | undefined;
  /** Where the client stopped playing it (`conversation.item.truncated`), if it did. */
  heardMs: number | undefined;
  /** No longer truncatable; written as soon as its transcript is known. */
  settled: boolean;
}

/**
 * The model's spoken answers as the user heard them, for the conversation history. After a
 * barge-in the client truncates the answer's item at the audio it played; the history must not
 * hold words that were never heard. So an answer is written only once it can no longer be
 * truncated: at the next user input (a committed utterance, a created item), the next response, or
 * the session's end. Both providers' adapters feed it: audio per item, the item's transcript,
 * confirmed truncations, and those moments.
 */
export class HeardAnswers {
  readonly #answers = new Map<string, Answer>();
  /** Items already written, newest last: a transcript repeated for one is not written twice. */
  readonly #written: string[] = [];

  constructor(readonly write: (text: string, itemId: string) => void) {}

  #answer(itemId: string): Answer {
    let answer = this.#answers.get(itemId);
    if (answer === undefined) {
      answer = { audioMs: 0, transcript: undefined, heardMs: undefined, settled: false };
      this.#answers.set(itemId, answer);
      if (this.#answers.size > ITEMS_KEPT) this.#flushOldest();
    }
    return answer;
  }

  audio(itemId: string, ms: number): void {
    const answer = this.#answer(itemId);
    if (!answer.settled) answer.audioMs += ms;
  }

  transcript(itemId: string, text: string): void {
    if (this.#written.includes(itemId)) return;
    const answer = this.#answer(itemId);
    answer.transcript = text;
    if (answer.settled) this.#writeOut(itemId, answer);
  }

  truncated(itemId: string, audioEndMs: number): void {
    const answer = this.#answers.get(itemId);
    if (answer === undefined || answer.settled) return;
    answer.heardMs = Math.min(answer.heardMs ?? Number.POSITIVE_INFINITY, audioEndMs);
  }

  /** The answers so far can no longer be truncated: each is written once its transcript is known. */
  settle(): void {
    for (const [itemId, answer] of this.#answers) {
      answer.settled = true;
      if (answer.transcript !== undefined) this.#writeOut(itemId, answer);
    }
  }

  /** The session ended: what has a transcript is written, the rest is forgotten. */
  end(): void {
    this.settle();
    this.#answers.clear();
  }

  #flushOldest(): void {
    const [itemId, answer] = this.#answers.entries().next().value as [string, Answer];
    if (answer.transcript !== undefined) this.#writeOut(itemId, answer);
    else this.#answers.delete(itemId);
  }

  #writeOut(itemId: string, answer: Answer): void {
    this.#answers.delete(itemId);
    this.#written.push(itemId);
    if (this.#written.length > ITEMS_KEPT) this.#written.shift();
    const text = answer.transcript ?? '';
    this.write(answer.heardMs === undefined ? text : heardPart(text, answer.heardMs, answer.audioMs), itemId);
  }
}

/**
 * The part of a transcript the user heard when playback stopped at `heardMs` of `audioMs`. Neither
 * provider says which words were spoken by when, so the transcript is cut in proportion to the
 * audio played: an honest approximation (speech runs at a roughly even pace of characters), not a
 * word alignment. A word the cut falls into is dropped, as it was not heard whole.
 */
export function heardPart(transcript: string, heardMs: number, audioMs: number): string {
  if (heardMs <= 0) return '';
  // Unknown length (no audio seen for the item): nothing to cut by.
  if (audioMs <= 0 || heardMs >= audioMs) return transcript;
  const chars = Array.from(transcript);
  const end = Math.round(chars.length * (heardMs / audioMs));
  let cut = end;
  if (end < chars.length && /\S/.test(chars[end] as string)) {
    for (let i = end - 1; i >= 0 && end - i <= WORD_MAX_CHARS; i--) {
      if (/\s/.test(chars[i] as string)) {
        cut = i;
        break;
      }
    }
  }
  return chars.slice(0, cut).join('').trimEnd();
}
