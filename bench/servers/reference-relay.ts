import { open as openInspector, url as inspectorUrl } from 'node:inspector';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { reportReady } from '../lib/child.js';

/**
 * The reference relay of `realtime-relay`: the kind of relay the OpenAI console ships, a `ws`
 * server piping frames to the provider and back unparsed, in its own process. Usage:
 * reference-relay.ts <provider-ws-url> <api-key>; the client's query string (`?model=…`) is passed on.
 */

const [providerUrl, apiKey] = process.argv.slice(2);
if (!providerUrl || !apiKey) throw new Error('usage: reference-relay.ts <provider-ws-url> <api-key>');

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (client, request) => {
  const query = new URL(request.url ?? '/', 'http://relay.invalid').search;
  const upstream = new WebSocket(`${providerUrl}${query}`, { headers: { authorization: `Bearer ${apiKey}` }, perMessageDeflate: false });
  // What the client sends before the provider has answered waits for it.
  const queued: [RawData, boolean][] = [];
  client.on('message', (data, binary) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data, { binary }) : queued.push([data, binary])));
  upstream.on('open', () => {
    for (const [data, binary] of queued.splice(0)) upstream.send(data, { binary });
  });
  upstream.on('message', (data, binary) => client.send(data, { binary }));
  const end = () => {
    client.close();
    if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    else upstream.close();
  };
  for (const socket of [client, upstream]) socket.on('close', end).on('error', end);
});
wss.on('listening', () => {
  const address = wss.address();
  if (typeof address !== 'object' || !address) throw new Error('relay has no TCP address');
  process.once('SIGTERM', () => process.exit(0));
  // Bench instrumentation, not relaying: its memory is read after a garbage collection, as ours is.
  openInspector(0, '127.0.0.1');
  reportReady({ port: address.port, inspectorUrl: inspectorUrl() });
});
