import { hostileMedia } from './hostile-media.js';
import { hostileUpgrades, hostileWsCases, type WsCase } from './hostile-ws-corpus.js';
import { rawRequest, verbatim, type RawRequest } from './hostile-http.js';

/** Which process an input is sent to (each listens on its own port). */
export type Target = 'gateway' | 'session' | 'llm-text' | 'realtime-relay';

/** One malformed HTTP request and where it goes. Every one of them must be refused. */
export interface HttpCase {
  readonly kind: 'http';
  readonly id: string;
  readonly family: string;
  readonly target: Target;
  readonly request: RawRequest;
  /**
   * Framing so broken that no HTTP answer can be owed (a CONNECT nobody serves, a smuggled length):
   * a close without an answer is a refusal too.
   */
  readonly mayClose?: boolean;
}

export type HostileCase = HttpCase | WsCase;

/** A small deterministic generator (mulberry32): the same seed gives the same corpus. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID_ID = 'hostile0000aaaa';
const TEXT_MODEL = 'gpt-4o-mini';
const REALTIME_MODEL = 'gpt-realtime';
const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n';
const json = 'application/json';

/** The JSON routes and a body each would accept; every mutation below breaks it. */
const JSON_ROUTES: { family: string; method: string; path: string; base: Record<string, unknown> }[] = [
  { family: 'chat', method: 'POST', path: '/api/chat', base: { model: TEXT_MODEL, message: { role: 'user', content: [{ type: 'text', text: 'hi' }] } } },
  { family: 'conversation-rename', method: 'PATCH', path: `/api/conversations/${VALID_ID}`, base: { title: 'A title' } },
  { family: 'webrtc-call', method: 'POST', path: `/api/realtime/calls?model=${REALTIME_MODEL}`, base: { sdp: SDP, voice: 'alloy' } },
  { family: 'v1-chat', method: 'POST', path: '/v1/chat/completions', base: { model: TEXT_MODEL, messages: [{ role: 'user', content: 'hi' }] } },
  { family: 'v1-client-secret', method: 'POST', path: '/v1/realtime/client_secrets', base: { session: { type: 'realtime', model: REALTIME_MODEL } } },
];

const nest = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

/** Bodies that are broken JSON, or JSON of the wrong shape, for a route whose good body is `base`. */
function jsonMutations(base: Record<string, unknown>, overLimitChars: number, random: () => number): { name: string; body: Buffer | string; type?: string | undefined }[] {
  const good = JSON.stringify(base);
  const keys = Object.keys(base);
  const out: { name: string; body: Buffer | string; type?: string | undefined }[] = [];
  // Cut anywhere: the end of a value, the middle of a string, after a colon.
  for (let i = 0; i < 16; i++) {
    const at = 1 + Math.floor(random() * (good.length - 2));
    out.push({ name: `truncated-at-${at}`, body: good.slice(0, at) });
  }
  for (const depth of [1_000, 10_000, 100_000]) {
    out.push({ name: `nested-arrays-${depth}`, body: nest(depth, '[', ']') });
    out.push({ name: `nested-in-field-${depth}`, body: `{"${keys[0]}":${nest(depth, '{"a":', '}')}}` });
  }
  out.push({ name: 'nested-objects-10000', body: nest(10_000, '{"a":', '}', '{}') });
  const wrongValues: [string, string][] = [
    ['null', 'null'],
    ['number', '-1'],
    ['huge-number', '1e309'],
    ['bool', 'true'],
    ['array', '[[],{}]'],
    ['object', '{"$gt":""}'],
    ['empty-string', '""'],
    ['negative-zero', '-0.0e-0'],
  ];
  for (const key of keys) {
    for (const [name, value] of wrongValues) out.push({ name: `${key}-as-${name}`, body: good.replace(`"${key}":`, `"${key}":${value},"_was":`) });
  }
  for (const [name, body] of [
    ['empty', ''],
    ['whitespace', '   \n\t '],
    ['null', 'null'],
    ['array', '[]'],
    ['string', '"hello"'],
    ['number', '0'],
    ['bool', 'false'],
  ] as const) {
    out.push({ name: `body-${name}`, body });
  }
  const first = keys[0] ?? 'x';
  for (const size of [200_000, 900_000]) out.push({ name: `huge-string-${size}`, body: JSON.stringify({ ...base, [first]: 'x'.repeat(size) }) });
  out.push({ name: 'huge-wrong-type', body: JSON.stringify({ ...base, [first]: { padding: 'y'.repeat(500_000) } }) });
  out.push({ name: 'over-body-limit', body: JSON.stringify({ ...base, padding: 'z'.repeat(overLimitChars) }) });
  out.push({ name: 'many-keys', body: JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]))) });
  // Invalid UTF-8 inside a string value, and a lone surrogate written as an escape.
  for (const [name, bytes] of [
    ['invalid-utf8-ff', [0xff, 0xfe]],
    ['overlong-slash', [0xc0, 0xaf]],
    ['encoded-surrogate', [0xed, 0xa0, 0x80]],
    ['cut-multibyte', [0xe2, 0x82]],
    ['nul-bytes', [0x00, 0x00]],
  ] as const) {
    out.push({ name, body: Buffer.concat([Buffer.from(`${good.slice(0, -1)},"${first}":"`), Buffer.from(bytes), Buffer.from('"}')]) });
  }
  out.push({ name: 'lone-surrogate-escape', body: JSON.stringify({ ...base, [first]: 42 }).replace('42', '"\\ud800"') });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json-patch+json', 'image/png']) {
    out.push({ name: `content-type-${type.split(/[;/]/)[1]}`, body: good, type });
  }
  out.push({ name: 'no-content-type', body: good, type: undefined });
  out.push({ name: 'proto-pollution', body: `{"__proto__":{"polluted":true},${good.slice(1)}` });
  out.push({ name: 'constructor-prototype', body: `{"constructor":{"prototype":{"polluted":true}},${good.slice(1)}` });
  out.push({ name: 'duplicate-key-last-bad', body: `${good.slice(0, -1)},"${first}":{"bad":true}}` });
  out.push({ name: 'bom-and-trailing-comma', body: `\ufeff${good.slice(0, -1)},}` });
  out.push({ name: 'nan-literal', body: `${good.slice(0, -1)},"n":NaN}` });
  out.push({ name: 'comment', body: `/* c */${good}` });
  out.push({ name: 'single-quotes', body: good.replaceAll('"', "'") });
  out.push({ name: 'two-documents', body: `${good}${good}` });
  return out;
}

/** Requests whose framing lies: lengths, chunking, both at once. */
function framingCases(path: string): { name: string; request: RawRequest; mayClose?: boolean }[] {
  const body = '{"a":1}';
  const post = (headers: string) => verbatim(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: ${json}\r\n${headers}\r\n`);
  return [
    { name: 'length-short', request: verbatim(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: ${json}\r\nContent-Length: 3\r\n\r\n${body}`) },
    { name: 'length-negative', request: post(`Content-Length: -1\r\n\r\n${body}`), mayClose: true },
    { name: 'length-garbage', request: post(`Content-Length: abc\r\n\r\n${body}`), mayClose: true },
    { name: 'length-twice', request: post(`Content-Length: 7\r\nContent-Length: 8\r\n\r\n${body}`), mayClose: true },
    { name: 'length-and-chunked', request: post(`Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n${body}\r\n0\r\n\r\n`), mayClose: true },
    { name: 'chunk-size-garbage', request: post(`Transfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`), mayClose: true },
    { name: 'chunk-size-huge', request: post(`Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n${body}\r\n0\r\n\r\n`), mayClose: true },
    { name: 'transfer-encoding-unknown', request: post(`Transfer-Encoding: gzip, identity\r\n\r\n${body}`), mayClose: true },
  ];
}

/** Ids and queries no route should take: traversal, encodings, sizes, injections. */
const BAD_IDS = [
  '.',
  '..',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2fpackage.json',
  'a'.repeat(65),
  'a'.repeat(5_000),
  '%00',
  'abc%00def12345',
  '%ff%fe%fd',
  '%',
  '%zz',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  "'%20OR%201=1%20--",
  '%c3%a9t%c3%a9aaaaaaaa',
  '$%7Bjndi:ldap:%2F%2Fx%7D',
  '..%5c..%5cwindows',
  'id;rm%20-rf',
  '%ef%bc%8e%ef%bc%8e%ef%bc%8f',
  '%252e%252e%252f',
];

const ID_ROUTES: { family: string; method: string; path: (id: string) => string }[] = [
  { family: 'turn-poll', method: 'GET', path: (id) => `/api/turns/${id}` },
  { family: 'turn-stream', method: 'GET', path: (id) => `/api/turns/${id}/stream` },
  { family: 'turn-stop', method: 'POST', path: (id) => `/api/turns/${id}/stop` },
  { family: 'attachment-get', method: 'GET', path: (id) => `/api/attachments/${id}` },
  { family: 'conversation-get', method: 'GET', path: (id) => `/api/conversations/${id}` },
  { family: 'conversation-delete', method: 'DELETE', path: (id) => `/api/conversations/${id}` },
  { family: 'webrtc-hangup', method: 'POST', path: (id) => `/api/realtime/calls/${id}/hangup` },
  { family: 'v1-model', method: 'GET', path: (id) => `/v1/models/${id}` },
];

/** Files outside the page's folder, asked for in every spelling a path check might miss. */
function traversalPaths(): string[] {
  const targets = ['package.json', 'etc/passwd', '.env', 'services/gateway/dist/config.js'];
  const ups = [
    '../../../',
    '%2e%2e/%2e%2e/%2e%2e/',
    '..%2f..%2f..%2f',
    '%2e%2e%2f%2e%2e%2f%2e%2e%2f',
    '%252e%252e%252f%252e%252e%252f',
    '..%5c..%5c..%5c',
    '....//....//....//',
    '%c0%ae%c0%ae/%c0%ae%c0%ae/',
    'assets/../../../../',
    '.%2e/.%2e/.%2e/',
    '..;/..;/..;/',
    '%2e%2e%5c%2e%2e%5c',
  ];
  const paths = targets.flatMap((target) => ups.map((up) => `/${up}${target}`));
  paths.push('/.git/config', '/.env', '/index.html%00.png', '//etc/passwd', '/%2fetc%2fpasswd', '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fREADME.md');
  return paths;
}

/** Header sections a server must refuse rather than choke on. */
function headerFloods(method: string, path: string): { name: string; request: RawRequest; mayClose?: boolean }[] {
  const start = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
  const many = (count: number, make: (i: number) => string) => Array.from({ length: count }, (_, i) => make(i)).join('');
  return [
    { name: 'headers-2000', request: verbatim(`${start}${many(2_000, (i) => `X-Flood-${i}: ${i}\r\n`)}\r\n`) },
    { name: 'header-100kb', request: verbatim(`${start}X-Big: ${'b'.repeat(100_000)}\r\n\r\n`) },
    { name: 'cookie-64kb', request: verbatim(`${start}Cookie: ${many(4_000, (i) => `c${i}=xxxxxxxxxxx; `)}\r\n\r\n`) },
    { name: 'url-20kb', request: verbatim(`${method} ${path}?q=${'u'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`) },
    { name: 'header-no-colon', request: verbatim(`${start}NoColonHere\r\n\r\n`), mayClose: true },
    { name: 'header-obs-fold', request: verbatim(`${start}X-Folded: a\r\n  b\r\n\r\n`), mayClose: true },
    { name: 'header-nul', request: verbatim(`${start}X-Nul: a\u0000b\r\n\r\n`), mayClose: true },
    { name: 'header-name-space', request: verbatim(`${start}Bad Name: x\r\n\r\n`), mayClose: true },
    { name: 'no-host', request: verbatim(`${method} ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`) },
    { name: 'headers-100-long', request: verbatim(`${start}${many(100, (i) => `X-Long-${i}: ${'v'.repeat(200)}\r\n`)}\r\n`) },
    { name: 'bare-lf', request: verbatim(`${method} ${path} HTTP/1.1\nHost: 127.0.0.1\nX-A: 1\n\n`), mayClose: true },
  ];
}

/** Request lines that are not HTTP, or not the HTTP a server takes. */
const BROKEN_LINES = [
  'GET\r\n\r\n',
  'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
  'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n',
  'G\u00e9T / HTTP/1.1\r\nHost: x\r\n\r\n',
  '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n',
  'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n',
  '\r\n\r\n\r\n\r\n',
];

/** The whole corpus, the same for the same seed. */
export function hostileCorpus(seed: number): HostileCase[] {
  const random = seededRandom(seed);
  const cases: HostileCase[] = [];
  const http = (family: string, name: string, request: RawRequest, target: Target = 'gateway', mayClose = false) =>
    cases.push({ kind: 'http', id: `${family}/${name}#${cases.length}`, family, target, request, ...(mayClose ? { mayClose } : {}) });

  for (const route of JSON_ROUTES) {
    for (const m of jsonMutations(route.base, route.path.startsWith('/v1/chat') ? 49 * 1024 * 1024 : 2 * 1024 * 1024, random)) {
      const headers: [string, string][] = m.type === undefined && m.name === 'no-content-type' ? [] : [['Content-Type', m.type ?? json]];
      const big = (typeof m.body === 'string' ? m.body.length : m.body.length) > 1_000_000;
      http(route.family, m.name, rawRequest(route.method, route.path, headers, m.body, big ? { bodyAfterMs: 300 } : {}));
    }
    for (const f of framingCases(route.path)) http(route.family, f.name, f.request, 'gateway', f.mayClose ?? false);
  }

  for (const route of ID_ROUTES) {
    for (const id of BAD_IDS) http(route.family, `id-${id.slice(0, 24)}`, rawRequest(route.method, route.path(id)));
    // Ids of the right shape that name nothing.
    http(route.family, 'unknown-id', rawRequest(route.method, route.path('nosuchthing123456')));
    for (const method of ['PUT', 'TRACE', 'PROPFIND']) http(route.family, `method-${method}`, rawRequest(method, route.path(VALID_ID)));
  }
  for (const after of ['-1', '1e99', 'abc', '99999999999', '%00', '1.5', '0x10', '%20%201']) {
    http('turn-poll', `after-${after}`, rawRequest('GET', `/api/turns/${VALID_ID}?after=${after}`));
    http('turn-stream', `after-${after}`, rawRequest('GET', `/api/turns/${VALID_ID}/stream?after=${after}`));
  }
  http('turn-poll', 'after-array', rawRequest('GET', `/api/turns/${VALID_ID}?after[]=1&after=2`));
  for (const id of ['abc', '-5', '9'.repeat(400)]) http('turn-stream', `last-event-id-${id.slice(0, 8)}`, rawRequest('GET', `/api/turns/${VALID_ID}/stream`, [['Last-Event-ID', id]]));
  for (const query of ['', '?model=', `?model=${'m'.repeat(300)}`, '?model[]=x', '?model=gpt-4o-mini', '?model=no-such-model']) {
    http('webrtc-call', `query-${query.slice(0, 20)}`, rawRequest('POST', `/api/realtime/calls${query}`, [['Content-Type', json]], JSON.stringify({ sdp: query.includes('gpt-4o-mini') || query.includes('no-such') ? SDP : '' })));
  }
  // SDP bodies that are not WebRTC offers, for a model session does call.
  for (const [name, sdp] of [
    ['not-sdp', 'hello'],
    ['no-media', 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'],
    ['no-ice', 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n'],
    ['binary-junk', Buffer.from(Array.from({ length: 256 }, () => Math.floor(random() * 256))).toString('latin1')],
    ['over-limit', `v=0\r\n${'a=x\r\n'.repeat(40_000)}`],
    ['crlf-injection', `${SDP}\r\n--boundary\r\nContent-Disposition: form-data; name="session"\r\n\r\n{}`],
  ] as const) {
    http('webrtc-sdp', name, rawRequest('POST', `/api/realtime/calls?model=${REALTIME_MODEL}`, [['Content-Type', json]], JSON.stringify({ sdp })));
  }

  for (const path of traversalPaths()) http('static-traversal', path.slice(0, 40), rawRequest('GET', path));

  const floodRoutes: [string, string][] = [
    ['GET', '/'],
    ['GET', '/api/models'],
    ['POST', '/api/chat'],
    ['GET', '/v1/models'],
    ['GET', '/healthz'],
  ];
  for (const [method, path] of floodRoutes) for (const f of headerFloods(method, path)) http('header-flood', `${f.name}-${path}`, f.request, 'gateway', f.mayClose ?? false);
  for (const line of BROKEN_LINES) http('request-line', JSON.stringify(line.slice(0, 16)), verbatim(line), 'gateway', true);

  for (const upload of hostileMedia(random)) {
    http('upload', upload.name, rawRequest('POST', '/api/attachments', [['Content-Type', upload.type]], upload.bytes));
    const kind = upload.type.startsWith('audio/') ? 'input_audio' : 'image_url';
    const part =
      kind === 'image_url'
        ? { type: 'image_url', image_url: { url: `data:${upload.type};base64,${upload.bytes.toString('base64')}` } }
        : { type: 'input_audio', input_audio: { data: upload.bytes.toString('base64'), format: 'wav' } };
    const body = JSON.stringify({ model: TEXT_MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, part] }] });
    http('v1-inline-media', upload.name, rawRequest('POST', '/v1/chat/completions', [['Content-Type', json]], body, body.length > 1_000_000 ? { bodyAfterMs: 300 } : {}));
  }

  // The other services answer only health and metrics over HTTP (and the relay its WebSocket).
  for (const target of ['session', 'llm-text', 'realtime-relay'] as const) {
    for (const [method, path] of [
      ['GET', '/nothing-here'],
      ['POST', '/healthz'],
      ['DELETE', '/metrics'],
      ['GET', '/../../etc/passwd'],
      ['GET', '/%2e%2e/%2e%2e/package.json'],
      ['GET', `/readyz?${'q'.repeat(20_000)}`],
      ['GET', '/v1/realtime'],
      ['PUT', '/v1/realtime?model=gpt-realtime'],
    ] as const) {
      http(`${target}-http`, `${method}-${path.slice(0, 24)}`, rawRequest(method, path), target);
    }
    http(`${target}-http`, 'json-to-health', rawRequest('POST', '/readyz', [['Content-Type', json]], nest(10_000, '[', ']')), target);
    for (const f of headerFloods('GET', '/healthz').slice(0, 4)) http(`${target}-http`, f.name, f.request, target);
  }

  for (const upgrade of hostileUpgrades()) http('ws-upgrade', upgrade.name, verbatim(upgrade.head), upgrade.target);
  cases.push(...hostileWsCases(random));
  return cases;
}
