import t from 'tap';
import { WebrtcLimits } from '@voxgate/protocol';
import { ServiceError } from '@voxgate/service-kit';
import { checkOffer } from '../src/offer.js';
import { sessionConfig } from '../src/session-config.js';
import { OFFER } from './fixtures.js';

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
  t.equal(codeOf(() => checkOffer(OFFER.replace(/a=ice-ufrag.*\r\n/, ''))), 'invalid_sdp 400', 'no ICE credentials');
  t.equal(codeOf(() => checkOffer(OFFER.replace(/a=fingerprint.*\r\n/, ''))), 'invalid_sdp 400', 'no fingerprint');
  t.equal(codeOf(() => checkOffer(`${OFFER}<script>\r\n`)), 'invalid_sdp 400', 'a stray line');
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
