import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import t from 'tap';
import { spawnService } from '../../scripts/lib/stack.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { recordReliability } from '../helpers/reliability.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { startStack } from '../helpers/stack.js';
import { RealtimeClient, tryUpgrade } from './realtime-gateway-helpers.js';

// The page closed with ACCESS_PASSWORD and /v1 with API_KEYS, on the real stack: what a visitor
// without the password, a program without a key and a logged-in user each get.

const PASSWORD = 'correct horse battery staple';
const API_KEY = 'test-key-access-gate-1';
const stack = await startStack({ env: { ACCESS_PASSWORD: PASSWORD, API_KEYS: API_KEY, TRUST_PROXY: '127.0.0.1' } });
t.teardown(() => stack.stop());
const base = stack.gatewayUrl;
const wsBase = base.replace(/^http/, 'ws');
const figures = { refusedWithoutLogin: 0, refusedWithoutKey: 0, wrongPasswordsTried: 0, cookieFlagsChecked: 0, headersChecked: 0 };

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });
const login = (password: string, from = '10.9.0.1') =>
  fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
    body: new URLSearchParams({ password }).toString(),
  });

t.test('security headers on the page, the API, probes and 404s', async (t) => {
  for (const path of ['/login', '/api/models', '/healthz', '/readyz', '/no/such/path', '/v1/models']) {
    const response = await get(path);
    const csp = response.headers.get('content-security-policy') ?? '';
    t.match(csp, /script-src 'self'(;|$)/, `${path}: scripts only from the gateway`);
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, `${path}: no inline script`);
    t.match(csp, /frame-ancestors 'none'/, `${path}: not framed`);
    t.equal(response.headers.get('x-content-type-options'), 'nosniff');
    t.equal(response.headers.get('x-frame-options'), 'DENY');
    t.equal(response.headers.get('referrer-policy'), 'same-origin');
    t.equal(response.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    figures.headersChecked += 1;
  }
});

t.test('without a login: probes open, the page redirects, /api and its sockets answer 401', async (t) => {
  t.equal((await get('/healthz')).status, 200);
  t.equal((await get('/readyz')).status, 200);
  const page = await get('/');
  t.equal(page.status, 303);
  t.equal(page.headers.get('location'), '/login');
  const api = await get('/api/models');
  t.equal(api.status, 401);
  t.has(await api.json(), { error: { code: 'login_required' } });
  t.has(await tryUpgrade(`${wsBase}/api/ws`, { headers: { Origin: base } }), { status: 401, body: { error: { code: 'login_required' } } });
  t.has(await tryUpgrade(`${wsBase}/api/realtime/ws?model=gpt-realtime`, { headers: { Origin: base } }), {
    status: 401,
    body: { error: { code: 'login_required' } },
  });
  figures.refusedWithoutLogin += 4;
});

t.test('the login form: Chinese or English, no script, a message for a wrong password', async (t) => {
  const zh = await get('/login', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
  const zhHtml = await zh.text();
  t.match(zhHtml, /lang="zh-CN"/);
  t.match(zhHtml, /密码/);
  const en = await (await get('/login', { 'accept-language': 'en-GB,en;q=0.9' })).text();
  t.match(en, /Password/);
  for (const html of [zhHtml, en]) {
    t.notMatch(html, /<script|<style|\sstyle=|\son\w+=/i, 'nothing the CSP would block');
    t.match(html, /<form method="post" action="\/login">/);
  }
  const css = await get('/login.css');
  t.equal(css.status, 200, 'its stylesheet is a file, open without a login');
  const wrong = await login('not the password');
  figures.wrongPasswordsTried += 1;
  t.equal(wrong.status, 401);
  t.equal(wrong.headers.get('set-cookie'), null);
  t.match(await wrong.text(), /Wrong password/);
});

t.test('repeated wrong passwords from one address are refused for a while; others can still log in', async (t) => {
  let last: Response | undefined;
  for (let i = 0; i < 6; i++) {
    last = await login(`guess ${i}`, '10.9.0.66');
    figures.wrongPasswordsTried += 1;
  }
  t.equal(last?.status, 429);
  t.ok(Number(last?.headers.get('retry-after')) > 0, 'with Retry-After');
  t.match(await last?.text(), /Too many wrong passwords/);
  const right = await login(PASSWORD, '10.9.0.66');
  t.equal(right.status, 429, 'even the right password waits out the window from that address');
  t.equal((await login(PASSWORD, '10.9.0.67')).status, 303, 'another address is not affected');
});

t.test('logging in: an HttpOnly SameSite=Strict cookie that opens the page, /api and WebSockets; logging out ends it', async (t) => {
  const response = await login(PASSWORD);
  t.equal(response.status, 303);
  t.equal(response.headers.get('location'), '/');
  const setCookie = response.headers.get('set-cookie') ?? '';
  t.match(setCookie, /^voxgate-login=[A-Za-z0-9_-]{43};/);
  for (const flag of [/;\s*HttpOnly/i, /;\s*SameSite=Strict/i, /;\s*Path=\//, /;\s*Max-Age=\d+/]) {
    t.match(setCookie, flag);
    figures.cookieFlagsChecked += 1;
  }
  t.notMatch(setCookie, /Secure/, 'not Secure over plain HTTP, or the browser would drop it');
  const cookie = setCookie.split(';')[0] ?? '';
  const page = await get('/', { cookie });
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /text\/html/);
  t.equal((await get('/api/models', { cookie })).status, 200);
  const ws = await tryUpgrade(`${wsBase}/api/ws`, { headers: { Origin: base, cookie } });
  t.equal(ws.status, 101, 'the page push channel opens');
  if ('ws' in ws) ws.ws.close();

  const out = await fetch(`${base}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
  t.equal(out.status, 303);
  t.match(out.headers.get('set-cookie'), /Max-Age=0/);
  t.equal((await get('/api/models', { cookie })).status, 401, 'the old cookie no longer works');
  t.equal((await get('/api/models', { cookie: 'voxgate-login=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status, 401, 'nor does a made-up one');
});

t.test('/v1 needs an API key on every route, the realtime upgrade and client secrets included', async (t) => {
  const bearer = { authorization: `Bearer ${API_KEY}` };
  const wrong = { authorization: 'Bearer not-a-key-of-ours' };
  const routes: [string, string, string?][] = [
    ['GET', '/v1/models'],
    ['GET', '/v1/models/gpt-realtime'],
    ['POST', '/v1/chat/completions', JSON.stringify({ model: 'x', messages: [] })],
    ['POST', '/v1/realtime/client_secrets', JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } })],
  ];
  for (const [method, path, body] of routes) {
    for (const headers of [{}, wrong]) {
      const response = await fetch(`${base}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: body ?? null });
      t.equal(response.status, 401, `${method} ${path}`);
      t.has(await response.json(), { error: { code: 'unauthorized', type: 'authentication_error' } });
      figures.refusedWithoutKey += 1;
    }
  }
  t.equal((await get('/v1/models', bearer)).status, 200, 'with the key, /v1 needs no login');
  for (const headers of [{}, wrong]) {
    t.has(await tryUpgrade(`${wsBase}/v1/realtime?model=gpt-realtime`, { headers }), { status: 401, body: { error: { code: 'unauthorized' } } });
    figures.refusedWithoutKey += 1;
  }
  const client = await RealtimeClient.open(`${wsBase}/v1/realtime?model=gpt-realtime`, { headers: bearer });
  t.ok(client.open, 'with the key the realtime socket opens');
  client.close();
  const secret = await fetch(`${base}/v1/realtime/client_secrets`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ session: { type: 'realtime', model: 'gpt-realtime' } }),
  });
  t.equal(secret.status, 200, 'and client secrets are issued');
});

t.test('over TLS: the cookie is Secure with the __Host- prefix, and HSTS is sent', async (t) => {
  const { certFile, keyFile, ca, cleanup } = selfSignedCertificate();
  t.teardown(cleanup);
  const port = await freePort();
  const gateway = spawnService('gateway', { label: 'gateway-tls', port, env: { ...stack.env, TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }, onLine: () => {} });
  t.teardown(() => gateway.stop());
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, method, path, ca, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await waitFor('the TLS gateway', async () => ((await call('GET', '/healthz').catch(() => undefined))?.status === 200 ? true : undefined));
  const probe = await call('GET', '/healthz');
  t.match(probe.headers['strict-transport-security'], /max-age=\d+/, 'HSTS');
  const response = await call('POST', '/login', new URLSearchParams({ password: PASSWORD }).toString());
  t.equal(response.status, 303);
  const setCookie = response.headers['set-cookie']?.[0] ?? '';
  t.match(setCookie, /^__Host-voxgate-login=/);
  t.match(setCookie, /;\s*Secure/);
  t.match(setCookie, /;\s*HttpOnly/);
  t.match(setCookie, /;\s*SameSite=Strict/);
  figures.cookieFlagsChecked += 4;
});

t.test('/metrics: loopback or an API key, like /v1', async (t) => {
  t.equal((await get('/metrics')).status, 200, 'a scraper on this machine');
  t.equal((await get('/metrics', { 'x-forwarded-for': '203.0.113.7' })).status, 401, 'a client from outside, through the trusted proxy');
  t.equal((await get('/metrics', { 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${API_KEY}` })).status, 200, 'with an API key');
  t.equal((await get('/%6detrics', { 'x-forwarded-for': '203.0.113.7' })).status, 401, 'also when the path is percent-encoded');
});

t.teardown(() =>
  recordReliability({
    id: 'access/gate',
    section: 'access',
    title: 'Page behind ACCESS_PASSWORD and /v1 behind API_KEYS: requests without login or key, wrong passwords, cookie flags, security headers',
    figures,
    passed: t.passing(),
  }),
);
