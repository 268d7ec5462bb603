import { WebSocketServer, type WebSocket } from 'ws';
import { reportReady } from '../lib/child.js';

/**
 * A light realtime provider for `realtime-relay`: enough of OpenAI's GA events (`/openai/…`) and of
 * GLM-Realtime's (`/zhipu/…`) for a voice session, with prebuilt audio. The provider simulator
 * synthesises speech for every audio delta, which costs it about a millisecond of CPU per delta
 * and saturates its one core at a few dozen sessions; measured through it, the relays' figures
 * would be the simulator's queueing. Here a response is 3 s of audio in 40 ms deltas, sent as
 * fast as it plays with its transcript, then `response.done` with usage; `conversation.item.create`
 * is answered at once; appended audio is counted, not decoded. Usage: realtime-provider.ts.
 */

const DELTA_MS = 40;
const DELTAS_PER_RESPONSE = 75;
const SAMPLE_RATE_HZ = 24_000;

/** 40 ms of PCM16 at 24 kHz, base64: what both providers send per delta. */
const DELTA_AUDIO = (() => {
  const samples = (SAMPLE_RATE_HZ * DELTA_MS) / 1000;
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE_HZ)), i * 2);
  return pcm.toString('base64');
})();

type Dialect = 'openai' | 'zhipu';

/** The two dialects' names for the same server events. */
const NAMES: Record<Dialect, { itemAdded: string[]; delta: string; audioDone: string; transcriptDone: string }> = {
  openai: {
    itemAdded: ['conversation.item.added', 'conversation.item.done'],
    delta: 'response.output_audio.delta',
    audioDone: 'response.output_audio.done',
    transcriptDone: 'response.output_audio_transcript.done',
  },
  zhipu: {
    itemAdded: ['conversation.item.created'],
    delta: 'response.audio.delta',
    audioDone: 'response.audio.done',
    transcriptDone: 'response.audio_transcript.done',
  },
};

let counter = 0;
const nextId = (prefix: string) => `${prefix}_${(++counter).toString(36)}`;

function serve(socket: WebSocket, dialect: Dialect): void {
  const names = NAMES[dialect];
  const send = (event: Record<string, unknown>) => socket.send(JSON.stringify({ event_id: nextId('event'), ...event }));
  let response: NodeJS.Timeout | undefined;
  const session = { id: nextId('sess'), object: 'realtime.session', ...(dialect === 'openai' ? { type: 'realtime' } : {}) };
  send({ type: 'session.created', session });
  if (dialect === 'zhipu') socket.send('{"type":"heartbeat"}');

  const respond = () => {
    if (response !== undefined) {
      send({ type: 'error', error: { type: 'invalid_request_error', code: 'conversation_already_has_active_response', message: 'busy' } });
      return;
    }
    const responseId = nextId('resp');
    const itemId = nextId('item');
    send({ type: 'response.created', response: { id: responseId, object: 'realtime.response', status: 'in_progress' } });
    // One prebuilt frame per response: every delta of it is the same bytes, as with passthrough audio.
    const delta = JSON.stringify({ type: names.delta, response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta: DELTA_AUDIO });
    let sent = 0;
    response = setInterval(() => {
      socket.send(delta);
      if (++sent < DELTAS_PER_RESPONSE) return;
      clearInterval(response);
      response = undefined;
      const ids = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
      send({ type: names.audioDone, ...ids });
      send({ type: names.transcriptDone, ...ids, transcript: 'A bench answer.' });
      send({
        type: 'response.done',
        response: { id: responseId, object: 'realtime.response', status: 'completed', usage: { total_tokens: 90, input_tokens: 10, output_tokens: 80 } },
      });
    }, DELTA_MS);
  };

  socket.on('message', (data: Buffer) => {
    // Appends are most of the traffic; like a provider's audio input they are taken, not answered.
    if (data.length > 512 && data.includes('"input_audio_buffer.append"')) return;
    const event = JSON.parse(data.toString()) as { type?: string; item?: Record<string, unknown>; session?: unknown };
    if (event.type === 'conversation.item.create') {
      const item = { ...event.item, id: nextId('item'), object: 'realtime.item', status: 'completed' };
      for (const type of names.itemAdded) send({ type, previous_item_id: null, item });
    } else if (event.type === 'response.create') {
      respond();
    } else if (event.type === 'session.update') {
      send({ type: 'session.updated', session: { ...session, ...(event.session as object) } });
    }
  });
  socket.on('close', () => clearInterval(response));
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket, request) => serve(socket, (request.url ?? '').startsWith('/zhipu/') ? 'zhipu' : 'openai'));
wss.on('listening', () => {
  const address = wss.address();
  if (typeof address !== 'object' || !address) throw new Error('provider has no TCP address');
  process.once('SIGTERM', () => process.exit(0));
  reportReady({ port: address.port });
});
