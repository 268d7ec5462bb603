import { WebrtcLimits } from '@voxgate/protocol';
import { errors } from './errors.js';

/** An SDP attribute a WebRTC offer's audio section must carry (in the section or at session level). */
const REQUIRED_ATTRIBUTES = [
  { prefix: 'a=ice-ufrag:', what: 'no ICE username fragment (a=ice-ufrag)' },
  { prefix: 'a=ice-pwd:', what: 'no ICE password (a=ice-pwd)' },
  { prefix: 'a=fingerprint:', what: 'no DTLS fingerprint (a=fingerprint)' },
  { prefix: 'a=setup:', what: 'no DTLS role (a=setup)' },
] as const;

/**
 * Checks that a browser's offer is an SDP offer worth sending to OpenAI: a session description
 * (`v=0` first) with an audio media section (a call is the microphone's; an offer with only a data
 * channel would be set up and then never hear anything), and the ICE credentials, DTLS fingerprint
 * and DTLS role every WebRTC offer carries for it, in that section or at session level (JSEP puts
 * them in each section; RFC 8866 lets them sit above). What passes here may still be refused by
 * OpenAI; what fails would only be refused there, slower and less clearly, or worse, accepted.
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
  const firstMedia = lines.findIndex((line) => line.startsWith('m='));
  if (firstMedia === -1) throw errors.invalid_sdp({ message: 'The SDP offer has no media section.' });
  const sessionLevel = lines.slice(0, firstMedia);
  const audioStart = lines.findIndex((line) => /^m=audio \d+ \S+ \S/.test(line));
  if (audioStart === -1) throw errors.invalid_sdp({ message: 'The SDP offer has no audio media section (m=audio): a call needs the microphone.' });
  const audioEnd = lines.findIndex((line, i) => i > audioStart && line.startsWith('m='));
  const audio = lines.slice(audioStart + 1, audioEnd === -1 ? undefined : audioEnd);
  for (const { prefix, what } of REQUIRED_ATTRIBUTES) {
    if (!audio.some((line) => line.startsWith(prefix)) && !sessionLevel.some((line) => line.startsWith(prefix))) {
      throw errors.invalid_sdp({ message: `The SDP offer's audio section has ${what}.` });
    }
  }
}
