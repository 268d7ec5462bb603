import OpusScript from 'opusscript';

/** WebRTC Opus runs at 48 kHz; the realtime session's PCM is 24 kHz. */
export const OPUS_RATE_HZ = 48_000;
/** One RTP packet carries 20 ms, as browsers send it. */
export const OPUS_FRAME_MS = 20;
export const OPUS_FRAME_SAMPLES = (OPUS_RATE_HZ * OPUS_FRAME_MS) / 1000;
const FRAME_BYTES_48K = OPUS_FRAME_SAMPLES * 2;

/** Incoming Opus packets → PCM16 mono 24 kHz, for the energy VAD. */
export class OpusDecoder {
  readonly #opus = new OpusScript(OPUS_RATE_HZ, 1, OpusScript.Application.VOIP);

  /** PCM16 24 kHz of one packet; undefined if the packet does not decode. */
  decode(packet: Buffer): Buffer | undefined {
    try {
      return downsample2(this.#opus.decode(packet));
    } catch {
      return undefined;
    }
  }

  delete(): void {
    this.#opus.delete();
  }
}

/** PCM16 mono 24 kHz → 20 ms Opus packets at 48 kHz; a partial frame waits for the next call. */
export class OpusEncoder {
  readonly #opus = new OpusScript(OPUS_RATE_HZ, 1, OpusScript.Application.AUDIO);
  #carry = Buffer.alloc(0);
  #last = 0;

  encode(pcm24k: Buffer): Buffer[] {
    const audio = Buffer.concat([this.#carry, this.#upsample2(pcm24k)]);
    const packets: Buffer[] = [];
    let offset = 0;
    for (; offset + FRAME_BYTES_48K <= audio.length; offset += FRAME_BYTES_48K) {
      packets.push(Buffer.from(this.#opus.encode(audio.subarray(offset, offset + FRAME_BYTES_48K), OPUS_FRAME_SAMPLES)));
    }
    this.#carry = Buffer.from(audio.subarray(offset));
    return packets;
  }

  /** The last partial frame, padded with silence, so an answer's end is not lost. */
  flush(): Buffer[] {
    if (this.#carry.length === 0) return [];
    const frame = Buffer.alloc(FRAME_BYTES_48K);
    this.#carry.copy(frame);
    this.#carry = Buffer.alloc(0);
    return [Buffer.from(this.#opus.encode(frame, OPUS_FRAME_SAMPLES))];
  }

  /** Doubles the rate by linear interpolation, continuing from the previous chunk's last sample. */
  #upsample2(pcm: Buffer): Buffer {
    const samples = pcm.length >> 1;
    const out = Buffer.alloc(samples * 4);
    for (let i = 0; i < samples; i++) {
      const sample = pcm.readInt16LE(i * 2);
      out.writeInt16LE(Math.round((this.#last + sample) / 2), i * 4);
      out.writeInt16LE(sample, i * 4 + 2);
      this.#last = sample;
    }
    return out;
  }

  delete(): void {
    this.#opus.delete();
  }
}

/** Halves the rate by averaging sample pairs (a crude low-pass, enough for an energy VAD). */
function downsample2(pcm: Buffer): Buffer {
  const pairs = pcm.length >> 2;
  const out = Buffer.alloc(pairs * 2);
  for (let i = 0; i < pairs; i++) out.writeInt16LE((pcm.readInt16LE(i * 4) + pcm.readInt16LE(i * 4 + 2)) >> 1, i * 2);
  return out;
}
