import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/** What the fake provider saw on one socket. */
export interface ProviderSocket {
  readonly kind: 'openai' | 'glm';
  readonly url: string;
  readonly authorization: string | undefined;
  /** Text frames received, as sent. */
  readonly frames: string[];
  readonly socket: WebSocket;
}

/**
 * A minimal realtime provider for the relay's tests: OpenAI GA at `/openai/v1/realtime` and
 * GLM-Realtime at `/zhipu/api/paas/v4/realtime`, each answering `response.create` with audio deltas
 * (`response.metadata.deltas` of them), a transcript and `response.done` with usage; OpenAI's
 * confirms every `conversation.item.truncate`. A GLM user
 * item whose text has `[late audio]` makes the next answer send an audio and a transcript delta
 * after its `response.done`, as GLM now and then does.
 */
export interface FakeProvider {
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly sockets: ProviderSocket[];
  openSockets(): number;
  close(): Promise<void>;
}

/** 20 ms of 24 kHz PCM16 silence-ish audio, base64: the delta every fake response sends. */
export const FAKE_DELTA = Buffer.alloc(960, 7).toString('base64');

export async function startFakeProvider(): Promise<FakeProvider> {
  const sockets: ProviderSocket[] = [];
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket, request) => {
    const url = request.url ?? '';
    const kind = url.startsWith('/zhipu/') ? 'glm' : 'openai';
    const record: ProviderSocket = { kind, url, authorization: request.headers.authorization, frames: [], socket };
    sockets.push(record);
    const send = (event: object) => socket.send(JSON.stringify(event));
    if (kind === 'openai') send({ type: 'session.created', event_id: 'ev_1', session: { type: 'realtime', id: 'sess_1' } });
    else {
      send({ type: 'session.created', event_id: 'ev_1', session: { id: 'sess_glm' } });
      send({ type: 'heartbeat' });
    }
    let lateAudio = false;
    socket.on('message', (data) => {
      const text = String(data);
      record.frames.push(text);
      const event = JSON.parse(text) as { type: string; response?: { metadata?: { deltas?: string } } };
      if (event.type === 'conversation.item.create') lateAudio = text.includes('[late audio]');
      if (event.type === 'session.update' && kind === 'glm') send({ type: 'session.updated', session: {} });
      if (event.type === 'conversation.item.truncate' && kind === 'openai') {
        const { item_id, content_index, audio_end_ms } = event as { item_id?: string; content_index?: number; audio_end_ms?: number };
        send({ type: 'conversation.item.truncated', event_id: 'ev_tr', item_id, content_index, audio_end_ms });
      }
      if (event.type !== 'response.create') return;
      const deltas = Number(event.response?.metadata?.deltas ?? 3);
      if (kind === 'openai') {
        send({ type: 'response.created', response: { id: 'resp_1' } });
        for (let i = 0; i < deltas; i++) {
          socket.send(`{"type":"response.output_audio.delta","event_id":"ev_d${i}","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"${FAKE_DELTA}"}`);
        }
        send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_0', content_index: 0, transcript: 'hello there' });
        send({ type: 'response.output_audio_transcript.done', item_id: 'item_1', transcript: 'general kenobi' });
        send({ type: 'response.done', response: { id: 'resp_1', status: 'completed', usage: { total_tokens: 30, input_tokens: 10, output_tokens: 20 } } });
      } else {
        send({ type: 'response.created', response: { id: 'resp_g' } });
        send({ type: 'conversation.item.created', item: { id: 'item_g', type: 'message', role: 'assistant', content: [] } });
        for (let i = 0; i < deltas; i++) send({ type: 'response.audio.delta', response_id: 'resp_g', output_index: 0, content_index: 0, delta: FAKE_DELTA });
        send({ type: 'heartbeat' });
        send({ type: 'response.audio.done', response_id: 'resp_g' });
        send({ type: 'response.audio_transcript.done', transcript: '你好' });
        send({ type: 'response.done', response: { id: 'resp_g', status: 'completed', usage: { total_tokens: 0, input_tokens: 0, output_tokens: 0 } } });
        if (lateAudio) {
          send({ type: 'response.audio.delta', response_id: 'resp_g', output_index: 0, content_index: 0, delta: FAKE_DELTA });
          send({ type: 'response.audio_transcript.delta', delta: '再见' });
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    sockets,
    openSockets: () => sockets.filter((s) => s.socket.readyState === s.socket.OPEN || s.socket.readyState === s.socket.CONNECTING).length,
    async close() {
      for (const s of sockets) s.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
    },
  };
}
