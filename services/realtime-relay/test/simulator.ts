import { simulatorEnv, startSimulator, type RunningSimulator } from '../../../scripts/lib/stack.js';
import { startNatsServer, type NatsServerHandle } from '../../../test/helpers/nats-server.js';
import { startRelay, type RelayProcess } from './relay-process.js';

/** One session as the simulator's `GET /_sim/realtime` reports it. */
export interface SimSession {
  id: string;
  provider: 'openai' | 'zhipu';
  model?: string;
  open: boolean;
  closeCode?: number;
  audioBytesIn: number;
  audioMsIn: number;
  clientEvents: number;
  clientErrors: number;
  sessionUpdates: Record<string, unknown>[];
  ignoredFields: string[];
  fault?: string;
}

export interface SimRealtime {
  open: { openai: number; zhipu: number; total: number };
  sessions: SimSession[];
}

/** The real provider simulator, nats-server and the relay as a process pointed at both. */
export interface SimulatedRelay {
  readonly sim: RunningSimulator;
  readonly nats: NatsServerHandle;
  readonly relay: RelayProcess;
  readonly simLines: string[];
  /** `GET /_sim/realtime`. */
  realtime(): Promise<SimRealtime>;
  /** `POST /_sim/faults`; throws unless the simulator took it. */
  fault(body: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimulatedRelay(options: { simEnv?: Record<string, string>; relayEnv?: Record<string, string> } = {}): Promise<SimulatedRelay> {
  const simLines: string[] = [];
  const nats = await startNatsServer();
  const sim = await startSimulator({
    port: 0,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...options.simEnv },
    onLine: (_name, line) => void simLines.push(line),
  });
  const relay = await startRelay({ NATS_URL: nats.url, ...simulatorEnv(sim.url), ...options.relayEnv });
  return {
    sim,
    nats,
    relay,
    simLines,
    async realtime() {
      const response = await fetch(`${sim.url}/_sim/realtime`);
      return (await response.json()) as SimRealtime;
    },
    async fault(body) {
      const response = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (response.status !== 201) throw new Error(`simulator refused the fault: ${response.status} ${await response.text()}`);
    },
    async stop() {
      await relay.proc.stop();
      await sim.proc.stop();
      await nats.dispose();
    },
  };
}

/** PCM16 mono at `rateHz`: a loud 440 Hz tone (about −8 dBFS), which energy VAD takes for speech. */
export function tone(ms: number, rateHz = 24_000): Buffer {
  const samples = Math.round((ms * rateHz) / 1000);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * 440 * i) / rateHz)), i * 2);
  return pcm;
}

export function silence(ms: number, rateHz = 24_000): Buffer {
  return Buffer.alloc(Math.round((ms * rateHz) / 1000) * 2);
}

/** `pcm` cut into 20 ms `input_audio_buffer.append` events (24 kHz: 960 bytes each). */
export function appendEvents(pcm: Buffer, frameBytes = 960): string[] {
  const frames: string[] = [];
  for (let at = 0; at < pcm.length; at += frameBytes) {
    frames.push(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm.subarray(at, at + frameBytes).toString('base64') }));
  }
  return frames;
}

/** The simulator's record of the newest session of `provider`. */
export function newest(state: SimRealtime, provider: 'openai' | 'zhipu'): SimSession | undefined {
  // Open sessions come first, then closed ones newest first; the ids count up (base 36).
  return state.sessions.filter((s) => s.provider === provider).sort((a, b) => idNumber(b.id) - idNumber(a.id))[0];
}

function idNumber(id: string): number {
  return Number.parseInt(/^sess_([0-9a-z]+)sim$/.exec(id)?.[1] ?? '0', 36);
}
