import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { ModelCatalogue, createParser, type ModelEntry } from '@voxgate/protocol';
import { fakeMicrophoneWav, launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { startStack } from '../helpers/stack.js';

// Realtime mode as a user meets it: Debian's Chromium with a fake microphone that says a sentence
// (espeak-ng) and then pauses, so the simulator's energy VAD ends the turn, against the whole
// stack — gateway → realtime-relay → provider simulator (OpenAI GA realtime WebSocket).


const { path: microphone, cleanup: removeMicrophone } = fakeMicrophoneWav(3);
t.teardown(removeMicrophone);

// A short idle limit, so a session the server ends can be seen releasing the microphone; every
// other test keeps its session busy (voice activity sends audio all the time).
const IDLE_TIMEOUT_MS = 8_000;
const stack = await startStack({ env: { RELAY_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) } });
t.teardown(() => stack.stop());
const simulatorUrl = stack.simulatorUrl;
if (!simulatorUrl) throw new Error('these tests need the provider simulator');
const browser: Browser = await launchChromium({ microphoneWav: microphone, autoplay: true });
t.teardown(() => browser.close());

const catalogue = createParser(ModelCatalogue).parse(await (await fetch(`${stack.gatewayUrl}/api/models`)).json());
if (!catalogue.ok) throw new Error(`the gateway's catalogue: ${catalogue.error}`);
function missing(what: string): never {
  throw new Error(`the catalogue has no ${what}`);
}
const realtime: ModelEntry = catalogue.value.models.find((m) => m.kind === 'realtime' && m.provider === 'openai') ?? missing('OpenAI realtime model');
// A model only the relay offers: with the relay down the gateway no longer lists it.
const relayOnly: ModelEntry = catalogue.value.models.find((m) => m.kind === 'realtime' && m.provider === 'zhipu') ?? missing('GLM realtime model');

interface SimSession {
  id: string;
  provider: string;
  model?: string;
  open: boolean;
  audioBytesIn: number;
  audioMsIn: number;
  clientEvents: number;
  clientErrors: number;
  sessionUpdates: unknown[];
  closeCode?: number;
}

async function simSessions(provider: string): Promise<SimSession[]> {
  const body = (await (await fetch(`${simulatorUrl}/_sim/realtime?provider=${provider}`)).json()) as { sessions: SimSession[] };
  return body.sessions;
}

async function openSimSession(model: ModelEntry = realtime): Promise<SimSession | undefined> {
  return (await simSessions(model.provider)).find((s) => s.open && s.model === model.id);
}

/** Waits for `model`'s session at the simulator to have received more than `ms` of the microphone. */
function audioAtSimulator(model: ModelEntry, ms: number): Promise<SimSession> {
  return until(`${ms} ms of audio at the simulator for ${model.id}`, async () => {
    const open = await openSimSession(model);
    return open && open.audioMsIn > ms ? open : undefined;
  });
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

interface Probe {
  status: string;
  playedSamples: number;
  audioBytesSent: number;
  sent: { type: string; [key: string]: unknown }[];
  received: Record<string, number>;
  conversationId: string;
}

function probe(page: Page): Promise<Probe> {
  // The page's read-only `window.__voxgate.realtime` (web/src/realtime/test-hook.ts), copied out.
  return page.evaluate(() => {
    const hook = (window as unknown as { __voxgate?: { realtime?: Probe } }).__voxgate?.realtime;
    if (!hook) throw new Error('no realtime view on the page');
    return {
      status: hook.status,
      playedSamples: hook.playedSamples,
      audioBytesSent: hook.audioBytesSent,
      sent: hook.sent.map((event) => ({ ...event })),
      received: { ...hook.received },
      conversationId: hook.conversationId,
    };
  });
}

const pageErrors: string[] = [];
const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
t.teardown(() => context.close());
// This file is about the WebSocket relay; OpenAI models would go over WebRTC first (webrtc-page.test.ts).
await context.addInitScript(() => localStorage.setItem('voxgate.transport', 'websocket'));
// Every microphone track the page opens, to see from outside whether the browser still records.
await context.addInitScript(() => {
  const tracks: MediaStreamTrack[] = [];
  (window as unknown as { __microphones: MediaStreamTrack[] }).__microphones = tracks;
  const devices = navigator.mediaDevices;
  const open = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    tracks.push(...stream.getAudioTracks());
    return stream;
  };
});
const page = await context.newPage();
page.on('pageerror', (error) => pageErrors.push(error.message));

/** What the page sent on its realtime sockets, in order: event types, and the bytes of each append. */
const framesSent: { type: string; audioBytes: number }[] = [];
page.on('websocket', (socket) => {
  if (!socket.url().includes('/api/realtime/ws')) return;
  socket.on('framesent', ({ payload }) => {
    if (typeof payload !== 'string') return;
    const event = JSON.parse(payload) as { type: string; audio?: string };
    framesSent.push({ type: event.type, audioBytes: event.audio ? Buffer.from(event.audio, 'base64').length : 0 });
  });
});
await page.goto(stack.gatewayUrl);

const status = page.locator('.rt-status');

/** Microphone tracks the page holds open (the browser's recording indicator is on while any is). */
function liveMicrophones(): Promise<number> {
  return page.evaluate(() => (window as unknown as { __microphones: MediaStreamTrack[] }).__microphones.filter((track) => track.readyState === 'live').length);
}

/** The level meter's readings (aria-valuenow) every 50 ms for `ms`. */
function meterReadings(ms: number): Promise<number[]> {
  return page.evaluate(async (ms) => {
    const meter = document.querySelector('.rt-meter');
    const readings: number[] = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      readings.push(Number(meter?.getAttribute('aria-valuenow')));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return readings;
  }, ms);
}

async function pick(model: ModelEntry): Promise<void> {
  await page.locator('.picker-button').click();
  await page.locator(`.picker-panel [data-model="${model.id}"]`).click();
}

/** Records every status the chip and the hang-up button show from now on (a glimpse of "Call ended" too). */
async function watchChip(): Promise<() => Promise<{ statuses: string[]; actions: string[] }>> {
  await page.evaluate(() => {
    const seen = { statuses: [] as string[], actions: [] as string[] };
    (window as unknown as { __chip: typeof seen }).__chip = seen;
    const chip = document.querySelector('.rt-status');
    const button = document.querySelector('.rt-hangup');
    new MutationObserver(() => {
      const now = chip?.getAttribute('data-status') ?? '';
      if (seen.statuses.at(-1) !== now) seen.statuses.push(now);
      const action = button?.getAttribute('data-action') ?? '';
      if (seen.actions.at(-1) !== action) seen.actions.push(action);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status', 'data-action'] });
  });
  return () => page.evaluate(() => (window as unknown as { __chip: { statuses: string[]; actions: string[] } }).__chip);
}

t.test('picking a realtime model connects at once, in the realtime look', async (t) => {
  await pick(realtime);
  await status.and(page.locator('[data-status="connected"]')).waitFor({ timeout: 15_000 });
  t.equal(await status.locator('.rt-status-text').textContent(), 'Connected', 'the status chip says so');
  t.equal(await status.locator('.rt-status-via').textContent(), 'WebSocket relay', 'and names the transport');
  t.equal(await page.getAttribute('html', 'data-theme'), 'realtime', 'the page is orange');
  // The title is the label then a badge; its first text node alone tells 'GPT Realtime' from 'GPT Realtime mini'.
  t.equal(await page.locator('.rt-title').evaluate((title) => title.firstChild?.textContent), realtime.label, 'the model is named');

  const session = await until('the simulator session', openSimSession);
  const update = session.sessionUpdates.at(0) as { type?: string; audio?: { input?: { transcription?: { model?: string }; turn_detection?: { type?: string } }; output?: { voice?: string } } };
  t.equal(update.type, 'realtime', 'session.update in the GA shape');
  t.equal(update.audio?.input?.transcription?.model, 'gpt-4o-mini-transcribe', 'input transcription asked for');
  t.equal(update.audio?.input?.turn_detection?.type, 'server_vad', 'voice activity by default');
  t.equal(update.audio?.output?.voice, 'marin', 'the default voice');
});

t.test('the microphone’s audio reaches the simulator', async (t) => {
  const session = await audioAtSimulator(realtime, 500);
  t.ok(session.audioBytesIn > 0, `${session.audioBytesIn} bytes (${Math.round(session.audioMsIn)} ms) arrived`);
  const { audioBytesSent } = await probe(page);
  t.ok(audioBytesSent >= session.audioBytesIn * 0.5, 'the page counted what it sent');
});

t.test('the level meter follows the speech and falls silent when muted', async (t) => {
  // The fake microphone loops a sentence of about 2 s and 3 s of silence.
  const live = await meterReadings(5_500);
  t.ok(Math.max(...live) > 40, `it rises with the sentence (highest ${Math.max(...live)})`);
  t.ok(Math.min(...live) < 5, `and falls in the pause (lowest ${Math.min(...live)})`);

  await page.locator('.rt-mute').click();
  t.equal(await page.locator('.rt-mic-state').textContent(), 'Muted');
  // Frames already on their way when the button was pressed may still go out.
  await page.waitForTimeout(300);
  const sentBefore = (await probe(page)).audioBytesSent;
  const muted = await meterReadings(5_500);
  t.equal(Math.max(...muted), 0, 'muted, the meter stays at 0 through a whole sentence');
  t.equal((await probe(page)).audioBytesSent, sentBefore, 'and no audio goes out');
  await page.locator('.rt-mute').click();
  await until('audio going out again', async () => (await probe(page)).audioBytesSent > sentBefore);
  t.equal(await page.locator('.rt-mic-state').textContent(), 'Mic on');
});

t.test('the answer is played and both sides are transcribed', async (t) => {
  const user = page.locator('.rt-user .rt-text:not(.rt-placeholder)').first();
  await user.waitFor({ timeout: 20_000 });
  t.match(await user.textContent(), /simulated transcript of [\d.]+ s of speech/, 'the user’s words');
  const answer = page.locator('.rt-assistant .rt-text:not(.rt-placeholder)').first();
  await answer.waitFor({ timeout: 20_000 });
  await until('a few words of the answer', async () => ((await answer.textContent())?.length ?? 0) > 20);
  t.match(await answer.textContent(), /^Simulated voice answer/, 'the model’s words, as they are spoken');
  const played = await until('played audio', async () => {
    const { playedSamples } = await probe(page);
    return playedSamples > 24_000 * 0.5 ? playedSamples : undefined;
  });
  t.ok(played > 12_000, `${played} samples (${Math.round(played / 24)} ms) of the answer were played`);
});

t.test('speaking over the model stops it and truncates what was not heard', async (t) => {
  // The looping microphone speaks again while the answer plays. Watched from inside the page, so
  // what was played is read the moment the truncate goes out, not a poll later.
  const cut = await page.evaluate(async () => {
    const hook = (window as unknown as { __voxgate?: { realtime?: Probe } }).__voxgate?.realtime;
    if (!hook) throw new Error('no realtime view on the page');
    // No named helpers in here: the test runner's transform would name them with a function the page lacks.
    const before = hook.sent.filter((event) => event.type === 'conversation.item.truncate').length;
    const deadline = performance.now() + 30_000;
    let truncates = hook.sent.filter((event) => event.type === 'conversation.item.truncate');
    while (truncates.length === before) {
      if (performance.now() > deadline) throw new Error('no conversation.item.truncate within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
      truncates = hook.sent.filter((event) => event.type === 'conversation.item.truncate');
    }
    const truncate = { ...truncates[before] };
    const playedAtCut = hook.playedSamples;
    // The user is still speaking: no new answer can start within this.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { truncate, playedAtCut, playedLater: hook.playedSamples };
  });
  const { truncate } = cut;
  t.equal(truncate.content_index, 0);
  t.type(truncate.item_id, 'string');
  t.ok(typeof truncate.audio_end_ms === 'number' && truncate.audio_end_ms > 0, `audio_end_ms ${String(truncate.audio_end_ms)}`);
  const playedMs = cut.playedAtCut / 24;
  t.ok(Number(truncate.audio_end_ms) <= playedMs, `no more than was played (${Math.round(playedMs)} ms in all)`);
  t.ok(cut.playedLater - cut.playedAtCut <= 480, `playback stopped: ${cut.playedLater - cut.playedAtCut} samples played in the 500 ms after`);
  await until('the simulator’s conversation.item.truncated', async () => ((await probe(page)).received['conversation.item.truncated'] ?? 0) > 0);
  t.pass('the simulator accepted the truncate');
  await page.locator(`.rt-assistant[data-item="${String(truncate.item_id)}"][data-state="interrupted"]`).waitFor();
  t.pass('the answer is marked interrupted');
  const session = await openSimSession();
  t.equal(session?.clientErrors, 0, 'the simulator refused none of the page’s events');

  // For the README: both sides on screen while the microphone hears the next sentence.
  await until('the level meter moving', async () => Number(await page.locator('.rt-meter').getAttribute('aria-valuenow')) > 40, 15_000);
  await page.screenshot({ path: `${SCREENSHOTS}realtime-en.png`, animations: 'disabled' });
});

t.test('the same call in Chinese', async (t) => {
  await page.getByRole('button', { name: '中文' }).click();
  await status.filter({ hasText: '已连接' }).waitFor();
  t.equal(await page.locator('.rt-mode-option[data-mode="ptt"]').textContent(), '按住说话');
  await until('the level meter moving', async () => Number(await page.locator('.rt-meter').getAttribute('aria-valuenow')) > 40, 15_000);
  await page.screenshot({ path: `${SCREENSHOTS}realtime-zh.png`, animations: 'disabled' });
  await page.getByRole('button', { name: 'English' }).click();
  await status.filter({ hasText: 'Connected' }).waitFor();
});

t.test('a dropped relay reconnects and re-seeds the conversation', async (t) => {
  const before = await probe(page);
  t.notOk(before.sent.some((e) => e.type === 'conversation.item.create'), 'the first session needed no seed');
  // The session after the relay comes back is also cut, by the simulator, to show a second drop.
  const fault = await fetch(`${simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai', kind: 'realtime_drop_after_ms', delayMs: 2_500 }),
  });
  t.equal(fault.status, 201, 'the simulator queued the drop');
  await stack.stopService('realtime-relay');
  await status.and(page.locator('[data-status="reconnecting"]')).waitFor({ timeout: 10_000 });
  t.pass('the page says it is reconnecting');
  await stack.startService('realtime-relay');

  const notes = page.locator('.rt-note[data-note="rt.note.reseeded"]');
  await notes.nth(1).waitFor({ timeout: 40_000 });
  await status.and(page.locator('[data-status="connected"]')).waitFor({ timeout: 20_000 });
  t.match(await notes.first().textContent(), /Reconnected\. The conversation so far \(\d+ messages\)/, 'the transcript says so');
  // The second drop is the provider's (the relay says provider_disconnected, then closes 1011): one note.
  t.equal(await page.locator('.rt-note[data-note="rt.note.providerLost"]').count(), 1, 'the provider’s drop is named');
  t.equal(await page.locator('.rt-note[data-note="rt.note.providerError"]').count(), 0, 'not also as a provider error');
  t.notOk((await page.locator('.rt-note[data-note="rt.note.lost"]').allTextContents()).some((text) => text.includes('1011')), 'nor as a bare dropped connection');

  const after = await probe(page);
  t.equal(after.conversationId, before.conversationId, 'the same conversation id is kept');
  const seeded = after.sent.filter((e) => e.type === 'conversation.item.create');
  const contentTypes = new Set(seeded.flatMap((e) => ((e.item as { content?: { type: string }[] }).content ?? []).map((c) => c.type)));
  t.ok(contentTypes.has('input_text'), 'user turns re-seeded as input_text');
  t.ok(contentTypes.has('output_text'), 'model turns re-seeded as output_text');
  const session = await until('a new simulator session', () => openSimSession());
  t.ok(session.clientEvents >= 3, 'the new session received the seed');
  t.equal(session.clientErrors, 0, 'the seed was valid GA');

  // Answers the user cut off go in as what was heard of them, marked as cut off.
  const interrupted = await page.locator('.rt-assistant[data-state="interrupted"] .rt-text:not(.rt-placeholder)').allTextContents();
  t.ok(interrupted.length > 0, `${interrupted.length} interrupted answers on screen`);
  const seededAnswers = seeded.map((e) => (e.item as { content: { type: string; text: string }[] }).content[0]).filter((c) => c?.type === 'output_text').map((c) => c?.text ?? '');
  const cutOff = seededAnswers.filter((text) => text.endsWith('…'));
  t.ok(cutOff.length > 0, 'interrupted answers are seeded ending in “…”');
  t.ok(
    cutOff.every((text) => interrupted.some((shown) => shown.startsWith(text.slice(0, -1)))),
    'each as the start of what the page showed',
  );
  t.notOk(seededAnswers.some((text) => interrupted.includes(text)), 'none in full');
});

/** The events of one push-to-talk turn in what the page sent, and the audio in it. */
function talkTurn(frames: { type: string; audioBytes: number }[]) {
  const clear = frames.findIndex((f) => f.type === 'input_audio_buffer.clear');
  const commit = frames.findIndex((f, i) => i > clear && f.type === 'input_audio_buffer.commit');
  const inTurn = frames.slice(clear + 1, commit).filter((f) => f.type === 'input_audio_buffer.append');
  const after = frames.slice(commit + 1).filter((f) => f.type === 'input_audio_buffer.append');
  return {
    clear,
    commit,
    turnMs: inTurn.reduce((sum, f) => sum + f.audioBytes, 0) / 48,
    lastAppendBytes: inTurn.at(-1)?.audioBytes ?? 0,
    appendsAfterCommit: after.length,
  };
}

/** How long the page saw the talk button held: from its press to its release, by the page's clock. */
async function watchHold(): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const held = { from: 0, to: 0 };
    (window as unknown as { __held: typeof held }).__held = held;
    const button = document.querySelector('.rt-ptt');
    new MutationObserver(() => {
      if (button?.getAttribute('aria-pressed') === 'true') held.from = performance.now();
      else if (held.from > 0 && held.to === 0) held.to = performance.now();
    }).observe(button as Element, { attributes: true, attributeFilter: ['aria-pressed'] });
  });
  return () => page.evaluate(() => {
    const held = (window as unknown as { __held: { from: number; to: number } }).__held;
    return held.to - held.from;
  });
}

t.test('push-to-talk: clear on press, commit and response.create on release', async (t) => {
  const from = (await probe(page)).sent.length;
  await page.locator('.rt-mode-option[data-mode="ptt"]').click();
  const ptt = page.locator('.rt-ptt');
  await ptt.waitFor();
  const box = await ptt.boundingBox();
  if (!box) throw new Error('the talk button is not on screen');
  const framesFrom = framesSent.length;
  const heldMs = await watchHold();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(1_200);
  await page.mouse.up();
  const sequence = await until('the push-to-talk events', async () => {
    const types = (await probe(page)).sent.slice(from).map((e) => e.type);
    return types.includes('response.create') ? types : undefined;
  });
  t.ok(sequence.includes('session.update'), 'turn detection was switched off');
  const clear = sequence.indexOf('input_audio_buffer.clear');
  const commit = sequence.indexOf('input_audio_buffer.commit');
  t.ok(clear >= 0 && commit > clear && sequence.indexOf('response.create') > commit, `in order: ${sequence.join(', ')}`);
  const session = await openSimSession();
  const last = session?.sessionUpdates.at(-1) as { audio?: { input?: { turn_detection?: unknown } } } | undefined;
  t.equal(last?.audio?.input?.turn_detection, null, 'turn_detection: null');

  // The speech up to the release is in the turn: nothing is cut off or left for the next turn.
  await page.waitForTimeout(500);
  const turn = talkTurn(framesSent.slice(framesFrom));
  const held = await heldMs();
  t.ok(turn.commit > turn.clear, 'the turn was committed on the socket');
  t.equal(turn.appendsAfterCommit, 0, 'no audio went out after the commit');
  // A frame is 20 ms; the switch on and off each reach the worklet within a render quantum or two.
  t.ok(turn.turnMs >= held - 10, `${Math.round(turn.turnMs)} ms of audio for ${Math.round(held)} ms held (last append ${turn.lastAppendBytes} bytes)`);
  await page.locator('.rt-mode-option[data-mode="vad"]').click();
});

t.test('push-to-talk with Space right after choosing it', async (t) => {
  await page.locator('.rt-mode-option[data-mode="ptt"]').click();
  await page.locator('.rt-ptt:not([disabled])').waitFor();
  const from = (await probe(page)).sent.length;
  await page.keyboard.down('Space');
  await page.locator('.rt-ptt[aria-pressed="true"]').waitFor({ timeout: 2_000 });
  t.pass('Space pressed the talk button');
  await page.waitForTimeout(800);
  await page.keyboard.up('Space');
  const types = await until('the turn sent', async () => {
    const sent = (await probe(page)).sent.slice(from).map((e) => e.type);
    return sent.includes('response.create') ? sent : undefined;
  });
  t.ok(types.indexOf('input_audio_buffer.clear') < types.indexOf('input_audio_buffer.commit'), `clear, then commit: ${types.join(', ')}`);
  t.equal(await page.locator('.rt-mode-option[data-mode="ptt"]').getAttribute('aria-pressed'), 'true', 'Space did not press the mode button again');
  await page.locator('.rt-mode-option[data-mode="vad"]').click();
});

t.test('a session the server ends releases the microphone; a new one takes it again', async (t) => {
  t.equal(await liveMicrophones(), 1, 'one microphone track is open during the call');
  // Muted, the page sends nothing: the relay closes the session as idle.
  await page.locator('.rt-mute').click();
  const idle = page.locator('.rt-note[data-note="rt.note.idle"]');
  await idle.waitFor({ timeout: IDLE_TIMEOUT_MS + 30_000 });
  await status.and(page.locator('[data-status="ended"]')).waitFor();
  await until('the microphone track stopped', async () => (await liveMicrophones()) === 0, 5_000);
  t.pass('no microphone track is live after the server ended the session');
  t.equal(await page.locator('.rt-mic-state').textContent(), 'No microphone', 'and the page says so');

  await idle.locator('.rt-note-action').click();
  await status.and(page.locator('[data-status="connected"]')).waitFor({ timeout: 15_000 });
  await until('the microphone open again', async () => (await liveMicrophones()) === 1, 10_000);
  t.pass('the new session has the microphone');
  await page.locator('.rt-mute').click();
  const sentBefore = (await probe(page)).audioBytesSent;
  await until('audio going out', async () => (await probe(page)).audioBytesSent > sentBefore + 16_000);
  t.pass('and its audio goes out');
});

t.test('switching to another realtime model mid-call connects it, with the microphone', async (t) => {
  const chip = await watchChip();
  await pick(relayOnly);
  await status.and(page.locator('[data-status="connected"]')).waitFor({ timeout: 15_000 });
  const seen = await chip();
  t.notOk(seen.statuses.includes('ended'), `the chip never said the call ended: ${seen.statuses.join(' → ')}`);
  t.ok(seen.statuses.indexOf('connecting') >= 0 && seen.statuses.indexOf('connecting') < seen.statuses.indexOf('connected'), 'it showed connecting, then connected');
  t.notOk(seen.actions.includes('call'), 'the button said “Hang up” throughout');
  await audioAtSimulator(relayOnly, 500);
  t.pass('the new model hears the microphone');
  t.equal(await liveMicrophones(), 1, 'still one microphone track');
});

t.test('a model that goes away and comes back: the call gives up, then reconnects by itself', async (t) => {
  await stack.stopService('realtime-relay');
  await page.locator('.rt-unavailable:not([hidden])').waitFor({ timeout: 15_000 });
  t.match(await page.locator('.rt-unavailable').textContent(), /reconnects when it is back/, 'the page says it will come back');
  // Six attempts over about 25 s, then the page stops trying on its own clock.
  const gaveUp = page.locator('.rt-note[data-note="rt.note.gaveUp"]');
  await gaveUp.waitFor({ timeout: 60_000 });
  await status.and(page.locator('[data-status="error"]')).waitFor();
  await until('the microphone track stopped', async () => (await liveMicrophones()) === 0, 5_000);
  t.pass('the call gave up and let go of the microphone');

  await stack.startService('realtime-relay');
  await status.and(page.locator('[data-status="connected"]')).waitFor({ timeout: 30_000 });
  t.pass('connected again without a click');
  t.equal(await gaveUp.locator('.rt-note-action').count(), 0, 'the “Try again” button is gone');
  t.ok(await page.locator('.rt-unavailable').isHidden(), 'the unavailable note too');
  await audioAtSimulator(relayOnly, 500);
  t.equal(await liveMicrophones(), 1, 'with the microphone');
});

t.test('after hanging up, picking another realtime model calls it with the microphone', async (t) => {
  await page.locator('.rt-hangup[data-action="hangup"]').click();
  await status.and(page.locator('[data-status="ended"]')).waitFor();
  await until('the microphone track stopped', async () => (await liveMicrophones()) === 0, 5_000);
  await pick(realtime);
  await status.and(page.locator('[data-status="connected"]')).waitFor({ timeout: 15_000 });
  t.equal(await status.locator('.rt-status-text').textContent(), 'Connected', 'the chip says connected');
  t.equal(await page.locator('.rt-hangup').getAttribute('data-action'), 'hangup', 'the button hangs up');
  await audioAtSimulator(realtime, 500);
  t.pass('the simulator hears the microphone');
  t.equal(await liveMicrophones(), 1, 'one microphone track');
});

t.test('hang up ends the session at the simulator', async (t) => {
  await page.locator('.rt-hangup[data-action="hangup"]').click();
  await status.and(page.locator('[data-status="ended"]')).waitFor();
  await until('the simulator session closed', async () => (await openSimSession()) === undefined);
  t.pass('no provider session outlives the call');
  t.equal(await liveMicrophones(), 0, 'nor the microphone');
});

t.test('the page raised no script errors', async (t) => {
  t.same(pageErrors, []);
});
