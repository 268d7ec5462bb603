/** Where a session's server events go: a WebSocket, or a WebRTC data channel plus sideband sockets. */
export interface EventTransport {
  /** Sends one server event; events to a closed transport are dropped, as on a real network. */
  send(event: Record<string, unknown>): void;
}

/**
 * A WebRTC call's outgoing audio track. Response audio is played on it instead of being sent as
 * `response.output_audio.delta` events; it reports `output_audio_buffer.*` events itself.
 */
export interface AudioOutput {
  /** Queues PCM16 24 kHz audio of `responseId` for the track. */
  play(responseId: string, pcm: Buffer): void;
  /** The response will add no more audio; the buffer reports `stopped` once it has played out. */
  finish(responseId: string): void;
  /** Drops the audio not yet played (`output_audio_buffer.cleared`); returns the ms of it that did play. */
  clear(): number;
}
