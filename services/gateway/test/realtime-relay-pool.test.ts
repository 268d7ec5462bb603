import type { NatsConnection } from 'nats';
import t from 'tap';
import type { RelayEntry } from '@voxgate/protocol';
import { RelayPool } from '../src/realtime/relay-pool.js';

// The choice of replica, without NATS: `reserve` only reads the entries it is given.

const entry = (id: string, activeSessions = 0, capacity = 100): RelayEntry => ({
  id,
  address: `ws://127.0.0.1:1/${id}`,
  activeSessions,
  capacity,
  draining: false,
  updatedAt: Date.now(),
});
const pool = () => new RelayPool({} as NatsConnection);

t.test('a burst on a stale registry read is spread evenly', async (t) => {
  const relays = pool();
  const entries = [entry('a'), entry('b'), entry('c')];
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const reserved = relays.reserve(entries, new Set());
    if (!reserved) throw new Error('nothing reserved');
    counts.set(reserved.relay.id, (counts.get(reserved.relay.id) ?? 0) + 1);
    if (i % 2 === 0) reserved.ended('piped');
  }
  t.same(Object.fromEntries(counts), { a: 10, b: 10, c: 10 }, 'dials in flight and piped connections both count');
});

t.test('share of capacity, not absolute sessions; the registry counts when it knows more', async (t) => {
  const relays = pool();
  t.equal(relays.reserve([entry('big', 40, 1000), entry('small', 5, 10)], new Set())?.relay.id, 'big');
  t.equal(relays.reserve([entry('a', 50), entry('b', 10)], new Set())?.relay.id, 'b', 'other gateways’ sessions');
});

t.test('tried replicas are skipped; an unreachable one comes last for a while', async (t) => {
  const relays = pool();
  const entries = [entry('a'), entry('b', 90)];
  t.equal(relays.reserve(entries, new Set(['a']))?.relay.id, 'b');
  t.equal(relays.reserve(entries, new Set(['a', 'b'])), undefined, 'none left');
  relays.reserve(entries, new Set())?.ended('unreachable');
  t.equal(relays.reserve(entries, new Set())?.relay.id, 'b', 'the loaded but reachable one first');
  const end = relays.reserve([entry('a')], new Set());
  t.equal(end?.relay.id, 'a', 'still tried when it is the only one');
  end?.ended('piped')();
  t.equal(relays.reserve(entries, new Set())?.relay.id, 'a', 'reachable again once a dial worked');
});
