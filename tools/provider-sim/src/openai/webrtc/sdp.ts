/** Largest SDP offer taken; browsers' offers are 2-6 KiB, so anything near this is not an offer. */
export const MAX_SDP_BYTES = 64 * 1024;

/** Why an offer is refused, in OpenAI's error terms. */
export interface SdpProblem {
  statusCode: 400 | 413;
  code: string;
  message: string;
}

/**
 * Checks an SDP offer before a peer connection sees it, so that bad input gets a clear JSON error
 * rather than a parser's exception: present, not oversized, an SDP session (`v=0` first), with an
 * audio m-line and ICE credentials.
 */
export function offerProblem(sdp: string | undefined): SdpProblem | undefined {
  if (sdp === undefined || sdp.trim() === '') return { statusCode: 400, code: 'missing_sdp', message: 'The request has no SDP offer.' };
  if (Buffer.byteLength(sdp) > MAX_SDP_BYTES) {
    return { statusCode: 413, code: 'sdp_too_large', message: `The SDP offer is larger than ${MAX_SDP_BYTES} bytes.` };
  }
  const lines = sdp.split(/\r?\n/).filter((line) => line !== '');
  if (lines[0]?.trim() !== 'v=0') return { statusCode: 400, code: 'invalid_offer', message: "Invalid SDP offer: it must start with 'v=0'." };
  if (!lines.some((line) => /^m=audio \d+ /.test(line))) return { statusCode: 400, code: 'invalid_offer', message: 'Invalid SDP offer: it has no audio m-line.' };
  if (!lines.some((line) => line.startsWith('a=ice-ufrag:'))) return { statusCode: 400, code: 'invalid_offer', message: 'Invalid SDP offer: it has no ICE credentials.' };
  return undefined;
}

/** A UDP port nothing listens on (discard); checks sent there are never answered. */
const DEAD_PORT = 9;

/**
 * The `webrtc_ice_blackhole` answer: every candidate points at a port where nothing answers, so the
 * browser's ICE checks never succeed — as when UDP is blocked between it and the provider.
 */
export function blackholeCandidates(answer: string): string {
  return answer.replace(/^(a=candidate:\S+ \d+ \S+ \d+ \S+ )\d+( typ .*)$/gm, `$1${DEAD_PORT}$2`);
}
