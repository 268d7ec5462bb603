import type { ConversationSummary, PartSummary } from './content.js';
import { countTokens, tokenize } from './tokens.js';

/** The longest stretch of the user's text an answer quotes back. */
const QUOTE_LIMIT_CHARS = 1000;

/**
 * The largest token budget a request may ask for. Real models stop well below it (128k at most);
 * the answer is built in memory, so an absurd budget must be refused rather than attempted.
 */
export const MAX_ANSWER_TOKENS = 200_000;

/** Repeated after the answer proper when a request asks for a longer answer than it has. */
const FILLER =
  ' The provider simulator keeps writing this filler sentence so that a long answer streams at a realistic length.';

/** A finished answer, token by token, with the usage a provider would report for it. */
export interface Answer {
  tokens: string[];
  /**
   * `length` when the token budget cut the answer short, as a real model reports it;
   * `content_filter` when a `[sim:filter]` directive asked it to withhold the rest.
   */
  finish: 'stop' | 'length' | 'content_filter';
  promptTokens: number;
}

/**
 * How the request asked for the answer to be sampled and shaped, in one form for every provider,
 * as `GET /_sim/requests` shows it. The simulator honours what changes an answer it can check:
 * stop sequences cut it, a JSON format makes it a JSON object; the rest is only recorded.
 */
export interface Sampling {
  stop?: string[];
  topP?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: 'json_object' | 'json_schema';
}

/** `[sim:filter]` in the user's text: the answer breaks off after a few tokens as withheld by a safety filter. */
const FILTER_DIRECTIVE = '[sim:filter]';
const TOKENS_BEFORE_FILTER = 3;

/**
 * Asks the simulator for an answer of exactly N tokens, e.g. `[sim:tokens=4000]` in the user's
 * text: how a benchmark gets a long answer while ordinary requests get short, readable ones.
 */
const LENGTH_DIRECTIVE = /\[sim:tokens=(\d{1,6})\]/;

/**
 * The deterministic answer to a chat request: it names the model, quotes the last user text and
 * describes every image and audio part, so a test can read back what the provider received.
 * `maxTokens` caps it like a real model's budget; a length directive in the text pads it with
 * filler to the asked length.
 */
export function composeAnswer(summary: ConversationSummary, maxTokens: number | undefined, sampling: Sampling = {}): Answer {
  const promptTokens = summary.promptTexts.reduce((sum, text) => sum + countTokens(text), 0);
  if (summary.lastUserText?.includes(FILTER_DIRECTIVE)) {
    return { tokens: tokenize(answerText(summary)).slice(0, TOKENS_BEFORE_FILTER), finish: 'content_filter', promptTokens };
  }
  // A JSON answer is the same answer as an object, so that a program can parse what it asked for.
  const text = sampling.responseFormat === undefined ? answerText(summary) : JSON.stringify({ model: summary.model, answer: answerText(summary) });
  const stopAt = firstStop(text, sampling.stop);
  // As real models do, the stop sequence itself is not part of the answer.
  if (stopAt !== undefined) return { tokens: tokenize(text.slice(0, stopAt)), finish: 'stop', promptTokens };
  const tokens = tokenize(text);
  const asked = LENGTH_DIRECTIVE.exec(summary.lastUserText ?? '')?.[1];
  const target = Math.min(asked === undefined ? tokens.length : Number(asked), MAX_ANSWER_TOKENS);
  const filler = tokenize(FILLER);
  for (let i = 0; tokens.length < target; i = (i + 1) % filler.length) tokens.push(filler[i] ?? ' ');
  tokens.length = Math.min(target, tokens.length);
  if (maxTokens !== undefined && maxTokens < tokens.length) {
    tokens.length = maxTokens;
    return { tokens, finish: 'length', promptTokens };
  }
  return { tokens, finish: 'stop', promptTokens };
}

/** Where the earliest of the stop sequences begins in `text`, if any does. */
function firstStop(text: string, stop: string[] | undefined): number | undefined {
  let first: number | undefined;
  for (const sequence of stop ?? []) {
    const at = text.indexOf(sequence);
    if (at >= 0 && (first === undefined || at < first)) first = at;
  }
  return first;
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
