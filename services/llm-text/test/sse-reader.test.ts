import t from 'tap';
import { readSseEvents, type SseEvent } from '../src/providers/sse-reader.js';

/** The events of a body that arrives in the given pieces, however the network cut it. */
async function eventsOf(pieces: (string | Uint8Array)[]): Promise<SseEvent[]> {
  const encoder = new TextEncoder();
  async function* body() {
    for (const piece of pieces) yield typeof piece === 'string' ? encoder.encode(piece) : piece;
  }
  const events: SseEvent[] = [];
  for await (const batch of readSseEvents(body())) events.push(...batch);
  return events;
}

const WIRE = 'data: {"a":1}\n\n: keep-alive\n\nevent: error\ndata: {"error":{"message":"no"}}\n\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';
const EXPECTED: SseEvent[] = [
  { event: undefined, data: '{"a":1}' },
  { event: 'error', data: '{"error":{"message":"no"}}' },
  { event: undefined, data: 'line one\nline two' },
  { event: undefined, data: '[DONE]' },
];

t.test('events come out whole and in order wherever the body is cut', async (t) => {
  t.same(await eventsOf([WIRE]), EXPECTED, 'in one piece');
  t.same(await eventsOf(WIRE.split('')), EXPECTED, 'a character at a time');
  t.same(await eventsOf([WIRE.replaceAll('\n', '\r\n')]), EXPECTED, 'with CRLF line ends');
  t.same(await eventsOf(WIRE.replaceAll('\n', '\r\n').split('')), EXPECTED, 'with CRLF, a character at a time');
});

t.test('a character cut between two reads arrives intact, and a last event without its blank line still counts', async (t) => {
  const bytes = new TextEncoder().encode('data: 你好\n\ndata: end');
  const events = await eventsOf([bytes.slice(0, 8), bytes.slice(8)]);
  t.same(events, [
    { event: undefined, data: '你好' },
    { event: undefined, data: 'end' },
  ]);
});
