import t from 'tap';
import { WebrtcLimits } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import { checkOffer } from '../src/offer.js';
import { sessionConfig } from '../src/session-config.js';
import { DATA_CHANNEL_ONLY, OFFER } from './fixtures.js';

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ServiceError ? `${error.code} ${error.statusCode}` : String(error);
  }
}

t.test('a browser offer passes; each broken offer gets its code', async (t) => {
  t.equal(codeOf(() => checkOffer(OFFER)), undefined);
  t.equal(codeOf(() => checkOffer(OFFER.replaceAll('\r\n', '\n'))), undefined, 'bare LF line ends too');
  t.equal(codeOf(() => checkOffer('')), 'invalid_sdp 400', 'empty');
  t.equal(codeOf(() => checkOffer('  \r\n ')), 'invalid_sdp 400', 'white space');
  t.equal(codeOf(() => checkOffer('hello, I am an offer')), 'invalid_sdp 400', 'not SDP');
  t.equal(codeOf(() => checkOffer(OFFER.replace(/m=.*\r\n/g, ''))), 'invalid_sdp 400', 'no media');
  t.equal(codeOf(() => checkOffer(OFFER.replace(/a=ice-ufrag.*\r\n/, ''))), 'invalid_sdp 400', 'no ICE username fragment');
  t.equal(codeOf(() => checkOffer(OFFER.replace(/a=ice-pwd.*\r\n/, ''))), 'invalid_sdp 400', 'no ICE password');
  t.equal(codeOf(() => checkOffer(OFFER.replace(/a=fingerprint.*\r\n/, ''))), 'invalid_sdp 400', 'no fingerprint');
  t.equal(codeOf(() => checkOffer(OFFER.replace(/a=setup.*\r\n/, ''))), 'invalid_sdp 400', 'no DTLS role');
  t.equal(codeOf(() => checkOffer(`${OFFER}<script>\r\n`)), 'invalid_sdp 400', 'a stray line');
  t.equal(codeOf(() => checkOffer(DATA_CHANNEL_ONLY)), 'invalid_sdp 400', 'only a data channel, with every ICE and DTLS attribute');
  const iceInDataSection = OFFER.replace(/(a=ice-ufrag.*\r\na=ice-pwd.*\r\na=fingerprint.*\r\na=setup.*\r\n)([\s\S]*a=sctp-port:5000\r\n)/, '$2$1');
  t.match(iceInDataSection, /a=sctp-port:5000\r\na=ice-ufrag/, 'the fixture moved as meant');
  t.equal(codeOf(() => checkOffer(iceInDataSection)), 'invalid_sdp 400', "ICE and DTLS only in another section are not the audio's");
  const atSessionLevel = OFFER.replace(/(a=ice-ufrag.*\r\na=ice-pwd.*\r\na=fingerprint.*\r\na=setup.*\r\n)/, '').replace('a=group:BUNDLE 0 1\r\n', `a=group:BUNDLE 0 1\r\n${OFFER.match(/a=ice-ufrag[\s\S]*a=setup.*\r\n/)?.[0]}`);
  t.equal(codeOf(() => checkOffer(atSessionLevel)), undefined, 'ICE and DTLS attributes at session level serve every section');
  const big = OFFER + 'a=x-padding:'.concat('x'.repeat(WebrtcLimits.sdpBytes)).concat('\r\n');
  t.equal(codeOf(() => checkOffer(big)), 'sdp_too_large 413');
});

t.test('the page options in their GA places', async (t) => {
  t.same(sessionConfig({ model: 'gpt-realtime' }), { type: 'realtime', model: 'gpt-realtime' }, 'nothing asked: OpenAI defaults');
  t.same(
    sessionConfig({ model: 'gpt-realtime', voice: 'marin', instructions: 'Be brief.', turnDetection: 'semantic_vad', transcription: true }),
    {
      type: 'realtime',
      model: 'gpt-realtime',
      instructions: 'Be brief.',
      audio: {
        input: { turn_detection: { type: 'semantic_vad' }, transcription: { model: 'gpt-4o-mini-transcribe' } },
        output: { voice: 'marin' },
      },
    },
  );
  t.same(sessionConfig({ model: 'gpt-realtime-mini', turnDetection: 'none' }).audio, { input: { turn_detection: null } }, 'push-to-talk is null');
  t.same(sessionConfig({ model: 'gpt-realtime', transcription: false }), { type: 'realtime', model: 'gpt-realtime' }, 'no transcription asked');
});
