import OpenAI from 'openai';
import { SseReader } from './sse.js';

/**
 * The two ways a chat turn is driven in the chat scenarios: the official `openai` SDK (directly
 * at the simulator, or at the gateway's `/v1`), and the page's `POST /api/chat` with
 * `Accept: text/event-stream`. Each reads the whole answer and says when its first text arrived.
 */

export interface TurnResult {
  /** From sending the request to the first non-empty piece of answer text. */
  readonly ttftMs: number;
  /** From sending the request to the end of the stream. */
  readonly totalMs: number;
  readonly text: string;
  /** The turn ended as finished (finish reason / `done` chunk), not as an error or a cut stream. */
  readonly done: boolean;
}

/** The model every chat scenario asks for: an OpenAI one, so both sides reach the same simulator route. */
export const CHAT_MODEL = 'gpt-4o-mini';
/** Any non-empty key is accepted by the simulator; the gateway's `/v1` takes none from loopback. */
const SIM_KEY = 'sim-openai-key';

export function openAiClient(baseURL: string): OpenAI {
  // No retries: a failed request must show up as a failure, not as a slow success.
  return new OpenAI({ apiKey: SIM_KEY, baseURL, maxRetries: 0, timeout: 60_000 });
}

/** The SDK client for the simulator's OpenAI routes. */
export const simulatorClient = (simulatorUrl: string): OpenAI => openAiClient(`${simulatorUrl}/openai/v1`);

/** The SDK client for the gateway's OpenAI-compatible endpoint. */
export const gatewayV1Client = (gatewayUrl: string): OpenAI => openAiClient(`${gatewayUrl}/v1`);

/** One streamed completion through the SDK; `maxTokens` lifts the answer's budget. */
export async function sdkTurn(client: OpenAI, prompt: string, maxTokens?: number): Promise<TurnResult> {
  const startedMs = performance.now();
  let ttftMs = Number.NaN;
  let text = '';
  let done = false;
  const stream = await client.chat.completions.create({
    model: CHAT_MODEL,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
    ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }),
  });
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const piece = choice?.delta?.content;
    if (piece) {
      if (text === '') ttftMs = performance.now() - startedMs;
      text += piece;
    }
    if (choice?.finish_reason) done = true;
  }
  return { ttftMs, totalMs: performance.now() - startedMs, text, done };
}

interface Chunk {
  readonly type: string;
  readonly text?: string;
}

/** One turn through `POST /api/chat` streamed on the same request, as the page starts one. */
export async function apiChatTurn(gatewayUrl: string, prompt: string): Promise<TurnResult> {
  const startedMs = performance.now();
  const response = await fetch(`${gatewayUrl}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ model: CHAT_MODEL, message: { role: 'user', content: [{ type: 'text', text: prompt }] } }),
  });
  if (!response.ok || !response.body) throw new Error(`POST /api/chat answered ${response.status}: ${await response.text()}`);
  const sse = new SseReader();
  const decoder = new TextDecoder();
  let ttftMs = Number.NaN;
  let text = '';
  let done = false;
  const reader = response.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    for (const event of sse.push(decoder.decode(read.value, { stream: true }))) {
      if (event.event !== 'chunk') continue;
      const chunk = JSON.parse(event.data) as Chunk;
      if (chunk.type === 'delta' && chunk.text) {
        if (text === '') ttftMs = performance.now() - startedMs;
        text += chunk.text;
      } else if (chunk.type === 'done') {
        done = true;
      }
    }
  }
  return { ttftMs, totalMs: performance.now() - startedMs, text, done };
}
