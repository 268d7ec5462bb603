/** A RIFF/WAVE file's format and its sample data. */
export interface Wav {
  /** 1 = PCM integer samples; GLM-Realtime takes nothing else. */
  audioFormat: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample: number;
  data: Buffer;
}

/**
 * Parses a WAV file; undefined when it is not RIFF/WAVE or has no `fmt ` before its `data` chunk.
 * Streaming recorders write a placeholder data size (often 0 or 0xFFFFFFFF), so the data runs to
 * the end of what was sent whenever the stated size does not fit.
 */
export function parseWav(bytes: Buffer): Wav | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let format: Omit<Wav, 'data'> | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= bytes.length) {
      format = {
        audioFormat: bytes.readUInt16LE(body),
        channels: bytes.readUInt16LE(body + 2),
        sampleRateHz: bytes.readUInt32LE(body + 4),
        bitsPerSample: bytes.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === undefined) return undefined;
      const end = size === 0 || body + size > bytes.length ? bytes.length : body + size;
      return { ...format, data: bytes.subarray(body, end) };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

/** A 44-byte-header WAV file around PCM16 mono samples. */
export function encodeWav(pcm: Buffer, sampleRateHz: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
