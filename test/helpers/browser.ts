import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { encodeWav } from '@voxgate/provider-sim';
import { findCommand, installHint } from '../../scripts/lib/system.js';

/** Where the browser tests save the screenshots the README shows. */
export const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const WEB_DIST = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));

/**
 * Debian's Chromium, headless, with a fake microphone (a tone, or `microphoneWav` when given) and
 * no background networking (this machine has no internet; Chromium's own calls would only fail).
 * Refuses with one line when Chromium or the built page is missing.
 */
export async function launchChromium(options: { microphoneWav?: string; autoplay?: boolean } = {}): Promise<Browser> {
  const executablePath = findCommand('chromium') ?? findCommand('chromium-browser');
  if (!executablePath) throw new Error(installHint('chromium', 'chromium'));
  if (!existsSync(WEB_DIST)) throw new Error('web/ is not built; run: npm run build -w web');
  mkdirSync(SCREENSHOTS, { recursive: true });
  const args = ['--no-sandbox', '--disable-background-networking', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
  if (options.microphoneWav) args.push(`--use-file-for-fake-audio-capture=${options.microphoneWav}`);
  if (options.autoplay) args.push('--autoplay-policy=no-user-gesture-required');
  return chromium.launch({ executablePath, headless: true, args });
}

/**
 * What the fake microphone plays, looped by Chromium: a short sentence spoken by espeak-ng (or,
 * without it, a voice-like hum the simulator's energy VAD hears the same way), then `silenceS`
 * of silence so that voice activity detection ends the turn. Removed by the returned cleanup.
 */
export function fakeMicrophoneWav(silenceS: number): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-mic-'));
  const path = join(dir, 'microphone.wav');
  if (findCommand('espeak-ng') && findCommand('sox')) {
    const spoken = join(dir, 'spoken.wav');
    execFileSync('espeak-ng', ['-s', '170', '-w', spoken, 'Hello there, how is the weather today?']);
    execFileSync('sox', [spoken, '-r', '48000', '-c', '1', '-b', '16', path, 'pad', '0', String(silenceS)]);
  } else {
    writeFileSync(path, humWav(48_000, 1.5, silenceS));
  }
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** PCM16 mono WAV: `speechS` of a pulsing harmonic hum, then `silenceS` of silence. */
function humWav(rateHz: number, speechS: number, silenceS: number): Buffer {
  const speech = Math.round(rateHz * speechS);
  const pcm = Buffer.alloc((speech + Math.round(rateHz * silenceS)) * 2);
  for (let i = 0; i < speech; i++) {
    const time = i / rateHz;
    const envelope = Math.max(0, Math.sin(Math.PI * 4 * time)) ** 0.5;
    const voice = Math.sin(2 * Math.PI * 140 * time) + 0.5 * Math.sin(2 * Math.PI * 280 * time) + 0.3 * Math.sin(2 * Math.PI * 700 * time);
    pcm.writeInt16LE(Math.round(envelope * voice * 9_000), i * 2);
  }
  return encodeWav(pcm, rateHz);
}
