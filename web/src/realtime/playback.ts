import { pcm16ToFloat } from './pcm.js';
import { PLAYBACK_PROCESSOR, type PlaybackCommand, type PlaybackReport } from './worklet-scope.js';

/** Where playback of an item stopped: what `conversation.item.truncate` reports. */
export interface StoppedAt {
  itemId: string;
  playedSamples: number;
}

/**
 * The session's view of the speaker, so the event handling does not depend on Web Audio (and a
 * WebRTC call, whose audio plays from a media track, can supply its own).
 */
export interface Playback {
  /** Queues PCM16 24 kHz bytes of an item. */
  push(itemId: string, pcm16: Uint8Array): void;
  /** Drops everything queued now; resolves with how much of the current item was heard. */
  stop(): Promise<StoppedAt | undefined>;
  /** True while queued audio is playing or about to. */
  readonly playing: boolean;
  /** The item whose audio is playing, if any. */
  readonly currentItemId: string | undefined;
  /** Samples played since the player was made, at 24 kHz (a test hook reads it). */
  readonly totalPlayedSamples: number;
}

/** Playback through the playback worklet of `context`. */
export function createWorkletPlayback(context: AudioContext, onChange: () => void): Playback & { close(): void } {
  const node = new AudioWorkletNode(context, PLAYBACK_PROCESSOR, { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
  node.connect(context.destination);
  let total = 0;
  let itemId: string | undefined;
  /** Pushed but not yet reported played: playing until the worklet says it went idle. */
  let pending = false;
  let token = 0;
  const waiting = new Map<number, (report: StoppedAt | undefined) => void>();
  node.port.onmessage = (event: MessageEvent<PlaybackReport>) => {
    const report = event.data;
    total = report.totalPlayedSamples;
    if (report.type === 'progress') {
      itemId = report.itemId;
      // Audio pushed just as the worklet ran dry: it reports idle, then plays the new chunk.
      if (report.queuedSamples > 0) pending = true;
    }
    else if (report.type === 'idle') pending = false;
    else {
      pending = false;
      waiting.get(report.token)?.(report.itemId ? { itemId: report.itemId, playedSamples: report.itemPlayedSamples } : undefined);
      waiting.delete(report.token);
    }
    onChange();
  };
  const send = (command: PlaybackCommand, transfer: Transferable[] = []) => node.port.postMessage(command, transfer);
  return {
    push(id, pcm16) {
      const samples = pcm16ToFloat(pcm16);
      if (samples.length === 0) return;
      pending = true;
      itemId ??= id;
      send({ type: 'push', itemId: id, samples }, [samples.buffer]);
    },
    stop() {
      const mine = ++token;
      const stopped = new Promise<StoppedAt | undefined>((resolve) => {
        waiting.set(mine, resolve);
        // A closed or stalled context never answers; what was reported last is the best estimate.
        setTimeout(() => {
          if (waiting.delete(mine)) resolve(undefined);
        }, 500);
      });
      send({ type: 'clear', token: mine });
      pending = false;
      return stopped;
    },
    get playing() {
      return pending;
    },
    get currentItemId() {
      return pending ? itemId : undefined;
    },
    get totalPlayedSamples() {
      return total;
    },
    close() {
      node.port.onmessage = null;
      node.disconnect();
      for (const resolve of waiting.values()) resolve(undefined);
      waiting.clear();
    },
  };
}
