import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { ModelCatalogue, createParser, type ModelEntry } from '@voxgate/protocol';
import { fakeMicrophoneWav, launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { startStack } from '../helpers/stack.js';

// Live voice over WebRTC as a user meets it: Debian's Chromium with a fake microphone, against the
// whole stack — the page's SDP offer goes gateway → NATS → session → provider simulator, whose
// werift peer answers on 127.0.0.1, hears the Opus audio, speaks back over its track and sends GA
// events on the `oai-events` data channel. Then the fallback to the WebSocket relay when ICE never
// connects, a pinned transport, and a scan of everything the page received for the provider key.


/** The page's own limit for ICE to connect before it falls back (web/src/realtime/webrtc.ts). */
const CONNECT_TIMEOUT_MS = 5_000;
/** Room for the fallback itself on a busy machine: the relay's session, the note drawn. */
const FALLBACK_SLACK_MS = 10_000;

const { path: microphone, cleanup: removeMicrophone } = fakeMicrophoneWav(3);
t.teardown(removeMicrophone);

const stack = await startStack();
t.teardown(() => stack.stop());
const simulatorUrl = stack.simulatorUrl;
if (!simulatorUrl) throw new Error('these tests need the provider simulator');
const providerKey = stack.env.OPENAI_API_KEY;
if (!providerKey) throw new Error('the stack has no OPENAI_API_KEY to look for');

const browser: Browser = await launchChromium({ microphoneWav: microphone, autoplay: true });
t.teardown(() => browser.close());

const catalogue = createParser(ModelCatalogue).parse(await (await fetch(`${stack.gatewayUrl}/api/models`)).json());
if (!catalogue.ok) throw new Error(`the gateway's catalogue: ${catalogue.error}`);
const realtime: ModelEntry | undefined = catalogue.value.models.find((m) => m.kind === 'realtime' && m.provider === 'openai' && m.transports.includes('webrtc'));
if (!realtime) throw new Error('the catalogue has no OpenAI realtime model offered over WebRTC');

/** One call as the simulator's `GET /_sim/webrtc` lists it (tools/provider-sim/src/openai/webrtc/call.ts). */
interface SimCall {
  id: string;
  model: string;
  state: string;
  dataChannelOpen: boolean;
  hungUp: boolean;
  endedAt?: string;
  rtpPacketsIn: number;
  decodedMsIn: number;
  rtpPacketsOut: number;
  dataChannelEvents: Record<string, number>;
  session: { sessionUpdates: unknown[]; clientErrors: number };
  fault?: string;
}

async function simCalls(): Promise<SimCall[]> {
  const response = await fetch(`${simulatorUrl}/_sim/webrtc`);
  return ((await response.json()) as { calls: SimCall[] }).calls;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Rtp {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

interface Probe {
  status: string;
  transport: string | undefined;
  audioBytesSent: number;
  sent: { type: string; [key: string]: unknown }[];
  received: Record<string, number>;
  conversationId: string;
  rtp: Rtp | undefined;
}

function probe(page: Page): Promise<Probe> {
  // The page's read-only `window.__voxgate.realtime` (web/src/realtime/test-hook.ts), copied out.
  return page.evaluate(async () => {
    const hook = (window as unknown as { __voxgate?: { realtime?: Omit<Probe, 'rtp'> & { rtp(): Promise<Rtp | undefined> } } }).__voxgate?.realtime;
    if (!hook) throw new Error('no realtime view on the page');
    return {
      status: hook.status,
      transport: hook.transport,
      audioBytesSent: hook.audioBytesSent,
      sent: hook.sent.map((event) => ({ ...event })),
      received: { ...hook.received },
      conversationId: hook.conversationId,
      rtp: await hook.rtp(),
    };
  });
}

// ---- Everything the page receives, for the key scan ------------------------------------------
const received: { what: string; text: string }[] = [];
const reading: Promise<void>[] = [];
const signalling: string[] = [];
const pageErrors: string[] = [];

function watch(page: Page): void {
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/realtime/calls') signalling.push(request.url());
  });
  page.on('response', (response) => {
    const what = `${response.status()} ${response.url()}`;
    reading.push(
      (async () => {
        try {
          received.push({ what: `${what} (headers)`, text: JSON.stringify(await response.allHeaders()) });
          received.push({ what, text: (await response.body()).toString('latin1') });
        } catch {
          // Redirects and responses cut by a navigation have no body to read, and a response still
          // arriving when the test closes the context none at all; the scan counts what was read.
        }
      })(),
    );
  });
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      received.push({ what: `ws ${socket.url()}`, text: typeof payload === 'string' ? payload : payload.toString('latin1') });
    });
  });
}

const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
t.teardown(() => context.close());
const page = await context.newPage();
watch(page);
await page.goto(stack.gatewayUrl);

const status = page.locator('.rt-status');
const connectedVia = (transport: string) => page.locator(`.rt-status[data-status="connected"][data-transport="${transport}"]`);

t.test('picking an OpenAI realtime model connects over WebRTC', async (t) => {
  const picked = Date.now();
  await page.locator('.picker-button').click();
  await page.locator(`.picker-panel [data-model="${realtime.id}"]`).click();
  await connectedVia('webrtc').waitFor({ timeout: 15_000 });
  t.comment(`connected ${Date.now() - picked} ms after the pick`);
  t.equal(await status.locator('.rt-status-text').textContent(), 'Connected', 'the status chip says connected');
  t.equal(await status.locator('.rt-status-via').textContent(), 'WebRTC', 'over WebRTC');
  t.equal((await probe(page)).transport, 'webrtc');
  t.equal(signalling.length, 1, 'one SDP offer went to the gateway');
  t.equal(await page.locator('.rt-transport-select').inputValue(), 'auto', 'the transport setting is on automatic');
  t.equal(await page.locator('.rt-note[data-note^="rt.note.fallback"]').count(), 0, 'no fallback');

  const call = await until('the simulator’s call', async () => (await simCalls()).find((c) => c.model === realtime.id && c.dataChannelOpen));
  t.equal(call.state, 'connected', 'the simulator’s peer is connected');
  const update = await until('session.update on the data channel', async () => {
    const now = (await simCalls()).find((c) => c.id === call.id);
    return now?.dataChannelEvents['session.update'] ? now.session.sessionUpdates.at(-1) : undefined;
  });
  const shape = update as { type?: string; audio?: { input?: { format?: unknown; transcription?: { model?: string }; turn_detection?: { type?: string } }; output?: { voice?: string } } };
  t.equal(shape.type, 'realtime', 'the GA shape');
  t.equal(shape.audio?.input?.transcription?.model, 'gpt-4o-mini-transcribe', 'input transcription asked for');
  t.equal(shape.audio?.input?.turn_detection?.type, 'server_vad', 'voice activity by default');
  t.equal(shape.audio?.output?.voice, 'marin', 'the default voice');
  t.equal(shape.audio?.input?.format, undefined, 'no PCM format over WebRTC: the SDP chose Opus');
});

t.test('the microphone goes out as RTP, not as events', async (t) => {
  const call = await until('RTP audio at the simulator', async () => (await simCalls()).find((c) => !c.endedAt && c.model === realtime.id && c.decodedMsIn > 1_000));
  t.ok(call.rtpPacketsIn > 50, `${call.rtpPacketsIn} RTP packets (${Math.round(call.decodedMsIn)} ms of audio) arrived`);
  const seen = await probe(page);
  t.ok((seen.rtp?.packetsSent ?? 0) > 0, `the page counted ${seen.rtp?.packetsSent} packets sent`);
  t.equal(seen.audioBytesSent, 0, 'no input_audio_buffer.append over the data channel');
  t.notOk(call.dataChannelEvents['input_audio_buffer.append'], 'the simulator saw none either');
});

t.test('the answer arrives over the track and both sides are transcribed', async (t) => {
  const user = page.locator('.rt-user .rt-text:not(.rt-placeholder)').first();
  await user.waitFor({ timeout: 20_000 });
  t.match(await user.textContent(), /simulated transcript of [\d.]+ s of speech/, 'the user’s words');
  const answer = page.locator('.rt-assistant .rt-text:not(.rt-placeholder)').first();
  await answer.waitFor({ timeout: 20_000 });
  await until('a few words of the answer', async () => ((await answer.textContent())?.length ?? 0) > 20);
  t.match(await answer.textContent(), /^Simulated voice answer/, 'the model’s words');
  const heard = await until('the voice on the track', async () => {
    const seen = await probe(page);
    return (seen.received['output_audio_buffer.started'] ?? 0) > 0 && (seen.rtp?.packetsReceived ?? 0) > 25 ? seen : undefined;
  });
  t.pass(`output_audio_buffer.started came, ${heard.rtp?.packetsReceived} RTP packets of voice arrived`);
  t.notOk(heard.received['response.output_audio.delta'], 'no audio deltas over WebRTC');
});

t.test('speaking over the model stops its voice; the server truncates, not the page', async (t) => {
  // The looping microphone speaks again while the answer is on the track.
  const seen = await until(
    'a barge-in',
    async () => {
      const now = await probe(page);
      return now.sent.some((e) => e.type === 'output_audio_buffer.clear') ? now : undefined;
    },
    30_000,
  );
  t.ok((seen.received['input_audio_buffer.speech_started'] ?? 0) > 0, 'the server heard the user start');
  await until('output_audio_buffer.cleared', async () => ((await probe(page)).received['output_audio_buffer.cleared'] ?? 0) > 0);
  t.pass('the provider cleared its output buffer');
  await page.locator('.rt-assistant[data-state="interrupted"]').first().waitFor();
  t.pass('the answer is marked interrupted');
  t.notOk(seen.sent.some((e) => e.type === 'conversation.item.truncate'), 'no truncate from the page: the server knows what it played');
  const call = (await simCalls()).find((c) => !c.endedAt && c.model === realtime.id);
  t.equal(call?.session.clientErrors, 0, 'the simulator refused none of the page’s events');

  await until('the level meter moving', async () => Number(await page.locator('.rt-meter').getAttribute('aria-valuenow')) > 40, 15_000);
  await page.screenshot({ path: `${SCREENSHOTS}webrtc-en.png`, animations: 'disabled' });
});

t.test('push-to-talk over WebRTC clears the output buffer when it cuts in', async (t) => {
  // A first turn, then a second press while its answer is still on the track.
  await page.locator('.rt-mode-option[data-mode="ptt"]').click();
  const ptt = page.locator('.rt-ptt');
  await ptt.waitFor();
  const box = await ptt.boundingBox();
  if (!box) throw new Error('the talk button is not on screen');
  const press = async (ms: number) => {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(ms);
    await page.mouse.up();
  };
  await press(1_200);
  const from = (await probe(page)).sent.length;
  await until('the answer playing', async () => page.locator('.rt-assistant[data-state="speaking"]').count().then((n) => n > 0), 15_000);
  await until('its voice on the track', async () => {
    const seen = await probe(page);
    return (seen.received['output_audio_buffer.started'] ?? 0) > (seen.received['output_audio_buffer.stopped'] ?? 0) + (seen.received['output_audio_buffer.cleared'] ?? 0);
  });
  await press(600);
  const types = await until('the cut-in events', async () => {
    const sent = (await probe(page)).sent.slice(from).map((e) => e.type);
    return sent.includes('output_audio_buffer.clear') ? sent : undefined;
  });
  const clear = types.indexOf('output_audio_buffer.clear');
  const cancel = types.indexOf('response.cancel');
  t.ok(cancel < 0 || cancel < clear, `response.cancel (if the response was still running) before the clear: ${types.join(', ')}`);
  t.ok(types.indexOf('input_audio_buffer.clear') > clear, 'then a fresh input buffer');
  await until('output_audio_buffer.cleared', async () => ((await probe(page)).received['output_audio_buffer.cleared'] ?? 0) > 0);
  t.pass('the simulator cleared its output buffer');
  await page.locator('.rt-mode-option[data-mode="vad"]').click();
});

t.test('hang up ends the provider call', async (t) => {
  const live = (await simCalls()).find((c) => !c.endedAt && c.model === realtime.id);
  await page.locator('.rt-hangup[data-action="hangup"]').click();
  await status.and(page.locator('[data-status="ended"]')).waitFor();
  await until('the simulator call hung up', async () => (await simCalls()).find((c) => c.id === live?.id && c.hungUp && c.endedAt));
  t.pass('no provider call outlives the page’s');
});

t.test('the call is recorded in the conversation history through the sideband', async (t) => {
  const { conversationId } = await probe(page);
  const conversation = await until('the call in history', async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/conversations/${conversationId}`);
    if (!response.ok) return undefined;
    const body = (await response.json()) as { turns: { transcript?: string; answer: string }[] };
    return body.turns.length > 0 ? body : undefined;
  });
  t.match(conversation.turns[0], { transcript: /simulated transcript of/, answer: /^Simulated voice answer/ }, 'both sides, as text');
  const listed = (await (await fetch(`${stack.gatewayUrl}/api/conversations`)).json()) as { conversations: { id: string }[] };
  t.ok(listed.conversations.some((c) => c.id === conversationId), 'the sidebar lists it like a text conversation');
});

t.test('with ICE blocked the page falls back to the relay in time and says so', async (t) => {
  const fault = await fetch(`${simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai', kind: 'webrtc_ice_blackhole' }),
  });
  t.equal(fault.status, 201, 'the simulator will answer the next offer with unreachable candidates');
  const offers = signalling.length;
  const started = Date.now();
  await page.locator('.rt-hangup[data-action="call"]').click();
  const note = page.locator('.rt-note[data-note="rt.note.fallbackTimeout"]');
  await note.waitFor({ timeout: CONNECT_TIMEOUT_MS + FALLBACK_SLACK_MS });
  const fellBackMs = Date.now() - started;
  t.ok(fellBackMs >= CONNECT_TIMEOUT_MS - 500, `gave WebRTC its ${CONNECT_TIMEOUT_MS} ms (fell back after ${fellBackMs} ms)`);
  t.match(await note.textContent(), /WebRTC did not connect within 5 s.*Switched to the WebSocket relay/, 'the transcript says so');
  await connectedVia('websocket').waitFor({ timeout: 15_000 });
  t.equal(await status.locator('.rt-status-via').textContent(), 'WebSocket relay', 'the chip names the relay');
  t.equal((await probe(page)).transport, 'websocket');
  t.equal(signalling.length, offers + 1, 'one WebRTC attempt');
  const blackholed = await until('the blackholed call ended', async () => (await simCalls()).find((c) => c.fault === 'webrtc_ice_blackhole' && c.endedAt));
  t.ok(blackholed.hungUp, 'the page hung up the call it gave up on');
  await until('microphone audio over the relay', async () => ((await probe(page)).audioBytesSent > 16_000 ? true : undefined));
  t.pass('the relay carries the microphone as events');
});

t.test('pinning the WebSocket relay skips WebRTC, and is remembered', async (t) => {
  const offers = signalling.length;
  await page.locator('.rt-transport-select').selectOption('websocket');
  await connectedVia('websocket').waitFor({ timeout: 15_000 });
  await page.reload();
  await connectedVia('websocket').waitFor({ timeout: 15_000 });
  t.equal(await page.locator('.rt-transport-select').inputValue(), 'websocket', 'the setting survived a reload');
  t.equal(signalling.length, offers, 'no SDP offer was made');
  t.equal((await probe(page)).transport, 'websocket');

  // Back to automatic: the next session is WebRTC again.
  await page.locator('.rt-transport-select').selectOption('auto');
  await connectedVia('webrtc').waitFor({ timeout: 15_000 });
  t.equal(signalling.length, offers + 1, 'an offer once automatic is chosen again');
});

t.test('the WebRTC call in Chinese', async (t) => {
  await page.getByRole('button', { name: '中文' }).click();
  await status.filter({ hasText: '已连接' }).waitFor();
  t.equal(await page.locator('.rt-transport-label').textContent(), '连接方式');
  t.equal(await page.locator('.rt-transport-select option[value="auto"]').textContent(), '自动');

  // WebRTC pinned and ICE blocked on a fresh call: the page says why in Chinese, reason included.
  await page.locator('.rt-transport-select').selectOption('webrtc');
  await connectedVia('webrtc').waitFor({ timeout: 15_000 });
  const fault = await fetch(`${simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai', kind: 'webrtc_ice_blackhole' }),
  });
  t.equal(fault.status, 201, 'the next offer gets unreachable candidates');
  await page.reload();
  const retry = page.locator('.rt-note[data-note="rt.note.webrtcRetry"]');
  await retry.waitFor({ timeout: CONNECT_TIMEOUT_MS + FALLBACK_SLACK_MS });
  const note = (await retry.textContent()) ?? '';
  t.match(note, /^WebRTC 无法连接（(未能及时连接|ICE 协商失败)），正在重试…$/, `the reason in Chinese: ${note}`);
  await connectedVia('webrtc').waitFor({ timeout: 20_000 });
  t.pass('the retry connected over WebRTC');
  await page.getByRole('button', { name: 'English' }).click();
  t.match(await retry.textContent(), /^WebRTC could not connect \((not connected in time|ICE negotiation failed)\)\. Retrying…$/, 'and in English after the switch');
  await page.locator('.rt-transport-select').selectOption('auto');
  await connectedVia('webrtc').waitFor({ timeout: 15_000 });
  await page.locator('.rt-hangup[data-action="hangup"]').click();
  await status.and(page.locator('[data-status="ended"]')).waitFor();
});

t.test('the provider key reached the page nowhere', async (t) => {
  await Promise.all(reading);
  t.ok(received.length > 10, `${received.length} responses and frames were read`);
  t.ok(received.some((r) => r.what.includes('/api/realtime/calls')), 'the SDP answers among them');
  const leaks = received.filter((r) => r.text.includes(providerKey)).map((r) => r.what);
  t.same(leaks, [], 'no response header, body or WebSocket frame holds the key');
});

t.test('the page raised no script errors', async (t) => {
  t.same(pageErrors, []);
});
