import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../helpers/browser.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';

// A person in Chromium meets the closed page: the login form, then the page working under the
// gateway's Content-Security-Policy (its module scripts, AudioWorklets, blob: images, its own
// WebSocket), while an injected inline script is refused; and a login that ends while the page is
// open sends the page back to the form at its next action.

const PASSWORD = 'a page password for tests';
const stack = await startStack({ env: { ACCESS_PASSWORD: PASSWORD } });
t.teardown(() => stack.stop());
const browser: Browser = await launchChromium();
t.teardown(() => browser.close());
const base = stack.gatewayUrl;
const assets = fileURLToPath(new URL('../../web/dist/assets/', import.meta.url));
const worklets = readdirSync(assets).filter((name) => /worklet.*\.js$/.test(name));

/** Logs in through the form and waits for the page. */
async function logIn(page: Page): Promise<void> {
  await page.goto(base);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
  await page.locator('.composer-input').waitFor();
}

/** The page has gone to the login form by itself, with nothing in the URL but the path. */
async function onLoginForm(page: Page): Promise<{ path: string; query: string; form: boolean }> {
  await page.waitForURL(/\/login/, { timeout: 20_000 });
  const url = new URL(page.url());
  return { path: url.pathname, query: url.search + url.hash, form: await page.locator('input[name=password]').isVisible() };
}

t.test('log in through the form, then the page and its features run under the CSP', async (t) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  // Installed before any page script: every refusal the CSP makes is kept.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  await page.goto(base);
  t.match(page.url(), /\/login$/, 'sent to the login form');
  t.match(await page.textContent('h1'), /密码/, 'in Chinese for a Chinese browser');
  await page.fill('input[name=password]', 'wrong password');
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  t.match(await page.textContent('[role=alert]'), /密码错误/, 'a wrong password is said so');
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
  await page.waitForSelector('#app > *');

  const cookies = await context.cookies();
  const login = cookies.find((c) => c.name === 'voxgate-login');
  t.ok(login, 'the login cookie is set');
  t.equal(login?.httpOnly, true, 'HttpOnly');
  t.equal(login?.sameSite, 'Strict', 'SameSite=Strict');
  t.ok((login?.expires ?? -1) > Date.now() / 1000, 'with an expiry');
  t.equal(await page.evaluate(() => document.cookie), '', 'invisible to scripts');

  const checks = await page.evaluate(
    async ({ worklets }) => {
      const context = new AudioContext();
      const workletsLoaded: string[] = [];
      for (const name of worklets) {
        await context.audioWorklet.addModule(`/assets/${name}`);
        workletsLoaded.push(name);
      }
      await context.close();
      const blobImage = await new Promise<boolean>((resolve) => {
        const canvas = document.createElement('canvas');
        canvas.width = 2;
        canvas.height = 2;
        canvas.toBlob((blob) => {
          const img = new Image();
          img.onload = () => resolve(true);
          img.onerror = () => resolve(false);
          img.src = URL.createObjectURL(blob as Blob);
        });
      });
      const socketOpened = await new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/ws`);
        ws.onopen = () => {
          ws.close();
          resolve(true);
        };
        ws.onerror = () => resolve(false);
      });
      const models = (await fetch('/api/models')).status;
      const inline = document.createElement('script');
      inline.textContent = 'window.inlineRan = true';
      document.head.append(inline);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { workletsLoaded, blobImage, socketOpened, models, inlineRan: (window as unknown as { inlineRan?: boolean }).inlineRan === true };
    },
    { worklets },
  );
  t.same(checks.workletsLoaded, worklets, 'the AudioWorklets load');
  t.ok(worklets.length >= 2, 'capture and playback worklets were tried');
  t.equal(checks.blobImage, true, 'a blob: image preview shows');
  t.equal(checks.socketOpened, true, 'the WebSocket to its own origin opens with the cookie');
  t.equal(checks.models, 200, 'the API answers with the cookie');
  t.equal(checks.inlineRan, false, 'an injected inline script does not run');
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  // TypeBox (the page's schema parsers) tries `new Function` once to see whether it may compile
  // validators, and falls back to its interpreter when the CSP says no: expected, and the only one.
  const pageViolations = violations.filter((v) => !v.startsWith('script-src-elem inline') && v !== 'script-src eval');
  t.same(pageViolations, [], 'the page itself triggers no other CSP refusal');
  t.ok(violations.some((v) => v.startsWith('script-src-elem')), 'the inline script was refused by the CSP');

  await recordReliability({
    id: 'access/page-csp',
    section: 'access',
    title: 'Login through the form in Chromium, then the page under the CSP: worklets, blob: images, its WebSocket; an inline script refused',
    figures: {
      cookieHttpOnly: login?.httpOnly === true,
      cookieSameSite: login?.sameSite ?? 'none',
      workletsLoaded: checks.workletsLoaded.length,
      pageCspViolations: pageViolations.length,
      typeboxEvalProbeRefused: violations.includes('script-src eval'),
      inlineScriptBlocked: !checks.inlineRan,
    },
    passed: t.passing(),
  });
});

t.test('a login ended elsewhere: the next action in the page lands on the login form', async (t) => {
  const context = await browser.newContext({ locale: 'en-US' });
  t.teardown(() => context.close());
  // The realtime socket, not WebRTC, for the second case.
  await context.addInitScript(() => localStorage.setItem('voxgate.transport', 'websocket'));
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await logIn(page);

  // Logged out in another tab; then the user sends a message in the first one.
  const other = await context.newPage();
  await other.goto(base);
  await Promise.all([other.waitForURL(/\/login$/), other.evaluate(() => fetch('/logout', { method: 'POST' }).then(() => location.assign('/login')))]);
  await page.locator('.composer-input').fill('hello after logout');
  await page.keyboard.press('Enter');
  const afterLogout = await onLoginForm(page);
  t.same(afterLogout, { path: '/login', query: '', form: true }, 'sending a message after a logout elsewhere lands on the login form');

  // Logged in again, in a voice session this time. The login is deleted in NATS (as when it
  // expires, or ends on another replica) and then the session drops: the page reconnects, and the
  // gateway refuses its socket.
  await logIn(page);
  const realtime = await page.evaluate(async () => {
    const body = (await (await fetch('/api/models')).json()) as { models: { id: string; kind: string; provider: string; transports: string[] }[] };
    return body.models.find((m) => m.kind === 'realtime' && m.provider === 'openai' && m.transports.includes('websocket'))?.id;
  });
  t.ok(realtime, `a realtime model to pick (${realtime})`);
  const drop = await fetch(`${stack.simulatorUrl}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'openai', kind: 'realtime_drop_after_ms', delayMs: 4_000 }),
  });
  t.equal(drop.status, 201, 'the simulator will drop the next voice session');
  await page.locator('.picker-button').click();
  await page.locator(`.picker-panel [data-model="${realtime}"]`).click();
  await page.locator('.rt-status[data-status="connected"]').waitFor({ timeout: 15_000 });
  // The page's status poll (every 3 s) would find the lost login by itself; it skips its turns
  // while the page looks hidden, so here the refused socket is the only thing that can tell.
  // (A string: the test's compiler would wrap an arrow function in a helper the page does not have.)
  await page.evaluate("Object.defineProperty(Document.prototype, 'visibilityState', { get() { return 'hidden'; }, configurable: true })");
  const sockets: string[] = [];
  page.on('websocket', (socket) => sockets.push(new URL(socket.url()).pathname));
  const nc = await connect({ servers: stack.nats.url });
  t.teardown(() => nc.close());
  // The gateway files a login under the SHA-256 of its cookie's token.
  const token = (await context.cookies()).find((c) => c.name === 'voxgate-login')?.value ?? '';
  const logins = await nc.jetstream().views.kv('voxgate-logins');
  const loginKey = createHash('sha256').update(token).digest('hex');
  t.equal((await logins.get(loginKey))?.operation, 'PUT', 'the login is in NATS');
  await logins.delete(loginKey);
  const afterDeleted = await onLoginForm(page);
  t.same(afterDeleted, { path: '/login', query: '', form: true }, 'the dropped voice session lands on the login form');
  t.ok(sockets.length > 0 && sockets.every((path) => path === '/api/realtime/ws'), `after its reconnecting socket was refused (${sockets.length} tried)`);
  t.same(pageErrors, [], 'no script error on the way');
  await recordReliability({
    id: 'access/page-login-lost',
    section: 'access',
    title: 'A login ended while the page is open (logout in another tab, login deleted in NATS): the next chat message or realtime socket sends the page to the login form',
    figures: {
      afterLogoutElsewhere: `${afterLogout.path}${afterLogout.query}`,
      afterLoginDeleted: `${afterDeleted.path}${afterDeleted.query}`,
      pageErrors: pageErrors.length,
    },
    passed: t.passing(),
  });
});

