import { RtpHeader, RtpPacket, type RTCRtpSender } from 'werift';
import type { AudioOutput } from '../realtime/transport.js';
import { OPUS_FRAME_MS, OPUS_FRAME_SAMPLES, OPUS_RATE_HZ, OpusEncoder } from './opus.js';

/** Answers are at most 12 s; this bounds the queue if a client asks for many quickly. */
const MAX_QUEUED_FRAMES = (60 * 1000) / OPUS_FRAME_MS;

export interface RtpCounters {
  rtpPacketsOut: number;
  rtpBytesOut: number;
}

/**
 * The call's outgoing audio track: response PCM is encoded to Opus and sent as RTP at real-time
 * pace (one 20 ms packet per 20 ms, whatever pace the response is generated at), because a
 * browser's jitter buffer drops audio that arrives much faster than it plays. Reports
 * `output_audio_buffer.started` / `stopped` / `cleared` as OpenAI does over WebRTC.
 */
export class RtpAudioOutput implements AudioOutput {
  readonly #encoder = new OpusEncoder();
  #queue: Buffer[] = [];
  #responseId: string | undefined;
  #finished = false;
  #framesPlayed = 0;
  #timer: NodeJS.Timeout | undefined;
  #nextAtMs = 0;
  #sequence = Math.floor(Math.random() * 0xffff);
  #timestamp = Math.floor(Math.random() * 0xffffffff);
  #lastSentAtMs: number | undefined;
  #closed = false;

  constructor(
    private readonly sender: RTCRtpSender,
    private readonly emit: (event: Record<string, unknown>) => void,
    private readonly counters: RtpCounters,
  ) {}

  play(responseId: string, pcm: Buffer): void {
    if (this.#closed) return;
    if (this.#responseId !== responseId) this.#begin(responseId);
    for (const packet of this.#encoder.encode(pcm)) if (this.#queue.length < MAX_QUEUED_FRAMES) this.#queue.push(packet);
    this.#schedule();
  }

  finish(responseId: string): void {
    if (this.#responseId !== responseId) return;
    this.#queue.push(...this.#encoder.flush());
    this.#finished = true;
    this.#schedule();
  }

  clear(): number {
    const playedMs = this.#framesPlayed * OPUS_FRAME_MS;
    const responseId = this.#responseId;
    this.#reset();
    if (responseId !== undefined) this.emit({ type: 'output_audio_buffer.cleared', response_id: responseId });
    return playedMs;
  }

  close(): void {
    this.#closed = true;
    this.#reset();
    this.#encoder.delete();
  }

  #begin(responseId: string): void {
    // A new answer replaces whatever was still playing, as only one response runs at a time.
    if (this.#responseId !== undefined) this.#reset();
    this.#responseId = responseId;
    this.emit({ type: 'output_audio_buffer.started', response_id: responseId });
  }

  #reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#encoder.flush();
    this.#responseId = undefined;
    this.#finished = false;
    this.#framesPlayed = 0;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#nextAtMs = Math.max(this.#nextAtMs, performance.now());
    this.#tick();
  }

  /** Sends one frame, then waits until the next is due; drift-corrected against the clock. */
  #tick(): void {
    this.#timer = undefined;
    const packet = this.#queue.shift();
    if (packet === undefined) {
      if (this.#finished && this.#responseId !== undefined) {
        this.emit({ type: 'output_audio_buffer.stopped', response_id: this.#responseId });
        this.#reset();
      }
      return;
    }
    this.#send(packet);
    this.#framesPlayed += 1;
    this.#nextAtMs += OPUS_FRAME_MS;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#nextAtMs - performance.now()));
  }

  #send(payload: Buffer): void {
    const now = performance.now();
    // After a pause the RTP clock jumps by the silence, so the receiver plays the next answer on time.
    const gapMs = this.#lastSentAtMs === undefined ? 0 : Math.max(0, now - this.#lastSentAtMs - OPUS_FRAME_MS);
    const resumed = this.#lastSentAtMs === undefined || gapMs > OPUS_FRAME_MS * 2;
    if (resumed && this.#lastSentAtMs !== undefined) this.#timestamp = (this.#timestamp + Math.round((gapMs * OPUS_RATE_HZ) / 1000)) >>> 0;
    this.#lastSentAtMs = now;
    const header = new RtpHeader({ sequenceNumber: this.#sequence, timestamp: this.#timestamp, marker: resumed });
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + OPUS_FRAME_SAMPLES) >>> 0;
    this.counters.rtpPacketsOut += 1;
    this.counters.rtpBytesOut += payload.length;
    this.sender.sendRtp(new RtpPacket(header, payload)).catch(() => {});
  }
}
