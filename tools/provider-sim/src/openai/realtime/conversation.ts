import { anything, arrayOf, type Check, object, oneOf, type ParamProblem, string, tagged } from '../../realtime/params.js';
import { countTokens } from '../../tokens.js';

/** Items a session keeps; the oldest go first, so a long session cannot grow without bound. */
const MAX_ITEMS = 500;

export type Item = Record<string, unknown> & { id: string; type: string };

/** An item with what the simulator needs to know about it. */
interface Stored {
  item: Item;
  textTokens: number;
  audioMs: number;
}

const part: Check = tagged('type', {
  input_text: object({ type: string, text: string }, ['text']),
  input_audio: object({ type: string, audio: string, transcript: string }),
  input_image: object({ type: string, image_url: string, detail: oneOf(['auto', 'low', 'high']) }),
  output_text: object({ type: string, text: string }, ['text']),
  output_audio: object({ type: string, audio: string, transcript: string }),
});
const common = { id: string, type: string, object: oneOf(['realtime.item']), status: oneOf(['completed', 'incomplete', 'in_progress']) };
const item: Check = tagged('type', {
  message: object({ ...common, role: oneOf(['user', 'assistant', 'system']), content: arrayOf(part) }, ['role', 'content']),
  function_call: object({ ...common, call_id: string, name: string, arguments: string }, ['name', 'arguments']),
  function_call_output: object({ ...common, call_id: string, output: string }, ['call_id', 'output']),
  // Accepted as sent; the simulator does not act on MCP items.
  mcp_approval_response: anything,
});

export function itemProblem(value: unknown): ParamProblem | undefined {
  return item(value, 'item');
}

/** The conversation of one session, in order. */
export class Conversation {
  readonly #items = new Map<string, Stored>();

  get lastId(): string | null {
    return [...this.#items.keys()].at(-1) ?? null;
  }

  has(id: string): boolean {
    return this.#items.has(id);
  }

  get(id: string): Item | undefined {
    return this.#items.get(id)?.item;
  }

  /** Appends an item; returns the id of the one before it, as `previous_item_id`. */
  add(item: Item, audioMs = 0): string | null {
    const previous = this.lastId;
    this.#items.set(item.id, { item, textTokens: countTokens(textOf(item)), audioMs });
    if (this.#items.size > MAX_ITEMS) {
      const oldest = this.#items.keys().next().value;
      if (oldest !== undefined) this.#items.delete(oldest);
    }
    return previous;
  }

  delete(id: string): boolean {
    return this.#items.delete(id);
  }

  audioMsOf(id: string): number {
    return this.#items.get(id)?.audioMs ?? 0;
  }

  setAudioMs(id: string, audioMs: number): void {
    const stored = this.#items.get(id);
    if (stored) stored.audioMs = audioMs;
  }

  /** Tokens the whole conversation counts as input to a response: text tokens, and audio at 10 a second. */
  inputTokens(): { text: number; audio: number } {
    let text = 0;
    let audio = 0;
    for (const stored of this.#items.values()) {
      text += stored.textTokens;
      audio += Math.ceil(stored.audioMs / 100);
    }
    return { text, audio };
  }

  /** What the next answer responds to: the latest user words, or a tool result that came after them. */
  prompt(): { userText?: string; toolOutput?: string } {
    for (const { item } of [...this.#items.values()].reverse()) {
      if (item.type === 'function_call_output') return { toolOutput: String(item.output ?? '') };
      if (item.type === 'message' && item.role === 'user') return { userText: textOf(item) };
    }
    return {};
  }
}

/** The text of an item: typed text and transcripts of its content parts, or a tool's output. */
export function textOf(item: Item): string {
  if (item.type === 'function_call_output') return String(item.output ?? '');
  if (item.type === 'function_call') return String(item.arguments ?? '');
  const content = Array.isArray(item.content) ? (item.content as Record<string, unknown>[]) : [];
  return content
    .map((p) => (typeof p.text === 'string' ? p.text : typeof p.transcript === 'string' ? p.transcript : ''))
    .filter((t) => t !== '')
    .join(' ');
}
