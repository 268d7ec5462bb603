import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { Conversation, ModelCatalogue, createParser, type ModelEntry } from '@voxgate/protocol';
import { launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { startStack } from '../helpers/stack.js';

// The chat view as a user sees it: Debian's Chromium (fake microphone) against the whole stack —
// real NATS, the provider simulator, the four services — with the gateway serving the built web/.


const stack = await startStack();
t.teardown(() => stack.stop());
const simulatorUrl = stack.simulatorUrl;
if (!simulatorUrl) throw new Error('these tests need the provider simulator');
const browser: Browser = await launchChromium();
t.teardown(() => browser.close());

const catalogue = createParser(ModelCatalogue).parse(await (await fetch(`${stack.gatewayUrl}/api/models`)).json());
if (!catalogue.ok) throw new Error(`the gateway's catalogue: ${catalogue.error}`);
const models = catalogue.value.models;
function textModel(accepts: 'image' | 'text'): ModelEntry {
  // An OpenAI model: its audio goes through the simulator's transcription endpoint.
  const found = models.find((m) => m.kind === 'text' && m.provider === 'openai' && m.input.includes(accepts) && !m.input.includes('audio'));
  if (!found) throw new Error(`no OpenAI text model that takes ${accepts}`);
  return found;
}
const imageModel = textModel('image');
const realtimeModel = models.find((m) => m.kind === 'realtime');
const conversationParser = createParser(Conversation);

const pageErrors: string[] = [];
const dialogs: string[] = [];

async function open(context: BrowserContext, hash = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${stack.gatewayUrl}/${hash}`);
  return page;
}

/** For the README: the last exchange from its start (the simulator's answers are long). */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.querySelector('.chat-log .turn:last-child')?.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: `${SCREENSHOTS}${name}`, animations: 'disabled' });
}

async function choose(page: Page, model: ModelEntry): Promise<void> {
  await page.locator('.picker-button').click();
  await page.locator(`.picker-panel [data-model="${model.id}"]`).click();
  await page.locator('.composer-input').waitFor();
}

async function newChat(page: Page): Promise<void> {
  await page.locator('.sidebar-new').click();
  await page.locator('.chat-empty').waitFor();
}

async function sendText(page: Page, text: string): Promise<void> {
  await page.locator('.composer-input').fill(text);
  await page.keyboard.press('Enter');
}

/** An answer's text as read, without the code blocks' headers (language, copy button). */
function readAnswer(answer: Locator): Promise<string> {
  return answer.locator('.msg-body').evaluate((body: HTMLElement) => {
    const heads = Array.from(body.querySelectorAll<HTMLElement>('.code-head'));
    for (const head of heads) head.hidden = true;
    // biome-ignore lint/performance/useDomNodeTextContent: line breaks as shown matter here
    const read = body.innerText;
    for (const head of heads) head.hidden = false;
    return read.trim();
  });
}

/** The last answer once it has ended; returns its text and state. */
async function lastAnswer(page: Page, timeout = 30_000): Promise<{ text: string; state: string }> {
  const answer = page.locator('.msg-assistant').last();
  await answer.and(page.locator('[aria-busy="false"]')).waitFor({ timeout });
  return { text: await readAnswer(answer), state: (await answer.getAttribute('data-state')) ?? '' };
}

async function conversationOf(page: Page) {
  const hash = await page.evaluate(() => location.hash);
  const id = /^#\/c\/(.+)$/.exec(hash)?.[1];
  if (!id) throw new Error(`no conversation in the URL (${hash})`);
  const parsed = conversationParser.parse(await (await fetch(`${stack.gatewayUrl}/api/conversations/${id}`)).json());
  if (!parsed.ok) throw new Error(`conversation ${id}: ${parsed.error}`);
  return parsed.value;
}

/**
 * Rendered Markdown and stored text compare equal once whitespace and Markdown's markers are set
 * aside (a fence line, which the simulator's closing quote shares, is not shown).
 */
const flat = (text: string) => text.replace(/[*`"]/g, '').replace(/\s+/g, ' ').trim();

async function simRequests(): Promise<{ path: string; model?: string; parts?: { type: string; format?: string; widthPx?: number; heightPx?: number; bytes?: number }[] }[]> {
  const body = (await (await fetch(`${simulatorUrl}/_sim/requests`)).json()) as { requests: never[] };
  return body.requests;
}

async function addFault(fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (response.status !== 201) throw new Error(`fault refused: ${response.status} ${await response.text()}`);
}

/**
 * A forward proxy that sends every request to the gateway, whatever host the browser named: a page
 * opened as http://voxgate.test through it is not a secure context, as a server's LAN address over
 * plain http is not (Chromium counts 127.0.0.1 and localhost as secure).
 */
async function startInsecureOrigin(): Promise<{ proxy: string; origin: string; close(): Promise<void> }> {
  const gateway = new URL(stack.gatewayUrl);
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', stack.gatewayUrl);
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = httpRequest({ host: gateway.hostname, port: gateway.port, method: req.method, path: target.pathname + target.search, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    proxy: `http://127.0.0.1:${port}`,
    origin: `http://voxgate.test:${gateway.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until the last answer has more text than `chars`, i.e. it is still arriving. */
async function answerGrows(page: Page, chars: number): Promise<void> {
  await page.waitForFunction((n) => (Array.from(document.querySelectorAll('.msg-assistant .msg-body')).at(-1)?.textContent?.length ?? 0) > n, chars, { timeout: 20_000 });
}

const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
t.teardown(() => context.close());
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.gatewayUrl });
const page = await open(context);

t.test('a streamed answer appears, rendered as Markdown, and matches the simulator’s', async (t) => {
  await choose(page, imageModel);
  await page.locator('.chat-empty').waitFor();
  const said = 'Hello from the *browser* test\n```\nconst answer = 42;\n```';
  await sendText(page, said);
  await page.locator('.msg-user .msg-text').last().filter({ hasText: 'Hello from the *browser* test' }).waitFor();
  const { text, state } = await lastAnswer(page);
  t.ok(['done', 'length'].includes(state), `the answer ended (${state})`);
  t.match(text, `Simulated answer from ${imageModel.id}. You said: "Hello from the browser test`, 'the simulator quotes the message');

  const conversation = await conversationOf(page);
  const stored = conversation.turns.at(-1)?.answer ?? '';
  t.equal(flat(text), flat(stored), 'the rendered answer is the stored answer, word for word');
  t.equal(await page.locator('.msg-assistant').last().locator('em', { hasText: 'browser' }).count(), 1, 'emphasis is rendered');
  const code = page.locator('.msg-assistant').last().locator('.code-block');
  t.equal(await code.locator('code').textContent(), 'const answer = 42;', 'the fenced block is a code block');
  await code.locator('.code-copy').click();
  t.equal(await page.evaluate(() => navigator.clipboard.readText()), 'const answer = 42;', 'its copy button copies the code');

  await page.locator(`.conversation[data-id="${conversation.id}"][aria-current="page"]`).waitFor();
  t.pass('the sidebar lists the conversation as the current one');
  await screenshot(page, 'chat-en.png');
});

t.test('regenerate replaces the last answer; a stored conversation opens from the URL', async (t) => {
  const before = await conversationOf(page);
  await page.locator('.msg-assistant').last().locator('[data-action="regenerate"]').click();
  const { state } = await lastAnswer(page);
  t.ok(['done', 'length'].includes(state), 'the regenerated answer ended');
  t.equal(await page.locator('.turn').count(), 1, 'still one exchange');
  const after = await conversationOf(page);
  t.equal(after.turns.length, before.turns.length, 'the stored conversation has the same number of turns');
  t.not(after.turns.at(-1)?.turnId, before.turns.at(-1)?.turnId, 'the last answer is a new turn');

  const reopened = await open(context, `#/c/${after.id}`);
  await reopened.locator('.msg-assistant').first().waitFor();
  t.equal(await reopened.locator('.msg-user .msg-text').first().textContent(), after.turns[0]?.user.content[0]?.type === 'text' ? after.turns[0].user.content[0].text : '');
  t.equal(flat(await readAnswer(reopened.locator('.msg-assistant').first())), flat(after.turns[0]?.answer ?? ''), 'the stored answer renders');
  await reopened.close();
});

t.test('a regenerate refused before it starts keeps the old answer, says why and can be tried again', async (t) => {
  const before = await conversationOf(page);
  const answer = page.locator('.msg-assistant').last();
  const oldText = await readAnswer(answer);
  let refused = 0;
  await page.route('**/api/chat', async (route) => {
    const body = route.request().postDataJSON() as { regenerate?: boolean };
    if (body.regenerate !== true || refused > 0) return route.continue();
    refused++;
    await route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'service_unavailable', message: 'llm-text is restarting' } }),
    });
  });
  t.teardown(() => page.unroute('**/api/chat'));

  await answer.locator('[data-action="regenerate"]').click();
  const note = page.locator('.turn').last().locator('.msg-system');
  await note.waitFor();
  t.equal(await note.textContent(), 'Could not regenerate the answer (service_unavailable): HTTP 503: llm-text is restarting', 'the refusal is shown');
  t.equal(await page.locator('.msg-assistant').count(), 1, 'the old answer is back in its place');
  t.equal(await readAnswer(page.locator('.msg-assistant').last()), oldText, 'with its text');
  const again = page.locator('.msg-assistant').last().locator('[data-action="regenerate"]');
  t.ok(await again.isVisible(), 'regenerate is offered again');

  await again.click();
  const { state } = await lastAnswer(page);
  t.ok(['done', 'length'].includes(state), 'the second try answers');
  t.equal(await page.locator('.turn .msg-system').count(), 0, 'the refusal note is gone');
  t.not((await conversationOf(page)).turns.at(-1)?.turnId, before.turns.at(-1)?.turnId, 'the stored answer is the new one');
});

t.test('a script in the message and in the answer stays inert text', async (t) => {
  await newChat(page);
  const payload = '<script>window.voxgateXss = 1; alert("x")</script><img src="x" onerror="window.voxgateXss = 2"> [link](javascript:alert(3))';
  await sendText(page, payload);
  const { text } = await lastAnswer(page);
  t.match(text, '<script>window.voxgateXss = 1; alert("x")</script>', 'the answer shows the payload as text');
  t.match(await page.locator('.msg-user .msg-text').last().textContent(), '<img src="x"', 'so does the message');
  t.equal(await page.locator('.chat-log script').count(), 0, 'no script element');
  t.equal(await page.locator('.chat-log img[src="x"]').count(), 0, 'no injected image');
  t.equal(await page.locator('.chat-log a[href^="javascript"]').count(), 0, 'no javascript: link');
  t.equal(await page.evaluate(() => (window as unknown as { voxgateXss?: number }).voxgateXss), undefined, 'nothing ran');
  t.same(dialogs, [], 'no dialog opened');
});

t.test('images: pasted and chosen, downscaled to 2048 px, reach the simulator byte for byte', async (t) => {
  await newChat(page);
  await fetch(`${simulatorUrl}/_sim/requests`, { method: 'DELETE' });
  // A 3000×1500 PNG pasted, as from a screenshot tool.
  await page.locator('.composer-input').focus();
  await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(3000, 1500);
    const g = canvas.getContext('2d');
    if (!g) throw new Error('no 2d context');
    const gradient = g.createLinearGradient(0, 0, 3000, 1500);
    gradient.addColorStop(0, '#3b5bdb');
    gradient.addColorStop(1, '#e8590c');
    g.fillStyle = gradient;
    g.fillRect(0, 0, 3000, 1500);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const data = new DataTransfer();
    data.items.add(new File([blob], 'wide.png', { type: 'image/png' }));
    document.querySelector('.composer-input')?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  const pasted = page.locator('.thumb').first();
  await pasted.and(page.locator('[data-state="ready"]')).waitFor({ timeout: 15_000 });
  t.equal(await pasted.getAttribute('data-width'), '2048', 'downscaled to 2048 px wide');
  t.equal(await pasted.getAttribute('data-height'), '1024', 'keeping its aspect ratio');
  const pastedId = (await pasted.getAttribute('data-attachment')) ?? '';

  // A small PNG through the button's file chooser: uploaded as it is.
  const small = Buffer.from(
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(320, 200);
      const g = canvas.getContext('2d');
      if (!g) throw new Error('no 2d context');
      g.fillStyle = '#2b8a3e';
      g.fillRect(0, 0, 320, 200);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      return btoa(String.fromCharCode(...bytes));
    }),
    'base64',
  );
  const chooser = page.waitForEvent('filechooser');
  await page.locator('.composer-image').click();
  await (await chooser).setFiles({ name: 'small.png', mimeType: 'image/png', buffer: small });
  const chosen = page.locator('.thumb').nth(1);
  await chosen.and(page.locator('[data-state="ready"]')).waitFor({ timeout: 15_000 });
  const chosenId = (await chosen.getAttribute('data-attachment')) ?? '';
  const stored = Buffer.from(await (await fetch(`${stack.gatewayUrl}/api/attachments/${chosenId}`)).arrayBuffer());
  t.ok(stored.equals(small), 'a small image is uploaded byte for byte');

  // Not an image, whatever its name says.
  const chooser2 = page.waitForEvent('filechooser');
  await page.locator('.composer-image').click();
  await (await chooser2).setFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('these are not pixels') });
  await page.locator('.composer-note', { hasText: '“notes.png” is not an image' }).waitFor();
  t.equal(await page.locator('.thumb').count(), 2, 'the refused file is not attached');

  // Over five times the upload limit the browser does not even decode it.
  await page.evaluate(() => {
    const bytes = new Uint8Array(51 * 1024 * 1024);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'huge.png', { type: 'image/png' }));
    document.querySelector('.composer-input')?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await page.locator('.composer-note', { hasText: '“huge.png” is too large (51.0 MB; at most 10.0 MB).' }).waitFor();
  t.equal(await page.locator('.thumb').count(), 2, 'the oversized image is refused with its size and the limit');

  await sendText(page, 'What is in these pictures?');
  const { text } = await lastAnswer(page);
  t.match(text, 'Image 1: png 2048x1024', 'the simulator decoded the pasted image at its downscaled size');
  t.match(text, 'Image 2: png 320x200', 'and the chosen one at its own size');

  const pastedBytes = (await (await fetch(`${stack.gatewayUrl}/api/attachments/${pastedId}`)).arrayBuffer()).byteLength;
  const request = (await simRequests()).filter((r) => r.path.endsWith('/chat/completions')).at(-1);
  const images = (request?.parts ?? []).filter((p) => p.type === 'image');
  t.same(
    images.map((p) => [p.format, p.widthPx, p.heightPx, p.bytes]),
    [
      ['png', 2048, 1024, pastedBytes],
      ['png', 320, 200, small.length],
    ],
    'the provider received exactly the uploaded bytes',
  );
  await page.locator('.msg-user .msg-image').nth(1).waitFor();
  await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('.msg-user .msg-image')).every((img) => img.complete && img.naturalWidth > 0));
  t.pass('the message shows both images');
  await screenshot(page, 'chat-image.png');
});

t.test('a voice message is recorded with a level meter and reaches the model as its transcript', async (t) => {
  await newChat(page);
  await fetch(`${simulatorUrl}/_sim/requests`, { method: 'DELETE' });
  await page.locator('.composer-mic').click();
  await page.locator('.composer-recording').waitFor();
  // The fake microphone plays a tone: the meter must move.
  await page.waitForFunction(() => Number(document.querySelector('.meter')?.getAttribute('aria-valuenow')) > 0, undefined, { timeout: 10_000 });
  await page.locator('.rec-time', { hasText: '0:01' }).waitFor({ timeout: 5_000 });
  t.pass('the level meter and elapsed time move');
  // The fake microphone beeps; catch the meter mid-beep for the picture.
  await page.waitForFunction(() => Number(document.querySelector('.meter')?.getAttribute('aria-valuenow')) > 40, undefined, { timeout: 10_000 });
  await screenshot(page, 'chat-recording.png');

  // Cancel throws the recording away.
  await page.locator('.rec-cancel').click();
  await page.locator('.composer-recording').waitFor({ state: 'hidden' });
  t.equal(await page.locator('.turn').count(), 0, 'a cancelled recording sends nothing');

  // An upload that fails says so in its own words and sends nothing.
  await page.route('**/api/attachments', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'service_unavailable', message: 'storage is away' } }) }),
  );
  await page.locator('.composer-mic').click();
  await page.locator('.rec-time', { hasText: '0:01' }).waitFor({ timeout: 5_000 });
  await page.locator('.rec-send').click();
  const note = page.locator('.composer-note');
  await note.filter({ hasText: 'voice message' }).waitFor();
  t.equal(await note.textContent(), 'Could not upload the voice message: HTTP 503: storage is away');
  t.equal(await page.locator('.turn').count(), 0, 'nothing was sent');
  await page.unroute('**/api/attachments');

  await page.locator('.composer-mic').click();
  await page.locator('.rec-time', { hasText: '0:01' }).waitFor({ timeout: 5_000 });
  await page.locator('.rec-send').click();
  await page.locator('.msg-user .msg-audio audio').waitFor({ timeout: 15_000 });
  const transcript = page.locator('.msg-user .msg-transcript');
  await transcript.waitFor({ timeout: 30_000 });
  t.match(await transcript.textContent(), /Simulated transcript of \d+ bytes of audio\/wav/, 'the transcript shows under the message');
  const { text } = await lastAnswer(page);
  t.match(text, 'You said: "Simulated transcript of', 'the model answered the transcript');
  const transcriptions = (await simRequests()).filter((r) => r.path.endsWith('/audio/transcriptions'));
  t.equal(transcriptions.length, 1, 'the audio went to the transcription endpoint once');
});

t.test('an answer whose stream is cut mid-way resumes from its last chunk, without gap or duplicate', async (t) => {
  await newChat(page);
  // Slow enough that the cut lands mid-answer, fast enough for a test (the answer is long).
  await addFault({ kind: 'slow_tokens', delayMs: 3, times: 1 });
  let cut = false;
  // The page's stream is served by the test: a few chunks and half an event, then the connection ends;
  // the turn goes on in the gateway. Polling is refused for a moment, as if the gateway restarted.
  await page.route('**/api/chat', async (route) => {
    const response = await fetch(`${stack.gatewayUrl}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: route.request().postData() ?? '',
    });
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no stream');
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/event: chunk/g)?.length ?? 0) < 6) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const events = text.split('\n\n');
    const partial = `${events.slice(0, 7).join('\n\n')}\n\nid: 99\nevent: chunk\ndata: {"type":"delta","te`;
    cut = true;
    await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: partial });
  });
  let refused = 0;
  await page.route('**/api/turns/**', async (route) => {
    if (refused++ < 3) await route.abort('connectionreset');
    else await route.continue();
  });
  t.teardown(async () => {
    await page.unroute('**/api/chat');
    await page.unroute('**/api/turns/**');
  });

  // The simulator answers `[sim:tokens=N]` with exactly N tokens: long enough to cut mid-way.
  await sendText(page, 'Please keep talking while the line drops [sim:tokens=1500]');
  await page.locator('.msg-assistant[data-state="reconnecting"]').waitFor({ timeout: 20_000 });
  t.ok(cut, 'the stream was cut');
  t.match(await page.locator('.msg-assistant .msg-status').textContent(), 'Reconnecting', 'the page says it is reconnecting');
  const { text, state } = await lastAnswer(page, 60_000);
  t.ok(['done', 'length'].includes(state), `the resumed answer ended (${state})`);
  t.ok(refused > 3, 'it caught up by polling once the gateway answered again');
  const stored = (await conversationOf(page)).turns.at(-1)?.answer ?? '';
  t.ok(stored.length > 200, 'a long answer');
  t.equal(flat(text), flat(stored), 'the final text is the provider’s, with no gap and no duplicate');
});

t.test('the stop button ends a long answer; what arrived is kept and stored as stopped', async (t) => {
  await newChat(page);
  await addFault({ kind: 'slow_tokens', delayMs: 5, times: 1 });
  await sendText(page, 'Talk until I stop you [sim:tokens=4000]');
  const stop = page.locator('.composer-send[data-mode="stop"]:enabled');
  await stop.waitFor();
  t.equal(await stop.getAttribute('aria-label'), 'Stop generating', 'while it answers, send is the stop button');
  await answerGrows(page, 40);
  await stop.click();
  const { text, state } = await lastAnswer(page);
  t.equal(state, 'stopped', 'the answer ends as stopped');
  t.equal(await page.locator('.msg-assistant').last().locator('.msg-status').textContent(), 'Stopped', 'and says so');
  t.equal(await page.locator('.composer-send').getAttribute('data-mode'), 'send', 'the button sends again');
  const stored = (await conversationOf(page)).turns.at(-1);
  t.equal(stored?.status, 'stopped', 'the stored exchange is stopped');
  t.ok(text.length > 0 && text.length < 4000, 'part of the answer arrived');
  t.equal(flat(text), flat(stored?.answer ?? ''), 'the partial answer shown is the one stored');
});

t.test('an answer the provider withholds ends with a note saying so, not as a whole answer', async (t) => {
  await newChat(page);
  await sendText(page, '[sim:filter] something the filter stops');
  const { state } = await lastAnswer(page);
  t.equal(state, 'filtered');
  t.equal(
    await page.locator('.msg-assistant').last().locator('.msg-status').textContent(),
    "The provider's content filter withheld the rest of the answer.",
  );
});

t.test('an answer still streaming survives a reload, another conversation and a realtime model, and completes', async (t) => {
  await newChat(page);
  // Long enough to outlast three re-openings of the conversation on a busy machine.
  await addFault({ kind: 'slow_tokens', delayMs: 5, times: 1 });
  const said = 'Keep answering while I look elsewhere [sim:tokens=3000]';
  await sendText(page, said);
  await answerGrows(page, 40);
  const id = (await conversationOf(page)).id;
  t.equal((await conversationOf(page)).turns.length, 0, 'the gateway stores the exchange only when the turn ends');

  const showsRunning = async (how: string) => {
    await page.locator('.msg-user .msg-text', { hasText: said }).waitFor();
    const before = (await page.locator('.msg-assistant .msg-body').last().textContent())?.length ?? 0;
    await answerGrows(page, before + 20);
    t.equal(await page.locator('.turn').count(), 1, `${how}: the message and its answer are shown once`);
    t.equal(await page.locator('.composer-send[data-mode="stop"]').isEnabled(), true, `${how}: the answer can still be stopped`);
  };

  await page.reload();
  await showsRunning('after a reload');

  await newChat(page);
  t.equal(await page.locator('.turn').count(), 0, 'a new chat is empty');
  await page.locator(`.conversation[data-id="${id}"] .conversation-open`).click();
  await showsRunning('after another conversation');

  if (realtimeModel) {
    await page.locator('.picker-button').click();
    await page.locator(`.picker-panel [data-model="${realtimeModel.id}"]`).click();
    await page.locator('.rt').waitFor();
    await choose(page, imageModel);
    await showsRunning('after a realtime model');
  }

  const { text, state } = await lastAnswer(page, 60_000);
  t.ok(['done', 'length'].includes(state), `the answer ended (${state})`);
  const stored = (await conversationOf(page)).turns;
  t.equal(stored.length, 1, 'the conversation now stores the exchange');
  t.equal(flat(text), flat(stored[0]?.answer ?? ''), 'the answer shown is the whole stored answer, no gap, no duplicate');
  t.equal(await page.evaluate(() => sessionStorage.getItem('voxgate.runningTurns')), null, 'the page forgot the finished turn');

  await page.reload();
  await page.locator('.msg-assistant[aria-busy="false"]').waitFor();
  t.equal(await page.locator('.turn').count(), 1, 'reopened, the stored exchange shows once');
});

t.test('on a plain-http page copying still works, says when it cannot, and the mic says why it is off', async (t) => {
  const insecure = await startInsecureOrigin();
  t.teardown(() => insecure.close());
  const http = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 }, proxy: { server: insecure.proxy } });
  t.teardown(() => http.close());
  const plain = await http.newPage();
  plain.on('pageerror', (error) => pageErrors.push(error.message));
  await plain.goto(`${insecure.origin}/`);
  t.equal(await plain.evaluate(() => window.isSecureContext), false, 'not a secure context');
  t.equal(await plain.evaluate(() => typeof navigator.clipboard), 'undefined', 'so there is no async clipboard');
  await plain.locator('.composer-input').waitFor();

  await sendText(plain, 'Copy this\n```\nplain http copy\n```');
  await lastAnswer(plain);
  const code = plain.locator('.msg-assistant').last().locator('.code-copy');
  await code.click();
  t.equal(await code.getAttribute('data-copied'), 'true', 'the code copy button says it copied');
  t.equal(await code.textContent(), 'Copied');
  await plain.locator('.composer-input').fill('');
  await plain.locator('.composer-input').focus();
  await plain.keyboard.press('ControlOrMeta+V');
  t.equal(await plain.locator('.composer-input').inputValue(), 'plain http copy', 'and the code is on the clipboard');
  await plain.locator('.composer-input').fill('');

  // A browser that refuses even that: the button says so instead of doing nothing.
  await plain.evaluate(() => {
    document.execCommand = () => false;
  });
  const copyAnswer = plain.locator('.msg-assistant').last().locator('[data-action="copy"]');
  await copyAnswer.click();
  t.equal(await copyAnswer.textContent(), 'Could not copy', 'a failed copy is told');
  t.equal(await copyAnswer.getAttribute('title'), 'The browser did not allow copying. Select the text and copy it yourself.', 'with what to do');
  await copyAnswer.filter({ hasText: 'Copy answer' }).waitFor({ timeout: 10_000 });
  t.equal(await copyAnswer.getAttribute('title'), null, 'then the button reads as before');

  const mic = plain.locator('.composer-mic');
  t.ok(await mic.isVisible(), 'the mic button is shown');
  t.equal(await mic.getAttribute('aria-disabled'), 'true', 'as unavailable');
  t.equal(await mic.getAttribute('aria-label'), 'Voice messages are not available here');
  // Playwright holds back clicks on an aria-disabled button; a user's click still reaches it.
  await mic.click({ force: true });
  t.equal(
    await plain.locator('.composer-note').textContent(),
    'Voice messages need a secure page: open Voxgate over https, or as http://localhost on the machine it runs on.',
    'a click says why',
  );
  t.equal(await plain.locator('.composer-recording').isVisible(), false, 'and records nothing');
});

t.test('switching to Chinese re-words the chat in place', async (t) => {
  await page.getByRole('button', { name: '中文' }).click();
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.locator('.sidebar-title', { hasText: '对话' }).waitFor();
  t.equal(await page.locator('.sidebar-new').textContent(), '新对话');
  t.match(await page.locator('.composer-input').getAttribute('placeholder'), '发消息', 'the composer speaks Chinese');
  t.equal(await page.locator('.composer-send').getAttribute('aria-label'), '发送');
  t.equal(await page.locator('.msg-assistant').last().locator('[data-action="copy"]').textContent(), '复制回答', 'existing messages are re-worded');
  t.ok((await page.locator('.msg-assistant').count()) > 0, 'the messages stay');
  await screenshot(page, 'chat-zh.png');
  await page.getByRole('button', { name: 'English' }).click();
  await page.locator('.sidebar-new', { hasText: 'New chat' }).waitFor();
  t.pass('and back to English');
});

t.test('rename and delete a conversation from the sidebar', async (t) => {
  const current = await conversationOf(page);
  const row = page.locator(`.conversation[data-id="${current.id}"]`);
  await row.locator('[data-action="rename"]').click();
  await row.locator('.conversation-rename').fill('Dropped line');
  await page.keyboard.press('Enter');
  await row.locator('.conversation-title', { hasText: 'Dropped line' }).waitFor();
  t.equal((await conversationOf(page)).title, 'Dropped line', 'the new title is stored');

  await row.locator('[data-action="delete"]').click();
  await row.locator('[data-action="delete"][data-confirm="true"]').click();
  await row.waitFor({ state: 'detached' });
  await page.locator('.chat-empty').waitFor();
  t.equal(await page.evaluate(() => location.hash), '', 'the URL no longer names it');
  t.equal((await fetch(`${stack.gatewayUrl}/api/conversations/${current.id}`)).status, 404, 'it is gone from the gateway');
});

t.test('on a phone the conversation list is a drawer', async (t) => {
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true });
  t.teardown(() => phone.close());
  const small = await open(phone);
  await small.locator('.composer-input').waitFor();
  const box = await small.locator('.chat-sidebar').boundingBox();
  t.ok(box && box.x + box.width <= 0, 'the list starts off-screen');
  await small.locator('.drawer-toggle').click();
  await small.locator('.chat[data-drawer="open"]').waitFor();
  await small.locator('.conversation').first().waitFor();
  await small.locator('.conversation-open').first().click();
  await small.locator('.chat[data-drawer="closed"]').waitFor();
  await small.locator('.msg-assistant').first().waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 0, 'nothing overflows sideways');
});

t.test('the page raised no script errors', async (t) => {
  t.same(pageErrors, []);
});
