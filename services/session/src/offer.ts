import { WebrtcLimits } from '@voxgate/protocol';
import { errors } from './errors.js';

/**
 * Checks that a browser's offer is an SDP offer worth sending to OpenAI: a session description
 * (`v=0` first) with at least one media section and the ICE credentials and DTLS fingerprint every
 * WebRTC offer carries. What passes here may still be refused by OpenAI; what fails would only be
 * refused there, slower and less clearly.
 */
export function checkOffer(sdp: string): void {
  if (Buffer.byteLength(sdp, 'utf8') > WebrtcLimits.sdpBytes) {
    throw errors.sdp_too_large({ message: `The SDP offer may have at most ${WebrtcLimits.sdpBytes} bytes.` });
  }
  if (sdp.trim() === '') throw errors.invalid_sdp({ message: 'The SDP offer is empty.' });
  const lines = sdp.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  if (lines[0] !== 'v=0') throw errors.invalid_sdp({ message: 'The SDP offer does not start with "v=0".' });
  if (!lines.every((line) => /^[a-z]=/.test(line))) {
    throw errors.invalid_sdp({ message: 'The SDP offer has a line that is not "<letter>=<value>".' });
  }
  if (!lines.some((line) => line.startsWith('m='))) throw errors.invalid_sdp({ message: 'The SDP offer has no media section.' });
  if (!lines.some((line) => line.startsWith('a=ice-ufrag:'))) throw errors.invalid_sdp({ message: 'The SDP offer has no ICE credentials.' });
  if (!lines.some((line) => line.startsWith('a=fingerprint:'))) throw errors.invalid_sdp({ message: 'The SDP offer has no DTLS fingerprint.' });
}
