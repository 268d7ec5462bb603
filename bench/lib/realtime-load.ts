import WebSocket from 'ws';

/**
 * Realtime sessions as a voice client drives them: 20 ms PCM16 frames at 24 kHz sent as they would
 * be captured (`input_audio_buffer.append`), a response always running so the provider streams
 * audio back at its own pace, and a round-trip probe every 100 ms (`conversation.item.create` →
 * the user item's `conversation.item.added`, which providers answer at once). Frames are prebuilt
 * and audio deltas are counted without being parsed, so this process stays a cheap client.
 */

export interface Endpoint {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const FRAME_MS = 20;
const SAMPLE_RATE_HZ = 24_000;
export const PROBE_INTERVAL_MS = 100;
/** Server frames above this size are audio deltas (a 40 ms delta is ~2.6 kB); smaller ones are parsed. */
const PARSE_LIMIT_BYTES = 1_500;

/**
 * 20 ms of a quiet tone (about -64 dBFS): real samples to carry and resample, far below the
 * providers' voice-activity threshold, so no turn is ever detected and only the probes and the
 * running response make events.
 */
function quietFrame(): string {
  const samples = (SAMPLE_RATE_HZ * FRAME_MS) / 1000;
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(20 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE_HZ)), i * 2);
  return JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm.toString('base64') });
}
const APPEND_FRAME = quietFrame();
export const APPEND_FRAME_BYTES = Buffer.byteLength(APPEND_FRAME);
const RESPONSE_CREATE = JSON.stringify({ type: 'response.create' });
const PROBE_PREFIX = 'probe:';

const probeFrame = (n: number) =>
  JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `${PROBE_PREFIX}${n}` }] } });

/** What every session of one measurement adds to; only what happens while `measuring` is counted. */
export class Recorder {
  measuring = false;
  readonly rttMs: number[] = [];
  probesSent = 0;
  probesAnswered = 0;
  audioDeltas = 0;
  appendsSent = 0;
  errors = 0;
  firstError: string | undefined;
  /** Session opens refused or failed and tried again (a relay can be briefly unlisted under load). */
  retries = 0;
}

interface ServerEvent {
  type?: string;
  item?: { role?: string; content?: { text?: string }[] };
  error?: { code?: string; message?: string };
}

export class LoadSession {
  readonly #ws: WebSocket;
  readonly #recorder: Recorder;
  readonly #timers: NodeJS.Timeout[] = [];
  /** Probe number → when it was sent, and whether it counts. */
  readonly #probes = new Map<number, { sentMs: number; counted: boolean }>();
  #nextProbe = 0;
  readonly created: Promise<void>;
  readonly closed: Promise<void>;

  constructor(endpoint: Endpoint, recorder: Recorder, timeoutMs: number) {
    this.#recorder = recorder;
    this.#ws = new WebSocket(endpoint.url, { headers: { ...endpoint.headers }, perMessageDeflate: false });
    this.closed = new Promise((resolve) => this.#ws.once('close', () => resolve()));
    this.created = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no session.created from ${endpoint.url} within ${timeoutMs} ms`)), timeoutMs);
      this.#ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      // A refusal's body names its cause (`no_relay`, `relay_full`…), which ws's own error leaves out.
      this.#ws.once('unexpected-response', (_request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          reject(new Error(`${endpoint.url} refused with HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
          this.#ws.terminate();
        });
      });
      this.#ws.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`${endpoint.url} closed with ${code} before session.created`));
      });
      this.#ws.on('message', (data: Buffer) => {
        if (this.#onFrame(data) === 'session.created') {
          clearTimeout(timer);
          this.#start();
          resolve();
        }
      });
    });
    // A failure after start-up is counted, not thrown: one bad session must not end the run.
    this.created.catch(() => {});
  }

  #start(): void {
    this.#ws.send(RESPONSE_CREATE);
    // Each session starts its clocks at its own moment, as independent callers would.
    const phase = setTimeout(() => {
      this.#timers.push(setInterval(() => this.#sendAudio(), FRAME_MS));
      this.#timers.push(setInterval(() => this.#sendProbe(), PROBE_INTERVAL_MS));
    }, Math.random() * PROBE_INTERVAL_MS);
    this.#timers.push(phase);
  }

  #sendAudio(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(APPEND_FRAME);
    if (this.#recorder.measuring) this.#recorder.appendsSent++;
  }

  #sendProbe(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    const n = this.#nextProbe++;
    const counted = this.#recorder.measuring;
    this.#probes.set(n, { sentMs: performance.now(), counted });
    if (counted) this.#recorder.probesSent++;
    this.#ws.send(probeFrame(n));
  }

  /** Handles one server frame; returns its type when it was parsed. */
  #onFrame(data: Buffer): string | undefined {
    const recorder = this.#recorder;
    if (data.length > PARSE_LIMIT_BYTES) {
      if (recorder.measuring) recorder.audioDeltas++;
      return undefined;
    }
    let event: ServerEvent;
    try {
      event = JSON.parse(data.toString()) as ServerEvent;
    } catch {
      recorder.errors++;
      recorder.firstError ??= `a frame that is not JSON: ${data.subarray(0, 80).toString()}`;
      return undefined;
    }
    if (event.type === 'conversation.item.added' && event.item?.role === 'user') {
      const text = event.item.content?.find((part) => typeof part.text === 'string')?.text ?? '';
      const probe = text.startsWith(PROBE_PREFIX) ? this.#probes.get(Number(text.slice(PROBE_PREFIX.length))) : undefined;
      if (probe) {
        this.#probes.delete(Number(text.slice(PROBE_PREFIX.length)));
        if (probe.counted) {
          recorder.rttMs.push(performance.now() - probe.sentMs);
          recorder.probesAnswered++;
        }
      }
    } else if (event.type === 'response.done') {
      // Keep the provider talking: the next answer starts as soon as one ends.
      this.#ws.send(RESPONSE_CREATE);
    } else if (event.type === 'error') {
      recorder.errors++;
      recorder.firstError ??= `${event.error?.code}: ${event.error?.message}`;
    }
    return event.type;
  }

  /** Stops sending and closes; resolves once closed (terminated if the close is not answered in time). */
  async close(timeoutMs = 3_000): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate();
    else this.#ws.close(1000);
    const timer = setTimeout(() => this.#ws.terminate(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }
}

/**
 * A gateway that found its only relay too slow to answer an upgrade (a saturated shared machine)
 * skips it for 5 s and answers 503 meanwhile: the attempts span about 12 s to outlast that.
 */
const OPEN_ATTEMPTS = 8;
const OPEN_BACKOFF_MAX_MS = 2_000;

/** One session, tried again after a pause when refused, as a client reconnects. */
async function openOne(endpoint: Endpoint, recorder: Recorder): Promise<LoadSession> {
  for (let attempt = 1; ; attempt++) {
    const session = new LoadSession(endpoint, recorder, 15_000);
    try {
      await session.created;
      return session;
    } catch (error) {
      await session.close();
      if (attempt >= OPEN_ATTEMPTS) throw error;
      recorder.retries++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(OPEN_BACKOFF_MAX_MS, 500 * attempt)));
    }
  }
}

/** Opens `count` sessions, `batch` at a time, and waits for each one's `session.created`. */
export async function openSessions(endpoint: Endpoint, count: number, recorder: Recorder, batch = 25): Promise<LoadSession[]> {
  const sessions: LoadSession[] = [];
  try {
    for (let opened = 0; opened < count; opened += batch) {
      const wave = await Promise.allSettled(Array.from({ length: Math.min(batch, count - opened) }, () => openOne(endpoint, recorder)));
      for (const result of wave) if (result.status === 'fulfilled') sessions.push(result.value);
      const failed = wave.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (error) {
    await closeSessions(sessions);
    throw error;
  }
  return sessions;
}

export async function closeSessions(sessions: readonly LoadSession[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close()));
}
