import { CAPTURE_PROCESSOR, type CaptureCommand, type CaptureMessage } from './worklet-scope.js';

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
  /**
   * Whether frames are handed to `onFrame` (the level is measured either way). Resolves once
   * every frame captured before the change has been handed over; switching off hands over the
   * part of a frame already captured, so a turn ends where the user let go.
   */
  setSending(enabled: boolean): Promise<void>;
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

/** A suspended or closed context may never answer a command; what was handed over by then is all there is. */
const SEND_ANSWER_TIMEOUT_MS = 250;

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
  // The worklet starts out sending.
  let sending = true;
  let token = 0;
  const answered = new Map<number, () => void>();
  node.port.onmessage = (event: MessageEvent<CaptureMessage>) => {
    const message = event.data;
    if (message.type === 'sent') {
      answered.get(message.token)?.();
      answered.delete(message.token);
      return;
    }
    rms = message.rms;
    if (message.pcm) onFrame(message.pcm);
  };
  return {
    track: stream.getAudioTracks()[0],
    setSending(enabled) {
      if (enabled === sending) return Promise.resolve();
      sending = enabled;
      const mine = ++token;
      const command: CaptureCommand = { type: 'send', enabled, token: mine };
      const done = new Promise<void>((resolve) => {
        answered.set(mine, resolve);
        setTimeout(() => {
          if (answered.delete(mine)) resolve();
        }, SEND_ANSWER_TIMEOUT_MS);
      });
      node.port.postMessage(command);
      return done;
    },
    level() {
      // Speech sits around -50..-10 dBFS; map that range onto the meter.
      const db = 20 * Math.log10(rms + 1e-9);
      return Math.min(1, Math.max(0, (db + 55) / 45));
    },
    stop() {
      node.port.onmessage = null;
      for (const resolve of answered.values()) resolve();
      answered.clear();
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
