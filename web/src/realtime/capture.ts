import { CAPTURE_PROCESSOR, type CaptureCommand, type CaptureFrame } from './worklet-scope.js';

/** Why the microphone could not be opened, in terms the page explains differently. */
export type MicrophoneProblem = 'insecure' | 'unsupported' | 'denied' | 'missing' | 'busy' | 'failed';

export class MicrophoneError extends Error {
  constructor(
    readonly problem: MicrophoneProblem,
    readonly detail: string,
  ) {
    super(`microphone: ${problem}`);
    this.name = 'MicrophoneError';
  }
}

export interface Capture {
  /** The microphone's track, for a transport that sends it as media (WebRTC clones it). */
  readonly track: MediaStreamTrack | undefined;
  /** Whether frames are handed to `onFrame` (the level is measured either way). */
  setSending(enabled: boolean): void;
  /** The latest level, 0..1 on a speech-friendly scale. */
  level(): number;
  stop(): void;
}

/**
 * `getUserMedia` exists only in a secure context (https, or http on localhost); elsewhere
 * `navigator.mediaDevices` is undefined and the page must say how to get one.
 */
export function microphoneAvailability(): MicrophoneProblem | undefined {
  if (!window.isSecureContext) return 'insecure';
  if (typeof navigator.mediaDevices?.getUserMedia !== 'function' || typeof AudioWorkletNode === 'undefined') return 'unsupported';
  return undefined;
}

/** Opens the microphone into the capture worklet; `onFrame` receives 20 ms of PCM16 24 kHz. */
export async function startCapture(context: AudioContext, onFrame: (pcm: ArrayBuffer) => void): Promise<Capture> {
  const unavailable = microphoneAvailability();
  if (unavailable) throw new MicrophoneError(unavailable, '');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      // Echo cancellation keeps the model's own voice out of the microphone: without it, speakers
      // would make the model interrupt itself.
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (error) {
    throw microphoneError(error);
  }
  let source: MediaStreamAudioSourceNode;
  try {
    source = context.createMediaStreamSource(stream);
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    throw new MicrophoneError('failed', error instanceof Error ? error.message : String(error));
  }
  const node = new AudioWorkletNode(context, CAPTURE_PROCESSOR, { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
  source.connect(node);
  let rms = 0;
  node.port.onmessage = (event: MessageEvent<CaptureFrame>) => {
    rms = event.data.rms;
    if (event.data.pcm) onFrame(event.data.pcm);
  };
  return {
    track: stream.getAudioTracks()[0],
    setSending(enabled) {
      const command: CaptureCommand = { type: 'send', enabled };
      node.port.postMessage(command);
    },
    level() {
      // Speech sits around -50..-10 dBFS; map that range onto the meter.
      const db = 20 * Math.log10(rms + 1e-9);
      return Math.min(1, Math.max(0, (db + 55) / 45));
    },
    stop() {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      for (const track of stream.getTracks()) track.stop();
    },
  };
}

function microphoneError(error: unknown): MicrophoneError {
  const name = error instanceof DOMException ? error.name : '';
  const detail = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new MicrophoneError('denied', detail);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new MicrophoneError('missing', detail);
    case 'NotReadableError':
    case 'AbortError':
      return new MicrophoneError('busy', detail);
    default:
      return new MicrophoneError('failed', detail);
  }
}
