import t from 'tap';
import { Type } from 'typebox';
import { CommonConfig, ConfigError, loadConfig, Port, ProviderEnv, ProxyConfig } from '@voxgate/service-kit';

const Schema = Type.Object({ ...CommonConfig, ...ProxyConfig, PORT: Port(8080), ...ProviderEnv.openai, ...ProviderEnv.simulator });

t.test('defaults fill what is unset, and strings become the declared types', async (t) => {
  const config = loadConfig(Schema, { PORT: '9000', PROVIDER_SIMULATOR: 'true', SHUTDOWN_GRACE_MS: '250' });
  t.equal(config.PORT, 9000);
  t.equal(config.PROVIDER_SIMULATOR, true);
  t.equal(config.SHUTDOWN_GRACE_MS, 250);
  t.equal(config.NATS_URL, 'nats://127.0.0.1:4222');
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.OPENAI_BASE_URL, 'https://api.openai.com/v1');
  t.equal(config.OPENAI_API_KEY, undefined, 'no key: the provider is simply not configured');
});

t.test('empty values count as unset, as compose writes for a default of nothing', async (t) => {
  const config = loadConfig(Schema, { PORT: '', HTTPS_PROXY: '  ', OPENAI_API_KEY: '' });
  t.equal(config.PORT, 8080);
  t.equal(config.HTTPS_PROXY, undefined);
  t.equal(config.OPENAI_API_KEY, undefined);
});

t.test('the lower-case proxy spellings are read too', async (t) => {
  const config = loadConfig(Schema, { https_proxy: 'http://127.0.0.1:7890', no_proxy: 'localhost' });
  t.equal(config.HTTPS_PROXY, 'http://127.0.0.1:7890');
  t.equal(config.NO_PROXY, 'localhost');
});

t.test('a cluster of NATS URLs is accepted', async (t) => {
  t.equal(loadConfig(Schema, { NATS_URL: 'nats://a:4222, nats://b:4222' }).NATS_URL, 'nats://a:4222, nats://b:4222');
});

t.test('each malformed value is refused in one line naming the variable, never its value', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^invalid configuration: PORT .*\(an integer from 0 to 65535\)$/],
    [{ PORT: '1.5' }, /^invalid configuration: PORT /],
    [{ NATS_URL: 'http://x:4222' }, /^invalid configuration: NATS_URL must be a comma-separated list of nats: or tls: or ws: or wss: URLs$/],
    [{ OPENAI_BASE_URL: 'sk-live-123456' }, /^invalid configuration: OPENAI_BASE_URL must be a http: or https: URL$/],
    [{ LOG_LEVEL: 'chatty' }, /^invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent$/],
    [{ PROVIDER_SIMULATOR: 'yes please' }, /^invalid configuration: PROVIDER_SIMULATOR .*\(true or false\)$/],
    [{ SHUTDOWN_GRACE_MS: '-1' }, /^invalid configuration: SHUTDOWN_GRACE_MS /],
  ];
  for (const [env, message] of cases) {
    const error = t.throws(() => loadConfig(Schema, env)) as unknown;
    t.type(error, ConfigError);
    const text = (error as Error).message;
    t.match(text, message);
    t.notOk(text.includes('\n'), 'one line');
    for (const value of Object.values(env)) t.notOk(text.includes(value), `does not echo ${Object.keys(env)[0]}'s value`);
  }
});

t.test('a value of the wrong form is refused in words, not with the regular expression it failed', async (t) => {
  const schema = Type.Object({ TRUST_PROXY: Type.Optional(Type.String({ pattern: '^[0-9.]+$', description: 'comma-separated IP addresses or CIDR ranges' })) });
  t.throws(() => loadConfig(schema, { TRUST_PROXY: 'my-proxy' }), { message: 'invalid configuration: TRUST_PROXY must be comma-separated IP addresses or CIDR ranges' });
});
