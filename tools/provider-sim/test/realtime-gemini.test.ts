import t from 'tap';
import WebSocket from 'ws';
import { REALTIME_PATHS } from '../src/app.js';
import { frames, refusedUpgrade, speechThenSilence } from './helpers/realtime.js';
import { startSim } from './helpers/sim.js';

const sim = await startSim(t, { realtimePace: 'fast' });
const url = `${sim.url.replace(/^http/, 'ws')}${REALTIME_PATHS.gemini}`;
const keyed = `${url}?key=gemini-test-key`;
const MODEL = 'models/gemini-live-2.5-flash-preview';

type Message = Record<string, unknown>;

/** A raw Gemini Live client: every server message, and whether it came in a binary frame. */
class LiveClient {
  readonly messages: Message[] = [];
  readonly binary: boolean[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #cursor = 0;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      this.binary.push(isBinary);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(address = keyed): Promise<LiveClient> {
    const socket = new WebSocket(address);
    const client = new LiveClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    t.teardown(() => socket.close());
    return client;
  }

  send(message: Message): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The next message (after those already taken) that `match` accepts. */
  async next(what: string, match: (m: Message) => boolean, timeoutMs = 5_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.#cursor < this.messages.length; this.#cursor++) {
        const message = this.messages[this.#cursor] as Message;
        if (match(message)) {
          this.#cursor++;
          return message;
        }
      }
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => Object.keys(m)))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async setup(setup: Message = {}): Promise<void> {
    this.send({ setup: { model: MODEL, generationConfig: { responseModalities: ['AUDIO'] }, ...setup } });
    await this.next('setupComplete', (m) => m.setupComplete !== undefined);
  }

  audio(pcm: Buffer, rateHz = 16_000): void {
    for (const frame of frames(pcm, 20, rateHz)) this.send({ realtimeInput: { audio: { mimeType: `audio/pcm;rate=${rateHz}`, data: frame.toString('base64') } } });
  }
}

const content = (m: Message) => (m.serverContent ?? {}) as Record<string, unknown>;
const isTurnComplete = (m: Message) => content(m).turnComplete === true;
const audioParts = (messages: Message[]) =>
  messages.flatMap((m) => ((content(m).modelTurn as { parts?: { inlineData?: { mimeType: string; data: string } }[] } | undefined)?.parts ?? []).map((p) => p.inlineData).filter((d) => d !== undefined));
const realtime = async () =>
  (await (await fetch(`${sim.url}/_sim/realtime?provider=gemini`)).json()) as {
    open: { gemini: number; total: number };
    sessions: { id: string; open: boolean; model?: string; audioMsIn: number; inputAudioFormat?: string; sessionUpdates: Message[]; clientErrors: number; closeCode?: number }[];
  };

t.test('the upgrade needs a key (?key= or x-goog-api-key); without one, the REST API’s 403', async (t) => {
  t.has(await refusedUpgrade(url), { status: 403, body: { error: { code: 403, status: 'PERMISSION_DENIED' } } });
  const byHeader = new WebSocket(url, { headers: { 'x-goog-api-key': 'k' } });
  await new Promise((resolve, reject) => byHeader.once('open', resolve).once('error', reject));
  byHeader.close();
  const logged = (await sim.requests('gemini')).at(-1);
  t.has(logged, { method: 'GET', path: REALTIME_PATHS.gemini, authPresent: true }, 'logged without its query (the key)');
});

t.test('setup → setupComplete, in binary frames; an answer with 24 kHz audio, transcripts and usage', async (t) => {
  const client = await LiveClient.open();
  await client.setup({ inputAudioTranscription: {}, outputAudioTranscription: {}, systemInstruction: { parts: [{ text: 'Be brief.' }] } });
  t.same(client.binary, [true], 'setupComplete came in a binary frame, as Gemini sends it');
  client.audio(speechThenSilence(600, 800, 16_000));
  const heard = await client.next('input transcription', (m) => content(m).inputTranscription !== undefined);
  const done = await client.next('turnComplete', isTurnComplete);
  const turn = client.messages.slice(client.messages.indexOf(heard));
  const transcript = turn.map((m) => (content(m).inputTranscription as { text?: string } | undefined)?.text ?? '').join('');
  // The simulator's utterance runs from its detected start to the end of the silence that ended it.
  t.equal(transcript, 'simulated transcript of 1.10 s of speech', 'the user’s speech transcribed, in pieces');
  const audio = audioParts(turn);
  t.ok(audio.length > 5 && audio.every((d) => d.mimeType === 'audio/pcm;rate=24000'), `${audio.length} audio parts of PCM 24 kHz`);
  const spoken = turn.map((m) => (content(m).outputTranscription as { text?: string } | undefined)?.text ?? '').join('');
  t.match(spoken, /^Simulated voice answer from gemini-live-2\.5-flash-preview\. You said: "simulated transcript/);
  t.ok(turn.some((m) => content(m).generationComplete === true), 'generationComplete before turnComplete');
  t.match(done.usageMetadata, { promptTokenCount: Number, responseTokenCount: Number, totalTokenCount: Number, promptTokensDetails: [{ modality: 'TEXT' }, { modality: 'AUDIO' }] });
  const state = await realtime();
  const record = state.sessions.find((s) => s.open);
  t.has(record, { model: 'gemini-live-2.5-flash-preview', inputAudioFormat: 'audio/pcm;rate=16000', clientErrors: 0 });
  t.ok(Math.abs((record?.audioMsIn ?? 0) - 1400) < 1, `1400 ms of 16 kHz audio counted (${record?.audioMsIn})`);
  t.has(record?.sessionUpdates[0], { model: MODEL, systemInstruction: { parts: [{ text: 'Be brief.' }] } }, 'the setup as sent');
  t.ok(state.open.gemini >= 1 && state.open.total >= state.open.gemini, 'open Gemini sockets are counted');
  client.audio(speechThenSilence(400, 0, 16_000));
  client.socket.close();
});

t.test('speech over the answer interrupts it: interrupted, then turnComplete', async (t) => {
  // At the real-time pace, so the answer is still playing when the user cuts in.
  const paced = await startSim(t, { realtimePace: 'realtime' });
  const client = await LiveClient.open(`${paced.url.replace(/^http/, 'ws')}${REALTIME_PATHS.gemini}?key=k`);
  await client.setup();
  client.audio(speechThenSilence(500, 700, 16_000));
  await client.next('the answer’s audio', (m) => audioParts([m]).length > 0);
  client.audio(speechThenSilence(300, 0, 16_000));
  const interrupted = await client.next('interrupted', (m) => content(m).interrupted === true);
  t.ok(interrupted, 'interrupted');
  await client.next('turnComplete after interrupted', isTurnComplete);
  const cut = client.messages.slice(client.messages.indexOf(interrupted));
  t.notOk(cut.some((m) => content(m).generationComplete === true), 'no generationComplete in an interrupted turn');
});

t.test('manual turns: activityStart, audio, activityEnd; the signals are refused with automatic detection on', async (t) => {
  const client = await LiveClient.open();
  await client.setup({ realtimeInputConfig: { automaticActivityDetection: { disabled: true } } });
  client.send({ realtimeInput: { activityStart: {} } });
  client.audio(speechThenSilence(300, 100, 16_000));
  client.send({ realtimeInput: { activityEnd: {} } });
  await client.next('turnComplete', isTurnComplete);
  t.ok(audioParts(client.messages).length > 0, 'the turn is answered');
  client.socket.close();

  const auto = await LiveClient.open();
  await auto.setup();
  auto.send({ realtimeInput: { activityStart: {} } });
  t.match(await auto.closed, { code: 1007, reason: /invalid argument/ });
});

t.test('clientContent and a tool: toolCall, the turn waits, toolResponse continues it', async (t) => {
  const client = await LiveClient.open();
  const weather = { name: 'get_weather', description: 'weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, additionalProperties: false } };
  await client.setup({ tools: [{ functionDeclarations: [weather] }] });
  client.send({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'Call get_weather for Paris.' }] }], turnComplete: true } });
  const call = (await client.next('toolCall', (m) => m.toolCall !== undefined)).toolCall as { functionCalls: { id: string; name: string; args: unknown }[] };
  t.has(call.functionCalls, [{ name: 'get_weather', args: { city: 'simulated' } }]);
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(client.messages.some(isTurnComplete), 'no turnComplete while the call waits');
  client.send({ toolResponse: { functionResponses: [{ id: call.functionCalls[0]?.id, name: 'get_weather', response: { output: '{"sky":"clear"}' } }] } });
  await client.next('turnComplete', isTurnComplete);
  const spoken = client.messages.map((m) => (content(m).outputTranscription as { text?: string } | undefined)?.text ?? '').join('');
  t.equal(spoken, '', 'no output transcription unless set up');
  t.ok(audioParts(client.messages).length > 0, 'the answer after the result');

  client.send({ toolResponse: { functionResponses: [{ id: 'function-call-nope', name: 'get_weather', response: { output: 'x' } }] } });
  t.match(await client.closed, { code: 1007 }, 'a result for no waiting call');
});

t.test('what Gemini refuses closes the socket with its codes', async (t) => {
  const cases: [string, unknown, number, RegExp][] = [
    ['an unknown model', { setup: { model: 'models/gpt-realtime' } }, 1008, /^models\/gpt-realtime is not found for API version v1beta/],
    ['an unknown field', { setup: { model: MODEL, generation_config: { response_modalities: ['AUDIO'], voice: 'x' } } }, 1007, /Unknown name "voice" at 'setup\.generation_config': Cannot find field\./],
    ['an unknown message kind', { session: {} }, 1007, /Unknown name "session"/],
    ['a message before setup', { realtimeInput: { audioStreamEnd: true } }, 1007, /setup must be the first message/],
    ['not JSON', 'not json', 1007, /Invalid JSON payload/],
    ['a voice Gemini does not have', { setup: { model: MODEL, generationConfig: { speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'marin' } } } } } }, 1007, /invalid argument/],
    ['parameters with additionalProperties', { setup: { model: MODEL, tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', additionalProperties: false } }] }] } }, 1007, /invalid argument/],
  ];
  for (const [what, message, code, reason] of cases) {
    const client = await LiveClient.open();
    client.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    t.match(await client.closed, { code, reason }, what);
  }
  const client = await LiveClient.open();
  await client.setup();
  client.send({ realtimeInput: { audio: { mimeType: 'audio/pcm;rate=16000', data: 'not base64!' } } });
  t.match(await client.closed, { code: 1007 }, 'audio that is not base64');
  const second = await LiveClient.open();
  await second.setup();
  second.send({ setup: { model: MODEL } });
  t.match(await second.closed, { code: 1007, reason: /already/ }, 'a second setup');
});

t.test('realtime_go_away: goAway, then the close', async (t) => {
  await sim.fault({ provider: 'gemini', kind: 'realtime_go_away', delayMs: 50 });
  const client = await LiveClient.open();
  await client.setup();
  t.same((await client.next('goAway', (m) => m.goAway !== undefined)).goAway, { timeLeft: '1s' });
  t.match(await client.closed, { code: 1011 });
  await t.rejects(sim.fault({ provider: 'openai', kind: 'realtime_go_away' }), /gemini only/, 'only Gemini announces its end');
});

t.test('realtime_invalid_key quotes the key back; closed sockets are no longer counted', async (t) => {
  await sim.fault({ provider: 'gemini', kind: 'realtime_invalid_key' });
  t.match(await refusedUpgrade(`${url}?key=quoted-key-123`), { status: 400, body: { error: { status: 'INVALID_ARGUMENT', message: /quoted-key-123/ } } });
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await realtime()).open.gemini, 0, 'no Gemini socket left open');
});
