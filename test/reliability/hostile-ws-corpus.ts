import type { Target } from './hostile-corpus.js';

/** One frame a client sends, and how the server must answer it: an `error` event, or a close with a code. */
export interface WsFrame {
  readonly name: string;
  readonly data: string | Buffer;
  readonly binary?: boolean;
  readonly expect: 'error' | { close: number };
}

/**
 * A WebSocket opened properly (the Origin the route wants) that then sends malformed frames; each
 * frame is one input of the corpus. Frames that close the socket come last.
 */
export interface WsCase {
  readonly kind: 'ws';
  readonly id: string;
  readonly family: string;
  readonly target: Target;
  readonly path: string;
  /** `own`: the gateway's own origin, as its page sends; `none`: no Origin, as a program. */
  readonly origin: 'own' | 'none';
  readonly frames: readonly WsFrame[];
}

const nest = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** Text frames whose bytes are not UTF-8: a protocol error (1007) by RFC 6455. */
const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);

/** Frames the page's push channel (`/api/ws`) answers with an `error` event each. */
function pageFrames(random: () => number): WsFrame[] {
  const sub = (fields: string) => `{"type":"turn.subscribe",${fields}}`;
  const texts: [string, string][] = [
    ['not-json', 'hello'],
    ['truncated', '{"type":"turn.subscribe","turnId":"abc'],
    ['array', '[]'],
    ['null', 'null'],
    ['number', '42'],
    ['string', '"turn.subscribe"'],
    ['empty-object', '{}'],
    ['empty-text', ''],
    ['whitespace', '   '],
    ['type-number', '{"type":1}'],
    ['type-unknown', '{"type":"turn.delete","turnId":"abcdefgh1234"}'],
    ['subscribe-no-id', '{"type":"turn.subscribe"}'],
    ['id-traversal', sub('"turnId":"../../etc/passwd"')],
    ['id-huge', sub(`"turnId":"${'a'.repeat(10_000)}"`)],
    ['id-number', sub('"turnId":12345678')],
    ['after-negative', sub('"turnId":"abcdefgh1234","after":-1')],
    ['after-string', sub('"turnId":"abcdefgh1234","after":"0"')],
    ['after-huge', sub('"turnId":"abcdefgh1234","after":1e308')],
    ['unsubscribe-no-id', '{"type":"turn.unsubscribe"}'],
    ['nested-2000', nest(2_000)],
    ['proto', '{"__proto__":{"polluted":true},"type":"turn.subscribe"}'],
    ['bom', `\ufeff${sub('"turnId":"abcdefgh1234"')}`],
    ['unknown-turn', sub(`"turnId":"nosuchturn${Math.floor(random() * 1e9)}"`)],
  ];
  return [
    ...texts.map(([name, data]): WsFrame => ({ name, data, expect: 'error' })),
    { name: 'binary', data: Buffer.from([0, 1, 2, 3, 255]), binary: true, expect: 'error' },
  ];
}

/** Frames the relay refuses itself (never forwarded), each answered by a GA `error` event. */
function realtimeFrames(): WsFrame[] {
  const texts: [string, string][] = [
    ['not-json', 'hello'],
    ['truncated', '{"type":"session.update","session":{'],
    ['array', '[1,2,3]'],
    ['null', 'null'],
    ['empty-object', '{}'],
    ['type-number', '{"type":7}'],
    ['type-unknown', '{"type":"session.delete"}'],
    ['type-huge', `{"type":"${'t'.repeat(20_000)}"}`],
    ['append-no-audio', '{"type":"input_audio_buffer.append"}'],
    ['append-audio-number', '{"type":"input_audio_buffer.append","audio":5}'],
    ['append-not-base64', '{"type":"input_audio_buffer.append","audio":"!!not base64!!"}'],
    ['session-update-string', '{"type":"session.update","session":"everything"}'],
    ['truncate-bad', '{"type":"conversation.item.truncate","item_id":5}'],
    ['item-create-bad', '{"type":"conversation.item.create","item":"x"}'],
    ['nested-5000', nest(5_000)],
  ];
  return [
    ...texts.map(([name, data]): WsFrame => ({ name, data, expect: 'error' })),
    { name: 'binary', data: Buffer.from([1, 2, 3]), binary: true, expect: 'error' },
    // Over the 1 MiB frame limit but under the socket's hard limit: refused, the session goes on.
    { name: 'frame-1.5MiB', data: `{"type":"input_audio_buffer.append","audio":"${'A'.repeat(1_500_000)}"}`, expect: 'error' },
  ];
}

/** The page channel's and both realtime routes' sessions, each ending with the frames that close it. */
export function hostileWsCases(random: () => number): WsCase[] {
  const cases: WsCase[] = [];
  const add = (family: string, target: WsCase['target'], path: string, origin: WsCase['origin'], frames: WsFrame[]) => {
    cases.push({ kind: 'ws', id: `${family}#${cases.length}`, family, target, path, origin, frames });
  };
  const page = pageFrames(random);
  add('ws-page', 'gateway', '/api/ws', 'own', [...page, { name: 'invalid-utf8', data: invalidUtf8, expect: { close: 1007 } }]);
  // Over the 16 KiB frame limit but under the socket's 64 KiB read limit: refused, the socket goes on.
  const overLimit: WsFrame = { name: 'over-16KiB', data: `"${'x'.repeat(20_000)}"`, expect: 'error' };
  add('ws-page', 'gateway', '/api/ws', 'none', [...page, overLimit, { name: 'over-64KiB', data: `"${'x'.repeat(70_000)}"`, expect: { close: 1009 } }]);
  const realtime = realtimeFrames();
  const closers: WsFrame[][] = [
    [{ name: 'invalid-utf8', data: invalidUtf8, expect: { close: 1007 } }],
    [{ name: 'frame-5MiB', data: `"${'x'.repeat(5 * 1024 * 1024)}"`, expect: { close: 1009 } }],
  ];
  for (const model of ['gpt-realtime', 'glm-realtime-flash']) {
    add('ws-realtime-page', 'gateway', `/api/realtime/ws?model=${model}`, 'own', [...realtime, ...(closers[0] ?? [])]);
    add('ws-realtime-v1', 'gateway', `/v1/realtime?model=${model}`, 'none', [...realtime, ...(closers[1] ?? [])]);
    add('ws-relay-direct', 'realtime-relay', `/v1/realtime?model=${model}`, 'none', [...realtime, ...(closers[0] ?? [])]);
  }
  return cases;
}

/** An upgrade request a WebSocket route must refuse with an HTTP error before any socket opens. */
export interface HostileUpgrade {
  readonly name: string;
  readonly target: Target;
  readonly head: string;
}

/** Handshakes that are broken, aimed where nothing listens, or asking for what a route does not serve. */
export function hostileUpgrades(): HostileUpgrade[] {
  const handshake = (method: string, path: string, extra: string[], version = '13', key = 'dGhlIHNhbXBsZSBub25jZQ==') =>
    [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Version: ${version}`, `Sec-WebSocket-Key: ${key}`, ...extra, '', ''].join('\r\n');
  const own = 'Origin: http://127.0.0.1';
  const out: HostileUpgrade[] = [];
  const routes: [Target, string, string[]][] = [
    ['gateway', '/api/ws', [own]],
    ['gateway', '/api/realtime/ws?model=gpt-realtime', [own]],
    ['gateway', '/v1/realtime?model=gpt-realtime', []],
    ['realtime-relay', '/v1/realtime?model=gpt-realtime', []],
  ];
  for (const [target, path, extra] of routes) {
    out.push({ name: `${path}-version-12`, target, head: handshake('GET', path, extra, '12') });
    out.push({ name: `${path}-bad-key`, target, head: handshake('GET', path, extra, '13', 'short') });
    out.push({ name: `${path}-post`, target, head: handshake('POST', path, extra) });
  }
  for (const target of ['gateway', 'realtime-relay'] as const) {
    for (const query of ['', '?model=', '?model=gpt-4o-mini', '?model=no-such-model', `?model=${'m'.repeat(300)}`, '?model=gpt-realtime&conversation_id=../../x', '?model=%ff%fe']) {
      out.push({ name: `v1-realtime${query.slice(0, 30)}`, target, head: handshake('GET', `/v1/realtime${query}`, []) });
    }
    out.push({ name: 'unknown-path', target, head: handshake('GET', '/ws/../../etc/passwd', [own]) });
  }
  for (const query of ['', '?model=', '?model=gpt-4o-mini', '?model=no-such-model', '?model=glm-realtime-flash&conversation_id=%00']) {
    out.push({ name: `page-realtime${query.slice(0, 30)}`, target: 'gateway', head: handshake('GET', `/api/realtime/ws${query}`, [own]) });
  }
  return out;
}
