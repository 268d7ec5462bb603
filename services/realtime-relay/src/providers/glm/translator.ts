import { randomUUID } from 'node:crypto';
import type { Provider, RealtimeSessionConfig } from '@voxgate/protocol';
import { bytesFromPcm16, pcm16FromBytes, PcmResampler } from '../../audio/resample.js';
import { wavFile } from '../../audio/wav.js';
import { classifyClientFrame } from '../../client-frames.js';
import { parseObject, peekType, withType } from '../../frame.js';
import type { UpstreamTarget } from '../../upstream.js';
import { observeServerEvent } from '../observe.js';
import type { ProviderAdapter, SessionPort } from '../types.js';
import {
  ABSORBED_SERVER_EVENTS,
  gaError,
  gaSession,
  GLM_INPUT_SAMPLE_RATE,
  GLM_OUTPUT_SAMPLE_RATE,
  glmItem,
  glmSessionUpdate,
  mergeSession,
  RENAMED_SERVER_EVENTS,
  UNSUPPORTED_CLIENT_EVENTS,
  type GlmSessionState,
} from './mapping.js';

/** GA clients send PCM16 at 24 kHz. */
const CLIENT_SAMPLE_RATE = 24_000;

/**
 * Zhipu GLM-Realtime behind the GA protocol (the mapping table is in `mapping.ts`). Per-session
 * state: the configured session, the input resampler's filter history and an odd byte carried
 * between appends.
 */
export class GlmTranslator implements ProviderAdapter {
  readonly provider: Provider = 'zhipu';
  readonly #state: GlmSessionState;
  readonly #input = new PcmResampler(CLIENT_SAMPLE_RATE, GLM_INPUT_SAMPLE_RATE);
  #carry: Buffer | undefined;

  constructor(
    model: string,
    readonly target: UpstreamTarget,
  ) {
    this.#state = { model, vad: true };
  }

  opened(port: SessionPort): void {
    // GLM chooses the model from `session.update`, and defaults to client VAD where GA defaults to server VAD.
    port.toProvider(glmSessionUpdate(this.#state));
  }

  fromClient(frame: Buffer, port: SessionPort): void {
    const classified = classifyClientFrame(frame);
    if (classified.kind === 'refused') {
      port.refuse(classified.code, classified.message, classified.eventId);
      return;
    }
    if (classified.kind === 'append') {
      this.#append(frame.subarray(classified.start, classified.end), port);
      return;
    }
    const { type, event, eventId } = classified;
    const id = eventId ? { event_id: eventId } : {};
    if (UNSUPPORTED_CLIENT_EVENTS.has(type)) {
      port.refuse('unsupported_event', `${type} is not available with GLM-Realtime.`, eventId);
      return;
    }
    switch (type) {
      case 'session.update': {
        const problem = mergeSession(this.#state, event.session as RealtimeSessionConfig);
        if (problem) port.refuse('unsupported_session_option', problem, eventId, 'invalid_request_error');
        else port.toProvider(glmSessionUpdate(this.#state, eventId));
        return;
      }
      case 'conversation.item.truncate':
        // GLM keeps no audio to truncate; the client's view is what counts, so it is confirmed here.
        port.toClient(
          JSON.stringify({
            type: 'conversation.item.truncated',
            event_id: `event_relay_${randomUUID()}`,
            item_id: event.item_id,
            content_index: event.content_index,
            audio_end_ms: event.audio_end_ms,
          }),
        );
        return;
      case 'conversation.item.create':
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now(), item: glmItem(event.item as Record<string, unknown>) }));
        return;
      default:
        // commit, clear, response.create, response.cancel: GLM takes them without GA's options.
        port.toProvider(JSON.stringify({ type, ...id, client_timestamp: Date.now() }));
    }
  }

  fromProvider(frame: Buffer, port: SessionPort): void {
    const peeked = peekType(frame);
    if (peeked === 'response.audio.delta' && GLM_OUTPUT_SAMPLE_RATE === CLIENT_SAMPLE_RATE) {
      const renamed = withType(frame, peeked, 'response.output_audio.delta');
      if (renamed) {
        port.toClient(renamed, true);
        return;
      }
    }
    if (peeked !== undefined && ABSORBED_SERVER_EVENTS.has(peeked)) return;
    const event = parseObject(frame);
    if (event === undefined || typeof event.type !== 'string') {
      port.log.warn({ bytes: frame.length }, 'GLM sent a frame that is not a JSON event; dropped');
      return;
    }
    for (const out of this.#toGa(event)) {
      const parsed = typeof out === 'string' ? undefined : out;
      if (parsed) observeServerEvent(parsed, port);
      port.toClient(typeof out === 'string' ? out : JSON.stringify(out), parsed?.type === 'response.output_audio.delta');
    }
  }

  /** One GLM server event as zero or more GA events (objects are observed for usage and transcripts). */
  #toGa(event: Record<string, unknown>): (Record<string, unknown> | string)[] {
    const type = event.type as string;
    if (ABSORBED_SERVER_EVENTS.has(type)) return [];
    if (type === 'error') return [gaError(event)];
    if (type === 'session.created' || type === 'session.updated') {
      const session = event.session as { id?: unknown } | undefined;
      return [{ type, event_id: event.event_id ?? `event_relay_${randomUUID()}`, session: gaSession(this.#state, session?.id) }];
    }
    if (type === 'conversation.item.created') {
      const { type: _created, ...rest } = event;
      return [
        { ...rest, type: 'conversation.item.added' },
        { ...rest, type: 'conversation.item.done', event_id: `event_relay_${randomUUID()}` },
      ];
    }
    if (type === 'response.function_call_arguments.done' && typeof event.call_id !== 'string') {
      return [{ ...event, call_id: `call_${String(event.response_id ?? randomUUID())}_${String(event.output_index ?? 0)}` }];
    }
    const renamed = RENAMED_SERVER_EVENTS[type];
    if (renamed === 'response.output_audio.delta' && typeof event.delta === 'string') {
      return [{ ...event, type: renamed, delta: this.#outputAudio(event.delta) }];
    }
    return [renamed ? { ...event, type: renamed } : event];
  }

  #outputResampler: PcmResampler | undefined;

  /** GLM audio at another rate than the client's 24 kHz (not the case for `pcm` today). */
  #outputAudio(base64: string): string {
    this.#outputResampler ??= new PcmResampler(GLM_OUTPUT_SAMPLE_RATE, CLIENT_SAMPLE_RATE);
    return bytesFromPcm16(this.#outputResampler.process(pcm16FromBytes(Buffer.from(base64, 'base64')))).toString('base64');
  }

  /** Client PCM16 24 kHz (base64 bytes of the frame) → 16 kHz → a WAV file per append. */
  #append(base64: Buffer, port: SessionPort): void {
    let pcm = Buffer.from(base64.toString('latin1'), 'base64');
    if (this.#carry) {
      pcm = Buffer.concat([this.#carry, pcm]);
      this.#carry = undefined;
    }
    if (pcm.length % 2 === 1) {
      // A sample split across two appends: keep its first byte for the next one.
      this.#carry = Buffer.from(pcm.subarray(pcm.length - 1));
      pcm = pcm.subarray(0, pcm.length - 1);
    }
    const resampled = this.#input.process(pcm16FromBytes(pcm));
    if (resampled.length === 0) return;
    const wav = wavFile(bytesFromPcm16(resampled), GLM_INPUT_SAMPLE_RATE);
    port.toProvider(`{"type":"input_audio_buffer.append","client_timestamp":${Date.now()},"audio":"${wav.toString('base64')}"}`);
  }
}
