import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { ConfigError } from '@voxgate/service-kit';
import { loginCookie, readCookie } from '../src/access/cookies.js';
import { loginPage, pickLanguage } from '../src/access/login-page.js';
import { TrustedProxies } from '../src/access/trusted-proxies.js';

const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

t.test('TRUST_PROXY: forwarded addresses are believed only from the proxies named', async (t) => {
  const none = new TrustedProxies(undefined);
  t.equal(none.clientAddress(request('203.0.113.9', { 'x-forwarded-for': '10.0.0.1' })), '203.0.113.9', 'unset: the header is ignored');
  t.equal(none.trusts('127.0.0.1'), false, 'and no hop is trusted, loopback included');

  const proxies = new TrustedProxies('10.0.0.0/8, 192.0.2.10, ::1');
  t.equal(proxies.clientAddress(request('10.1.2.3', { 'x-forwarded-for': '198.51.100.7' })), '198.51.100.7', 'through a trusted proxy');
  t.equal(proxies.clientAddress(request('::ffff:192.0.2.10', { 'x-forwarded-for': '198.51.100.7' })), '198.51.100.7', 'IPv4-mapped proxy address');
  t.equal(
    proxies.clientAddress(request('10.1.2.3', { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' })),
    '198.51.100.7',
    'what the client wrote in the header itself is not believed: the first untrusted hop from the right',
  );
  t.equal(proxies.clientAddress(request('10.1.2.3', { 'x-forwarded-for': '198.51.100.7, 10.9.9.9' })), '198.51.100.7', 'through two trusted proxies');
  t.equal(proxies.clientAddress(request('203.0.113.9', { 'x-forwarded-for': '198.51.100.7' })), '203.0.113.9', 'from an untrusted peer the header is ignored');
  t.equal(proxies.clientAddress(request('10.1.2.3', { 'x-forwarded-for': 'not-an-ip' })), '10.1.2.3', 'a malformed hop stops the walk at the proxy');
  t.equal(proxies.clientAddress(request('::1', { 'x-forwarded-for': '2001:db8::5' })), '2001:db8::5', 'IPv6');

  for (const bad of ['localhost', '10.0.0.0/33', '999.1.1.1', '::1/129']) {
    t.throws(() => new TrustedProxies(bad), ConfigError, `${bad} stops start-up`);
  }
});

t.test('login form language from Accept-Language', async (t) => {
  t.equal(pickLanguage('zh-CN,zh;q=0.9,en;q=0.8'), 'zh');
  t.equal(pickLanguage('en-US,en;q=0.9,zh-CN;q=0.8'), 'en');
  t.equal(pickLanguage('fr-FR,zh-TW;q=0.5'), 'zh', 'Chinese ranked above no English');
  t.equal(pickLanguage('en;q=0.2,zh;q=0.7'), 'zh', 'by weight, not by order');
  t.equal(pickLanguage(undefined), 'en');
  t.equal(pickLanguage('zh;q=0'), 'en', 'q=0 means not wanted');
  t.notMatch(loginPage('en', 'wrong'), /<script|style=/i, 'no inline script or style');
});

t.test('login cookie flags and reading one cookie among others', async (t) => {
  t.equal(loginCookie('voxgate-login', 'abc', { maxAgeS: 60, tls: false }), 'voxgate-login=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
  t.match(loginCookie('__Host-voxgate-login', 'abc', { maxAgeS: 60, tls: true }), /; Secure$/);
  t.equal(readCookie(request('::1', { cookie: 'a=1; voxgate-login=tok; b=2' }), 'voxgate-login'), 'tok');
  t.equal(readCookie(request('::1', { cookie: 'xvoxgate-login=tok' }), 'voxgate-login'), undefined);
  t.equal(readCookie(request('::1'), 'voxgate-login'), undefined);
});
