import type { ModelEntry } from '@voxgate/protocol';
import { readPref } from '../prefs.js';
import type { ClientEvent, EventTransport, TransportClose, TransportFactory, TransportHandlers, TransportName } from './transport.js';

/**
 * Which transport a call uses. WebRTC is OpenAI's recommendation for browsers and goes first for
 * models that offer it; but its media goes straight between the browser and the provider, which a
 * network that only lets HTTP(S) out through a proxy never allows. `auto` then falls back to the
 * WebSocket relay by itself. The user can pin either one in the settings.
 */

export type TransportChoice = 'auto' | TransportName;
export const TRANSPORT_CHOICES: readonly TransportChoice[] = ['auto', 'webrtc', 'websocket'];

export function readTransportChoice(): TransportChoice {
  const saved = readPref('transport');
  return TRANSPORT_CHOICES.find((choice) => choice === saved) ?? 'auto';
}

/** Whether the model leaves a choice to make (both transports offered). */
export function hasTransportChoice(model: ModelEntry): boolean {
  return model.transports.includes('webrtc') && model.transports.includes('websocket');
}

/** What to try for `model` under `choice`: one transport, or `auto` (WebRTC, then the relay). */
export function transportPlan(model: ModelEntry, choice: TransportChoice): TransportChoice {
  if (!model.transports.includes('webrtc')) return 'websocket';
  if (!model.transports.includes('websocket')) return 'webrtc';
  return choice;
}

export interface ChoiceOptions {
  webrtc: TransportFactory;
  websocket: TransportFactory;
  /** Read at every connect, so a changed setting applies to the next session. */
  plan(): TransportChoice;
  /** `auto` gave up on WebRTC for this call; `close` says why (timeout or refusal). */
  fellBack(close: TransportClose): void;
}

/**
 * A transport factory for a whole call. Under `auto`, a WebRTC attempt that never opened is
 * replaced by the relay under the same handlers, so the session never notices; the rest of the
 * call stays on the relay (the network will not have changed between two reconnects). A WebRTC
 * call that worked and then dropped reconnects over WebRTC again.
 */
export function chooseTransport(options: ChoiceOptions): TransportFactory {
  let relayOnly = false;
  return (handlers: TransportHandlers): EventTransport => {
    const plan = options.plan();
    if (plan === 'websocket' || (plan === 'auto' && relayOnly)) return options.websocket(handlers);
    if (plan === 'webrtc') return options.webrtc(handlers);

    let closing = false;
    let current: EventTransport;
    const trial: TransportHandlers = {
      ...handlers,
      closed(close) {
        if (!close.opened && !closing) {
          relayOnly = true;
          options.fellBack(close);
          current = options.websocket(handlers);
          return;
        }
        handlers.closed(close);
      },
    };
    current = options.webrtc(trial);
    return {
      get name() {
        return current.name;
      },
      get media() {
        return current.media;
      },
      get bufferedBytes() {
        return current.bufferedBytes;
      },
      send(event: ClientEvent) {
        return current.send(event);
      },
      close() {
        closing = true;
        current.close();
      },
    };
  };
}
