import type { ConversationSummary, PartSummary } from './content.js';
import { countTokens, tokenize } from './tokens.js';

/** The longest stretch of the user's text an answer quotes back. */
const QUOTE_LIMIT_CHARS = 1000;

/**
 * The largest token budget a request may ask for. Real models stop well below it (128k at most);
 * the answer is built in memory, so an absurd budget must be refused rather than attempted.
 */
export const MAX_ANSWER_TOKENS = 200_000;

/** Repeated after the answer proper when a client asks for more tokens than it has. */
const FILLER =
  ' The provider simulator keeps writing this filler sentence so that a long answer streams at a realistic length.';

/** A finished answer, token by token, with the usage a provider would report for it. */
export interface Answer {
  tokens: string[];
  /** `length` whenever a token budget was given: the answer is cut or padded to exactly that size. */
  finish: 'stop' | 'length';
  promptTokens: number;
}

/**
 * The deterministic answer to a chat request: it names the model, quotes the last user text and
 * describes every image and audio part, so a test can read back what the provider received.
 * With `maxTokens` the answer is exactly that many tokens long, which lets a benchmark ask for
 * a 4,000-token answer; without it the answer ends naturally.
 */
export function composeAnswer(summary: ConversationSummary, maxTokens: number | undefined): Answer {
  const promptTokens = summary.promptTexts.reduce((sum, text) => sum + countTokens(text), 0);
  const base = tokenize(answerText(summary));
  if (maxTokens === undefined) return { tokens: base, finish: 'stop', promptTokens };
  const tokens = base.slice(0, maxTokens);
  const filler = tokenize(FILLER);
  for (let i = 0; tokens.length < maxTokens; i = (i + 1) % filler.length) tokens.push(filler[i] ?? ' ');
  return { tokens, finish: 'length', promptTokens };
}

function answerText(summary: ConversationSummary): string {
  const images = summary.parts.filter((p) => p.type === 'image');
  const audio = summary.parts.filter((p) => p.type === 'audio');
  const lines = [
    `Simulated answer from ${summary.model}. ${quote(summary.lastUserText)}`,
    `I received ${plural(summary.messages, 'message')}, ${plural(images.length, 'image')} and ${plural(audio.length, 'audio part')}.`,
    ...images.map((part, i) => `Image ${i + 1}: ${describe(part)}.`),
    ...audio.map((part, i) => `Audio ${i + 1}: ${describe(part)}.`),
  ];
  return lines.join('\n');
}

function quote(text: string | undefined): string {
  if (text === undefined || text.trim() === '') return 'Your last message had no text.';
  if (text.length <= QUOTE_LIMIT_CHARS) return `You said: "${text}"`;
  return `You said: "${text.slice(0, QUOTE_LIMIT_CHARS)}" and ${text.length - QUOTE_LIMIT_CHARS} more characters.`;
}

function describe(part: PartSummary): string {
  if (part.type === 'image' && part.source === 'inline') return `${part.format} ${part.widthPx}x${part.heightPx}, ${part.bytes} bytes`;
  if (part.type === 'image') return `by URL from ${part.host}, not fetched (the simulator works offline)`;
  if (part.type === 'audio') {
    const format = part.format ?? part.declaredFormat ?? 'unknown format';
    const duration = part.durationMs === undefined ? '' : `, ${(part.durationMs / 1000).toFixed(2)} s`;
    return `${format}, ${part.bytes} bytes${duration}`;
  }
  return part.type;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
