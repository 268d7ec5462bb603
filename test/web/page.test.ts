import t from 'tap';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DOWNSTREAM_SERVICES, ModelCatalogue, createParser } from '@voxgate/protocol';
import { launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { startStack } from '../helpers/stack.js';

// The page as a user sees it: Debian's Chromium against the whole stack (real NATS, the simulator,
// the four services), the gateway serving the built web/.


const stack = await startStack();
t.teardown(() => stack.stop());
const browser: Browser = await launchChromium();
t.teardown(() => browser.close());

const catalogueResponse = await fetch(`${stack.gatewayUrl}/api/models`);
const catalogue = createParser(ModelCatalogue).parse(await catalogueResponse.json());
if (!catalogue.ok) throw new Error(`the gateway's catalogue: ${catalogue.error}`);
const models = catalogue.value.models;
const realtime = models.find((m) => m.kind === 'realtime');
/** A realtime model only the relay serves (no WebRTC through session): it goes when the relay does. */
const relayOnly = models.find((m) => m.kind === 'realtime' && !m.transports.includes('webrtc'));

const pageErrors: string[] = [];

async function open(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(stack.gatewayUrl);
  return page;
}

/** For the README and for reviewers: what the user saw at each step (animations settled). */
async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}${name}`, animations: 'disabled', fullPage: options.fullPage ?? false });
}

const serviceItem = (page: Page, name: string) => page.locator(`.status-line [data-service="${name}"]`);
const pickerButton = (page: Page) => page.locator('.picker-button');
/** The picker's accessible name, whole: a substring test would let 'GPT Realtime mini' pass for 'GPT Realtime'. */
const pickerName = (model: { label: string; simulated?: boolean }) => `Model: ${model.label}${model.simulated ? ' (simulated)' : ''}`;

async function openPicker(page: Page): Promise<void> {
  await pickerButton(page).click();
  await page.locator('.picker-panel:popover-open').waitFor();
}

async function closePicker(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.locator('.picker-panel').waitFor({ state: 'hidden' });
}

const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
t.teardown(() => context.close());
const page = await open(context);

t.test('the picker lists the gateway’s models, grouped, each marked simulated', async (t) => {
  t.ok(models.length > 0, 'the gateway offers models');
  await page.getByRole('button', { name: /^Model: / }).waitFor();
  await openPicker(page);

  const groups = await page.locator('.picker-group-title').allTextContents();
  t.same(groups, ['Text', 'Realtime voice'], 'text models first, then realtime voice');
  for (const model of models) {
    const option = page.locator(`.picker-panel [data-model="${model.id}"]`);
    t.equal(await option.count(), 1, `${model.id} is listed once`);
    t.equal(await option.locator('.option-label').textContent(), model.label, `${model.id} shows its label`);
    const group = await option.evaluate((el) => el.closest('.picker-group')?.getAttribute('data-kind'));
    t.equal(group, model.kind, `${model.id} sits in the ${model.kind} group`);
    const badge = option.locator('.badge-simulated');
    t.equal(await badge.count(), model.simulated ? 1 : 0, `${model.id} simulated badge`);
    if (model.simulated) t.equal(await badge.textContent(), 'simulated');
  }
  await screenshot(page, 'models-en.png');
  await closePicker(page);
});

t.test('the status line shows NATS and the three services up', async (t) => {
  await serviceItem(page, 'nats').filter({ hasText: 'connected' }).waitFor();
  for (const name of DOWNSTREAM_SERVICES) {
    const item = serviceItem(page, name);
    await item.and(page.locator('[data-up="true"]')).waitFor({ timeout: 10_000 });
    t.match(await item.textContent(), new RegExp(`${name}\\s*up.*1 instance`), `${name} is up with one instance`);
  }
});

t.test('the chosen model is shown in the main area and remembered', { skip: !realtime && 'no realtime model' }, async (t) => {
  if (!realtime) return;
  await openPicker(page);
  await page.locator(`.picker-panel [data-model="${realtime.id}"]`).click();
  await page.locator('.details-title', { hasText: realtime.label }).waitFor();
  t.equal(await page.getAttribute('html', 'data-theme'), 'realtime', 'the page takes the realtime look');
  t.match(await page.locator('.facts').textContent(), /Realtime voice/, 'the details say what kind it is');
  await screenshot(page, 'model-realtime-en.png');

  await page.reload();
  await page.locator('.details-title', { hasText: realtime.label }).waitFor();
  t.equal(await pickerButton(page).getAttribute('aria-label'), pickerName(realtime), 'the choice survives a reload');
});

t.test('switching language changes the UI to Chinese and back', async (t) => {
  await page.getByRole('button', { name: '中文' }).click();
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await pickerButton(page).locator('.picker-caption', { hasText: '模型' }).waitFor();
  await serviceItem(page, 'llm-text').filter({ hasText: '正常' }).waitFor();
  await openPicker(page);
  t.same(await page.locator('.picker-group-title').allTextContents(), ['文本', '实时语音']);
  const badges = await page.locator('.picker-panel .badge-simulated').allTextContents();
  t.ok(badges.length > 0 && badges.every((b) => b === '模拟'), 'simulated badges read 模拟');
  await screenshot(page, 'models-zh.png');
  await closePicker(page);

  await page.reload();
  await pickerButton(page).locator('.picker-caption', { hasText: '模型' }).waitFor();
  t.pass('the language choice survives a reload');

  await page.getByRole('button', { name: 'English' }).click();
  t.equal(await page.getAttribute('html', 'lang'), 'en');
  await serviceItem(page, 'llm-text').filter({ hasText: 'up' }).waitFor();
  t.equal(await pickerButton(page).locator('.picker-caption').textContent(), 'Model');
});

t.test('a stopped service shows as down within seconds, and up again when it returns', async (t) => {
  const text = models.find((m) => m.kind === 'text');
  if (!text) throw new Error('the catalogue has no text model');
  await openPicker(page);
  await page.locator(`.picker-panel [data-model="${text.id}"]`).click();
  // Text models open the chat view.
  await page.locator('.chat .composer-input').waitFor();

  await stack.stopService('llm-text');
  const item = serviceItem(page, 'llm-text');
  await item.and(page.locator('[data-up="false"]')).waitFor({ timeout: 10_000 });
  t.match(await item.textContent(), /llm-text\s*down/, 'llm-text reads down');
  t.equal(await serviceItem(page, 'session').getAttribute('data-up'), 'true', 'the others stay up');
  // The catalogue loses the text models; the page keeps the user's choice and says why it is unavailable.
  await page.locator('.note-unavailable').waitFor({ timeout: 10_000 });
  t.equal(await pickerButton(page).getAttribute('aria-label'), pickerName(text), 'the chosen model stays chosen');
  t.ok(await page.locator('.composer-send').isDisabled(), 'sending is paused');
  await screenshot(page, 'status-down-en.png');

  await stack.startService('llm-text');
  await item.and(page.locator('[data-up="true"]')).waitFor({ timeout: 20_000 });
  await page.locator('.note-unavailable').waitFor({ state: 'hidden', timeout: 10_000 });
  t.pass('llm-text reads up again and the model is offered again');
  t.notOk(await page.locator('.composer-send').isDisabled(), 'sending is possible again');
});

t.test('a remembered model that was down at load does not take the page over when it returns', { skip: !relayOnly && 'no relay-only realtime model' }, async (t) => {
  if (!relayOnly) return;
  const firstText = models.find((m) => m.kind === 'text');
  if (!firstText || !stack.simulatorUrl) throw new Error('needs a text model and the simulator');
  const offered = async () => ((await (await fetch(`${stack.gatewayUrl}/api/models`)).json()) as { models: { id: string }[] }).models.some((m) => m.id === relayOnly.id);
  const waitOffered = async (want: boolean) => {
    for (const started = Date.now(); Date.now() - started < 30_000; await new Promise((r) => setTimeout(r, 250))) {
      if ((await offered()) === want) return;
    }
    throw new Error(`${relayOnly.id} is ${want ? 'still not' : 'still'} offered`);
  };

  const fresh = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  t.teardown(() => fresh.close());
  // The realtime model was the last choice; the page counts every microphone request it makes.
  await fresh.addInitScript((id) => {
    if (!sessionStorage.getItem('voxgate.test.seeded')) {
      localStorage.setItem('voxgate.model', id);
      sessionStorage.setItem('voxgate.test.seeded', '1');
    }
    const media = navigator.mediaDevices;
    const real = media?.getUserMedia.bind(media);
    (window as unknown as { micRequests: number }).micRequests = 0;
    if (media && real) {
      media.getUserMedia = (constraints) => {
        (window as unknown as { micRequests: number }).micRequests++;
        return real(constraints);
      };
    }
  }, relayOnly.id);

  await stack.stopService('realtime-relay');
  t.teardown(() => stack.startService('realtime-relay'));
  await waitOffered(false);
  const tab = await open(fresh);
  await tab.locator('.chat .composer-input').waitFor();
  t.equal(await pickerButton(tab).getAttribute('aria-label'), pickerName(firstText), 'the page opens the first text model instead');

  // An answer long enough to be running when the relay is back.
  await fetch(`${stack.simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'slow_tokens', delayMs: 5, times: 1 }),
  });
  await tab.locator('.composer-input').fill('Keep talking while the relay comes back [sim:tokens=6000]');
  await tab.keyboard.press('Enter');
  await tab.locator('.msg-assistant[data-state="streaming"]').waitFor({ timeout: 20_000 });

  // Down long enough for the page to see it so, as when the relay was down at load.
  await serviceItem(tab, 'realtime-relay').and(tab.locator('[data-up="false"]')).waitFor({ timeout: 15_000 });
  await stack.startService('realtime-relay');
  await waitOffered(true);
  const offer = tab.locator('.return-offer');
  await offer.waitFor({ timeout: 20_000 });
  t.equal(await offer.textContent(), `Switch back to ${relayOnly.label}`, 'the page says the remembered model is back');
  t.equal(await tab.locator('.chat').count(), 1, 'and stays in the chat');
  t.equal(await pickerButton(tab).getAttribute('aria-label'), pickerName(firstText), 'on the model it showed');
  t.equal(await tab.getAttribute('html', 'data-theme'), 'text');
  t.equal(await tab.locator('.msg-assistant').last().getAttribute('data-state'), 'streaming', 'the answer goes on');
  t.equal(await tab.evaluate(() => (window as unknown as { micRequests: number }).micRequests), 0, 'nothing asked for the microphone');

  await tab.locator('.composer-send[data-mode="stop"]').click();
  await tab.locator('.msg-assistant[data-state="stopped"]').waitFor();
  await offer.click();
  await tab.locator('.details-title', { hasText: relayOnly.label }).waitFor();
  t.equal(await offer.isHidden(), true, 'choosing it takes the offer away');
  t.equal(await tab.evaluate(() => localStorage.getItem('voxgate.model')), relayOnly.id, 'and remembers the choice');
});

t.test('a phone-width page keeps the picker and the status readable', async (t) => {
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true });
  t.teardown(() => phone.close());
  const small = await open(phone);
  t.equal(await small.getAttribute('html', 'lang'), 'zh-CN', 'a Chinese browser gets the Chinese UI');
  await small.locator('.chat .composer-input').waitFor();
  await serviceItem(small, 'realtime-relay').and(small.locator('[data-up="true"]')).waitFor({ timeout: 10_000 });
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.ok(overflow <= 0, 'nothing overflows sideways');
  await screenshot(small, 'phone-zh.png', { fullPage: true });
});

t.test('the page raised no script errors', async (t) => {
  t.same(pageErrors, []);
});
