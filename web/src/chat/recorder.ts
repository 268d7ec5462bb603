import { ChatLimits } from '@voxgate/protocol';

/**
 * A voice message: MediaRecorder captures the microphone while an AnalyserNode reports its level.
 * The recording is converted to 16 kHz mono 16-bit WAV before upload, because WAV is the one
 * format every provider accepts (OpenAI's `input_audio` takes only wav and mp3, and its
 * transcription endpoint, Gemini and GLM all read it); 16 kHz is what speech models use anyway.
 */

export interface Recording {
  /** 0..1, the current loudness, for the level meter. */
  level(): number;
  /** Milliseconds since recording started. */
  elapsedMs(): number;
  /** Stops and returns the voice message as WAV (or the recorder's own format if it cannot be decoded). */
  finish(): Promise<Blob>;
  /** Stops and throws the recording away. */
  cancel(): void;
}

/** A voice message stops by itself after this long, well under `ChatLimits.audioBytes` of WAV. */
export const MAX_RECORDING_MS = 5 * 60_000;
const WAV_RATE = 16_000;

export async function startRecording(): Promise<Recording> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
  });
  const audio = new AudioContext();
  const analyser = audio.createAnalyser();
  analyser.fftSize = 1024;
  audio.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);

  const mime = pickMime();
  const recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : {});
  const parts: Blob[] = [];
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data.size > 0) parts.push(event.data);
  });
  const stopped = new Promise<void>((resolve) => recorder.addEventListener('stop', () => resolve(), { once: true }));
  recorder.start(250);
  const startedAt = performance.now();

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (recorder.state !== 'inactive') recorder.stop();
    for (const track of stream.getTracks()) track.stop();
    void audio.close();
  };

  return {
    level() {
      if (released) return 0;
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const rms = Math.sqrt(sum / samples.length);
      // Speech sits around -40..-10 dBFS; map that range onto the meter.
      const db = 20 * Math.log10(rms + 1e-9);
      return Math.min(1, Math.max(0, (db + 55) / 45));
    },
    elapsedMs: () => performance.now() - startedAt,
    async finish() {
      release();
      await stopped;
      const recorded = new Blob(parts, { type: recorder.mimeType || 'audio/webm' });
      try {
        const wav = await toWav(recorded);
        return wav.size <= ChatLimits.audioBytes ? wav : recorded;
      } catch {
        return recorded;
      }
    },
    cancel: release,
  };
}

/**
 * Why this page cannot record, if it cannot: `getUserMedia` exists only in a secure context
 * (https, or http on localhost), and some browsers lack MediaRecorder.
 */
export function recordingProblem(): 'insecure' | 'unsupported' | undefined {
  if (!window.isSecureContext) return 'insecure';
  if (typeof MediaRecorder === 'undefined' || typeof navigator.mediaDevices?.getUserMedia !== 'function') return 'unsupported';
  return undefined;
}

function pickMime(): string | undefined {
  for (const type of ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4']) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return undefined;
}

/** Decodes the recording and re-renders it at 16 kHz mono, then writes a PCM WAV file. */
async function toWav(recorded: Blob): Promise<Blob> {
  const decoder = new AudioContext();
  let decoded: AudioBuffer;
  try {
    decoded = await decoder.decodeAudioData(await recorded.arrayBuffer());
  } finally {
    void decoder.close();
  }
  const frames = Math.max(1, Math.ceil(decoded.duration * WAV_RATE));
  const offline = new OfflineAudioContext(1, frames, WAV_RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  const pcm = (await offline.startRendering()).getChannelData(0);

  const buffer = new ArrayBuffer(44 + pcm.length * 2);
  const view = new DataView(buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(at + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + pcm.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, WAV_RATE, true);
  view.setUint32(28, WAV_RATE * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) {
    const s = Math.max(-1, Math.min(1, pcm[i] ?? 0));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buffer], { type: 'audio/wav' });
}
