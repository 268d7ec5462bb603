import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import t from 'tap';
import { launchChromium } from '../helpers/browser.js';
import { recordReliability } from '../helpers/reliability.js';
import { startStack } from '../helpers/stack.js';

// A person in Chromium meets the closed page: the login form, then the page working under the
// gateway's Content-Security-Policy (its module scripts, AudioWorklets, blob: images, its own
// WebSocket), while an injected inline script is refused.

const PASSWORD = 'a page password for tests';
const stack = await startStack({ env: { ACCESS_PASSWORD: PASSWORD } });
t.teardown(() => stack.stop());
const browser: Browser = await launchChromium();
t.teardown(() => browser.close());
const base = stack.gatewayUrl;
const assets = fileURLToPath(new URL('../../web/dist/assets/', import.meta.url));
const worklets = readdirSync(assets).filter((name) => /worklet.*\.js$/.test(name));

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
