import OpusScript from 'opusscript';
import { MediaStreamTrack, RTCPeerConnection, type RTCDataChannel, type RTCRtpTransceiver, RtpHeader, RtpPacket } from 'werift';

export type ServerEvent = Record<string, unknown> & { type: string };

/**
 * The browser's side of a call, in werift: an `oai-events` data channel and a sendrecv audio
 * transceiver that can send an Opus tone, as a page with a microphone would.
 */
export class BrowserPeer {
  // max-bundle, as browsers negotiate it: werift's default gathers a transport per m-line and
  // leaves the unbundled one's socket open after the answer, which would keep the test alive.
  // The STUN query werift makes for a server-reflexive candidate (to stun.l.google.com, whatever
  // `iceServers` says) waits for a name lookup that offline now and then takes the resolver's 5 s;
  // the bound (seconds) keeps an offer from stalling on it. Loopback needs only host candidates.
  readonly pc = new RTCPeerConnection({ iceUseIpv6: false, bundlePolicy: 'max-bundle', iceStunGatherTimeout: 0.5 });
  readonly channel: RTCDataChannel;
  readonly audio: RTCRtpTransceiver;
  readonly events: ServerEvent[] = [];
  rtpPacketsIn = 0;
  #cursor = 0;
  #wake: (() => void)[] = [];
  readonly #encoder = new OpusScript(48_000, 1, OpusScript.Application.AUDIO);
  #sequence = 1;
  #timestamp = 0;

  constructor() {
    this.channel = this.pc.createDataChannel('oai-events');
    this.audio = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
    this.channel.onMessage.subscribe((data) => {
      this.events.push(JSON.parse(String(data)) as ServerEvent);
      this.#notify();
    });
    this.audio.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe(() => {
        this.rtpPacketsIn += 1;
        this.#notify();
      }),
    );
    this.pc.connectionStateChange.subscribe(() => this.#notify());
    this.channel.stateChanged.subscribe(() => this.#notify());
  }

  /** The offer with all candidates, as a page sends it after gathering. */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.until(() => this.pc.iceGatheringState === 'complete', 5000, 'ICE gathering');
    return this.pc.localDescription?.sdp ?? '';
  }

  async accept(answerSdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  send(event: Record<string, unknown>): void {
    this.channel.send(JSON.stringify(event));
  }

  /** Sends PCM16 48 kHz mono as 20 ms Opus RTP packets, `intervalMs` apart. */
  async sendPcm(pcm: Buffer, intervalMs = 5): Promise<void> {
    const frameBytes = 960 * 2;
    for (let offset = 0; offset + frameBytes <= pcm.length; offset += frameBytes) {
      const packet = Buffer.from(this.#encoder.encode(pcm.subarray(offset, offset + frameBytes), 960));
      await this.audio.sender.sendRtp(new RtpPacket(new RtpHeader({ sequenceNumber: this.#sequence++ & 0xffff, timestamp: this.#timestamp }), packet));
      this.#timestamp = (this.#timestamp + 960) >>> 0;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** The next event of `type` after those already taken; skipped ones stay in `events`. */
  async next(type: string, where: (e: ServerEvent) => boolean = () => true, timeoutMs = 8000): Promise<ServerEvent> {
    let found: ServerEvent | undefined;
    await this.until(
      () => {
        for (; this.#cursor < this.events.length; this.#cursor++) {
          const event = this.events[this.#cursor];
          if (event?.type === type && where(event)) {
            this.#cursor += 1;
            found = event;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
      `${type} (saw ${this.events.map((e) => e.type).join(', ')})`,
    );
    return found as ServerEvent;
  }

  /** Waits until `condition` holds, re-checking on every event, packet or state change. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  async close(): Promise<void> {
    this.#encoder.delete();
    await this.pc.close();
  }
}

/** PCM16 mono 48 kHz: `toneMs` of 440 Hz at about -10 dBFS, then `silenceMs` of silence. */
export function tone48k(toneMs: number, silenceMs: number): Buffer {
  const toneSamples = toneMs * 48;
  const pcm = Buffer.alloc((toneSamples + silenceMs * 48) * 2);
  for (let i = 0; i < toneSamples; i++) pcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / 48_000) * 0.3 * 32767), i * 2);
  return pcm;
}

/** A multipart call request as the session service sends it. */
export function callForm(sdp: string, session: unknown): FormData {
  const form = new FormData();
  form.set('sdp', sdp);
  form.set('session', typeof session === 'string' ? session : JSON.stringify(session));
  return form;
}
