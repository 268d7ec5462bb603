import t from 'tap';
import { WebSocket } from 'ws';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';

// No ALLOWED_ORIGINS: the gateway's own origin is the only one its page may open sockets from.
const stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '0', MAX_REALTIME_SESSIONS_PER_CLIENT: '0' } });
t.teardown(() => stack.stop());

const gateway = `127.0.0.1:${stack.ports.gateway}`;
const own = `http://${gateway}`;
/** Pages a hijacking site could open a socket from, and spellings meant to pass a loose check. */
const FOREIGN = [
  'https://evil.example',
  'null',
  `http://${gateway}.evil.example`,
  `http://evil.example/${gateway}`,
  'http://127.0.0.1:1',
  `https://${gateway}`,
  `http://localhost:${stack.ports.gateway}`,
  'file://',
  '',
];

/** Each WebSocket route, what it must do without an Origin, and where it is. */
const ROUTES: { name: string; url: string; missingOriginAllowed: boolean }[] = [
  // The page's push channel: programs may follow turns too, and they send no Origin.
  { name: 'page push channel /api/ws', url: `ws://${gateway}/api/ws`, missingOriginAllowed: true },
  // The page's realtime socket: programs have /v1/realtime, so a missing Origin is refused.
  { name: 'page realtime /api/realtime/ws', url: `ws://${gateway}/api/realtime/ws?model=gpt-realtime`, missingOriginAllowed: false },
  // Programs' realtime socket: no Origin is normal, a browser's foreign one is not.
  { name: 'programs realtime /v1/realtime', url: `ws://${gateway}/v1/realtime?model=gpt-realtime`, missingOriginAllowed: true },
  // The relay's own endpoint, reachable on its port: it serves the gateway and programs, never a page.
  { name: 'relay /v1/realtime (direct)', url: `ws://127.0.0.1:${stack.ports['realtime-relay']}/v1/realtime?model=gpt-realtime`, missingOriginAllowed: true },
];

/** Tries an upgrade; the HTTP status it was refused with, or 101 when a socket opened. */
function upgrade(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: origin === undefined ? {} : { Origin: origin }, perMessageDeflate: false, handshakeTimeout: 15_000 });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}

t.test('a foreign, null or forged Origin is refused on every WebSocket route', async (t) => {
  let tried = 0;
  let refused = 0;
  let missingOriginRefused = 0;
  for (const route of ROUTES) {
    for (const origin of FOREIGN) {
      tried += 1;
      const status = await upgrade(route.url, origin);
      if (status === 403) refused += 1;
      t.equal(status, 403, `${route.name}, Origin ${JSON.stringify(origin)}: 403`);
    }
    const missing = await upgrade(route.url, undefined);
    if (route.missingOriginAllowed) t.equal(missing, 101, `${route.name}: a program without an Origin is served`);
    else {
      missingOriginRefused += 1;
      t.equal(missing, 403, `${route.name}: no Origin is refused here`);
    }
    if (!route.url.includes(String(stack.ports['realtime-relay']))) t.equal(await upgrade(route.url, own), 101, `${route.name}: the gateway's own page is served`);
  }
  // The page's own realtime socket still reaches the relay, which sees no browser Origin.
  await recordReliability({
    id: 'hostile/cross-site-websocket',
    section: 'hostile',
    title: 'Cross-site WebSocket hijacking: upgrades from foreign, null and look-alike Origins on every WebSocket route (page push, page realtime, /v1/realtime, the relay itself)',
    figures: { routes: ROUTES.length, foreignOriginsTried: tried, refused403: refused, missingOriginRoutesRefused: missingOriginRefused },
    passed: refused === tried,
  });
});
