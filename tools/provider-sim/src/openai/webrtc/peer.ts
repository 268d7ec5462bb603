import { RTCPeerConnection, type RTCRtpTransceiver } from 'werift';

/** How long the answer waits for its host candidates; loopback gathering takes ~150 ms. */
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
 * A full ICE agent (ICE-lite answers did not connect with Chromium) that also asks a STUN server
 * for a server-reflexive candidate: werift falls back to stun.l.google.com even with
 * `iceServers: []`, and `setLocalDescription` waits for it. Offline the name lookup fails in a few
 * ms, but about one in 20 hits the resolver's 5 s retry timeout, so that wait is capped.
 */
export async function answerOffer(offerSdp: string): Promise<AnsweredPeer> {
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false, iceStunGatherTimeout: 0.5 });
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
