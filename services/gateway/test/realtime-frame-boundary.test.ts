import t from 'tap';
import { closeFrame, FrameBoundary, textFrame } from '../src/realtime/frame-boundary.js';

// Frame headers followed across arbitrary TCP reads: the gateway may only insert frames between two.

/** A frame as a ws peer writes it: FIN, opcode, optional mask, 7/16/64-bit lengths. */
function frame(opcode: number, length: number, { fin = true, masked = false } = {}): Buffer {
  const extended = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + extended + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) head.writeUInt16BE(length, 2);
  if (extended === 8) head.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([head, Buffer.alloc(length, 0x7e)]);
}

t.test('boundaries are found whatever the reads cut, for every length form, masked or not', async (t) => {
  const frames = [frame(1, 5), frame(1, 300, { masked: true }), frame(2, 70_000), frame(9, 0), frame(1, 125, { masked: true })];
  const stream = Buffer.concat(frames);
  const ends = new Set<number>();
  let offset = 0;
  for (const f of frames) {
    offset += f.length;
    ends.add(offset);
  }
  for (const readBytes of [1, 2, 3, 7, 13, 1_000, stream.length]) {
    const boundary = new FrameBoundary();
    const seen: number[] = [];
    for (let at = 0; at < stream.length; at += readBytes) {
      const chunk = stream.subarray(at, Math.min(at + readBytes, stream.length));
      let used = 0;
      // Stopping at every boundary, as a shutdown does, finds each frame's end exactly.
      while (used < chunk.length) {
        const taken = boundary.feed(chunk.subarray(used), true);
        used += taken === 0 ? boundary.feed(chunk.subarray(used, used + 1)) : taken;
        if (boundary.atBoundary) seen.push(at + used);
      }
    }
    t.same(seen, [...ends], `reads of ${readBytes} bytes`);
  }
});

t.test('a fragmented message is open until its final continuation; control frames inside do not end it', async (t) => {
  const boundary = new FrameBoundary();
  boundary.feed(frame(1, 10, { fin: false }));
  t.ok(boundary.atBoundary && boundary.inMessage, 'between frames, inside a message');
  boundary.feed(frame(9, 4));
  t.ok(boundary.inMessage, 'a ping in between does not end it');
  boundary.feed(frame(0, 10, { fin: true }));
  t.notOk(boundary.inMessage, 'the final continuation does');
});

t.test('a close frame is noticed once its header has passed, split across reads or not', async (t) => {
  const boundary = new FrameBoundary();
  boundary.feed(Buffer.concat([frame(1, 10), frame(9, 2)]));
  t.notOk(boundary.closeSeen, 'data and ping frames are not a close');
  const close = frame(8, 2, { masked: true });
  boundary.feed(close.subarray(0, 3));
  t.notOk(boundary.closeSeen, 'not before its header is whole');
  boundary.feed(close.subarray(3));
  t.ok(boundary.closeSeen, 'a close frame passed');
});

t.test('the frames the gateway writes are what a ws peer reads', async (t) => {
  const boundary = new FrameBoundary();
  t.equal(boundary.feed(Buffer.concat([textFrame('{"type":"error"}'), closeFrame(1001, 'bye', true)])), 2 + 16 + 2 + 4 + 5);
  t.ok(boundary.atBoundary, 'two whole frames');
  const close = closeFrame(1001, 'gateway shutting down', false);
  t.same([close[0], close[1], close.readUInt16BE(2)], [0x88, 2 + 21, 1001], 'an unmasked close with its code');
  const masked = closeFrame(1001, '', true);
  const key = masked.subarray(2, 6);
  t.equal((((masked[6] ?? 0) ^ (key[0] ?? 0)) << 8) | ((masked[7] ?? 0) ^ (key[1] ?? 0)), 1001, 'a masked close unmasks to its code');
});
