import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';

/** How long the answer waits for its host candidates; gathering host candidates alone takes a few ms. */
const GATHER_TIMEOUT_MS = 3_000;

export interface AnsweredPeer {
  pc: RTCPeerConnection;
  answerSdp: string;
  /** The offer's audio m-line, answered sendrecv when the offer sends and receives. */
  audio: RTCRtpTransceiver;
}

/** The offer could not be applied; its message is werift's. */
export class OfferRejected extends Error {}

/**
 * The provider's side of a call: a werift peer that takes the browser's offer and answers with
 * all its candidates at once (OpenAI's answers are not trickled). 127.0.0.1 is added to the host
 * candidates, which are otherwise only the machine's external addresses.
 *
 * The peer is ICE-lite, which gathers host candidates only, as OpenAI's answers carry. A full agent
 * also asks a STUN server for a server-reflexive candidate — werift falls back to
 * stun.l.google.com even with `iceServers: []` — and `setLocalDescription` waits for that: the
 * name lookup alone fails in a few ms offline, but about one lookup in 20 hits the resolver's 5 s
 * retry timeout, which stalled the answer for 5 s. Lite only answers the browser's checks, which
 * suits a server that the browser (the controlling, full agent) always dials.
 */
export async function answerOffer(offerSdp: string): Promise<AnsweredPeer> {
  const pc = new RTCPeerConnection({ iceLite: true, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  } catch (error) {
    await pc.close();
    throw new OfferRejected(error instanceof Error ? error.message : String(error));
  }
  const audio = pc.getTransceivers().find((t) => t.kind === 'audio');
  if (audio === undefined) {
    await pc.close();
    throw new OfferRejected('The offer has no audio m-line.');
  }
  // werift answers an offered sendrecv line with recvonly unless asked to send.
  if (audio.offerDirection === 'sendrecv' || audio.offerDirection === 'recvonly') audio.setDirection(audio.offerDirection === 'sendrecv' ? 'sendrecv' : 'sendonly');
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  const answerSdp = pc.localDescription?.sdp;
  if (answerSdp === undefined) {
    await pc.close();
    throw new OfferRejected('No answer could be created for the offer.');
  }
  return { pc, answerSdp, audio };
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, GATHER_TIMEOUT_MS);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done() {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}
