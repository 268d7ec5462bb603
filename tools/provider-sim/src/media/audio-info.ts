/** What the first bytes of an audio file say about it. */
export interface AudioHeader {
  format: 'wav' | 'mp3' | 'ogg' | 'webm' | 'flac' | 'mp4';
  mimeType: string;
  /** Only a WAV header states these; compressed formats would need decoding. */
  sampleRateHz?: number;
  channels?: number;
  durationMs?: number;
}

const MIME_TYPES: Record<AudioHeader['format'], string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  webm: 'audio/webm',
  flac: 'audio/flac',
  mp4: 'audio/mp4',
};

/** The registered MIME type of an audio container. */
export function audioMimeType(format: AudioHeader['format']): string {
  return MIME_TYPES[format];
}

/** Recognises the audio container by its magic bytes; undefined when it is none we know. */
export function readAudioHeader(bytes: Buffer): AudioHeader | undefined {
  const format = sniff(bytes);
  if (format === undefined) return undefined;
  const header: AudioHeader = { format, mimeType: MIME_TYPES[format] };
  return format === 'wav' ? { ...header, ...wavDetails(bytes) } : header;
}

function sniff(bytes: Buffer): AudioHeader['format'] | undefined {
  // No container we know fits in fewer bytes than its own magic and first fields.
  if (bytes.length < 12) return undefined;
  const ascii = (start: number, end: number) => bytes.toString('latin1', start, end);
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame starts with 11 set sync bits.
  if (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) return 'mp3';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (bytes.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(4, 8) === 'ftyp') return 'mp4';
  return undefined;
}

/** Reads `fmt ` and `data` chunks; the duration follows from the data size and byte rate. */
function wavDetails(bytes: Buffer): Pick<AudioHeader, 'sampleRateHz' | 'channels' | 'durationMs'> {
  let offset = 12;
  let channels: number | undefined;
  let sampleRateHz: number | undefined;
  let byteRate: number | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 12 <= bytes.length) {
      channels = bytes.readUInt16LE(body + 2);
      sampleRateHz = bytes.readUInt32LE(body + 4);
      byteRate = bytes.readUInt32LE(body + 8);
    } else if (id === 'data') {
      // Recorders that stream WAV write a placeholder size (often 0xFFFFFFFF); trust the bytes.
      const dataBytes = Math.min(size, bytes.length - body);
      const details: Pick<AudioHeader, 'sampleRateHz' | 'channels' | 'durationMs'> = {};
      if (sampleRateHz !== undefined) details.sampleRateHz = sampleRateHz;
      if (channels !== undefined) details.channels = channels;
      if (byteRate !== undefined && byteRate > 0) details.durationMs = Math.round((dataBytes / byteRate) * 1000);
      return details;
    }
    // Chunks are padded to an even size.
    offset = body + size + (size % 2);
  }
  return {};
}
