import t from 'tap';
import { createMetricsRegistry } from '@voxgate/service-kit';

const MB = 1024 * 1024;

async function arrayBuffersBytes(registry: ReturnType<typeof createMetricsRegistry>): Promise<number> {
  const text = await registry.metrics();
  const match = /^nodejs_array_buffers_bytes\{[^}]*\} (\S+)$/m.exec(text);
  if (!match?.[1]) throw new Error(`no nodejs_array_buffers_bytes in:\n${text.slice(0, 500)}`);
  return Number(match[1]);
}

t.test('/metrics counts the memory Buffers hold, so RSS growth can be told from live buffers', async (t) => {
  const registry = createMetricsRegistry('metrics-test');
  const before = await arrayBuffersBytes(registry);
  const held = Buffer.alloc(64 * MB, 1);
  const during = await arrayBuffersBytes(registry);
  t.ok(during - before >= 60 * MB, `rose by ${Math.round((during - before) / MB)} MB while 64 MB was held`);
  t.equal(held.length, 64 * MB);
});
