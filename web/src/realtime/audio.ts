import { checkLogin } from '../api.js';
import captureWorkletUrl from './capture-worklet.ts?worker&url';
import playbackWorkletUrl from './playback-worklet.ts?worker&url';
import { PCM_RATE_HZ } from './worklet-scope.js';

/**
 * One AudioContext for capture and playback, with both worklet modules loaded. Vite bundles each
 * worklet into its own file (`?worker&url`), so the page's CSP `script-src 'self'` holds: no inline
 * or blob code. The context asks for 24 kHz, the GA rate, so neither direction needs resampling;
 * a browser that will not run it at 24 kHz gets its own rate and the worklets resample.
 */
export interface AudioEngine {
  readonly context: AudioContext;
  /** True if the browser blocked audio until the user interacts (autoplay policy). */
  readonly suspended: boolean;
  resume(): Promise<void>;
  close(): void;
}

export async function createAudioEngine(): Promise<AudioEngine> {
  let context: AudioContext;
  try {
    context = new AudioContext({ sampleRate: PCM_RATE_HZ, latencyHint: 'interactive' });
  } catch {
    context = new AudioContext({ latencyHint: 'interactive' });
  }
  try {
    await Promise.all([context.audioWorklet.addModule(captureWorkletUrl), context.audioWorklet.addModule(playbackWorkletUrl)]);
  } catch (error) {
    // A worklet's file is refused too when the login is gone (the gateway answers with the form).
    void checkLogin();
    throw error;
  }
  // Allowed after a click (picking the model); after a reload without one it stays suspended.
  void context.resume().catch(() => undefined);
  return {
    context,
    get suspended() {
      return context.state === 'suspended';
    },
    resume: () => context.resume(),
    close() {
      void context.close().catch(() => undefined);
    },
  };
}
