import type { Provider } from '@voxgate/protocol';
import { classifyClientFrame } from '../../client-frames.js';
import { parseObject, peekType } from '../../frame.js';
import type { UpstreamTarget } from '../../upstream.js';
import { OBSERVED_SERVER_EVENTS, observeServerEvent } from '../observe.js';
import type { ProviderAdapter, SessionPort } from '../types.js';

/**
 * OpenAI realtime GA: the client already speaks the provider's protocol, so frames cross as the
 * same bytes. Client frames are checked (GA `error` events for what OpenAI would refuse anyway,
 * before it costs a round trip); server frames are only peeked at, and parsed when they carry
 * usage or a transcript.
 */
export class OpenAiPassthrough implements ProviderAdapter {
  readonly provider: Provider = 'openai';
  constructor(readonly target: UpstreamTarget) {}

  opened(): void {}

  fromClient(frame: Buffer, port: SessionPort): void {
    const classified = classifyClientFrame(frame);
    if (classified.kind === 'refused') {
      port.refuse(classified.code, classified.message, classified.eventId);
      return;
    }
    if (classified.kind === 'control' && classified.type === 'session.update') {
      const session = classified.event.session as { type?: unknown; output_modalities?: unknown };
      port.log.debug({ sessionType: session.type, outputModalities: session.output_modalities }, 'session.update');
    }
    port.toProvider(frame);
  }

  fromProvider(frame: Buffer, port: SessionPort): void {
    const type = peekType(frame);
    if (type === 'response.output_audio.delta') {
      port.toClient(frame, true);
      return;
    }
    if (type === undefined || OBSERVED_SERVER_EVENTS.has(type)) {
      const event = parseObject(frame);
      if (event) observeServerEvent(event, port);
    }
    port.toClient(frame);
  }
}
