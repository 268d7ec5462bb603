import { connect, type NatsConnection } from 'nats';
import { MediaStreamTrack, RTCPeerConnection, type RTCDataChannel } from 'werift';
import { createParser, RealtimeCallAnswer, WebrtcSubjects } from '@voxgate/protocol';
import { requestJson } from '@voxgate/service-kit';
import type { Stack } from '../../test/helpers/stack.js';
import { alternating, type Figure, type Measured, type RunContext, type Scenario } from '../lib/scenario.js';
import { withStack } from '../lib/stack.js';
import { percentile } from '../lib/stats.js';

/**
 * The page's WebRTC call set-up, two ways in the same run, alternating call by call:
 *
 * 1. The SDP exchange alone: one werift offer's SDP text posted again and again through ours
 *    (`POST /api/realtime/calls` → gateway → NATS → session → simulator) and straight to the
 *    simulator (`POST /openai/v1/realtime/calls`, multipart with the server key, as session sends
 *    it). Every call is hung up afterwards, outside the timing, so the simulator does not pile up
 *    peers that would slow later calls down. A third side, the same request put on NATS straight
 *    to session (`requestJson`, as the gateway does), splits what ours adds between the gateway's
 *    HTTP hop and session's own.
 * 2. From picking the model to the call being usable: a werift peer as the browser is created,
 *    offers, the offer is posted, the answer set, and the clock stops once the `oai-events` data
 *    channel is open and `session.created` has arrived on it (werift may hand over the provider's
 *    first events a moment before it reports the channel open). Baseline: the same with the offer
 *    posted to the simulator.
 *
 * Both sides reach the same simulator on loopback, whose own answer takes ~150 ms of ICE
 * gathering, so only what ours adds is ours. Issue 4, "Speed".
 */

const MODEL = 'gpt-realtime';
/** What session sends for a call with no options (services/session/src/session-config.ts). */
const SESSION_CONFIG = { type: 'realtime', model: MODEL };
const CALL_TIMEOUT_MS = 10_000;

type Side = 'direct' | 'gateway';
/** `session`: the request on NATS straight to session, only in the SDP exchange, to locate the added time. */
type ExchangeSide = Side | 'session';
const answerParser = createParser(RealtimeCallAnswer);

/** One signalling round trip's result: the answer and how to hang the call up afterwards. */
interface Answered {
  readonly sdp: string;
  readonly callId: string;
}

class Signalling {
  readonly #gatewayUrl: string;
  readonly #simulatorUrl: string;
  readonly #key: string;
  readonly #nc: NatsConnection;

  constructor(stack: Stack, nc: NatsConnection) {
    this.#nc = nc;
    this.#gatewayUrl = stack.gatewayUrl;
    this.#simulatorUrl = stack.simulatorUrl ?? '';
    this.#key = stack.env.OPENAI_API_KEY ?? '';
    if (!this.#simulatorUrl || !this.#key) throw new Error('the stack has no provider simulator or no OPENAI_API_KEY for it');
  }

  post(side: ExchangeSide, offer: string): Promise<Answered> {
    if (side === 'session') return this.#requestSession(offer);
    return side === 'direct' ? this.#postDirect(offer) : this.#postGateway(offer);
  }

  async #requestSession(offer: string): Promise<Answered> {
    const answer = await requestJson(this.#nc, WebrtcSubjects.createCall, { model: MODEL, sdp: offer }, { response: answerParser, timeoutMs: 30_000, requestId: 'bench-webrtc' });
    return { sdp: answer.sdp, callId: answer.callId };
  }

  async #postDirect(offer: string): Promise<Answered> {
    const form = new FormData();
    form.set('sdp', offer);
    form.set('session', JSON.stringify(SESSION_CONFIG));
    const response = await fetch(`${this.#simulatorUrl}/openai/v1/realtime/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#key}` },
      body: form,
    });
    const sdp = await response.text();
    if (response.status !== 201) throw new Error(`the simulator answered ${response.status}: ${sdp.slice(0, 200)}`);
    // `Location: /v1/realtime/calls/rtc_…` names the call, as at OpenAI.
    const callId = response.headers.get('location')?.split('/').pop() ?? '';
    if (!callId) throw new Error('the simulator answered without a Location');
    return { sdp, callId };
  }

  async #postGateway(offer: string): Promise<Answered> {
    const response = await fetch(`${this.#gatewayUrl}/api/realtime/calls?model=${MODEL}`, {
      method: 'POST',
      // The gateway takes calls only from its own page.
      headers: { 'content-type': 'application/json', origin: this.#gatewayUrl },
      body: JSON.stringify({ sdp: offer }),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`the gateway answered ${response.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { sdp: string; callId: string };
    return { sdp: body.sdp, callId: body.callId };
  }

  /** Calls set up through session (from the gateway or on NATS) are hung up through the gateway. */
  async hangup(side: ExchangeSide, callId: string): Promise<void> {
    const response =
      side === 'direct'
        ? await fetch(`${this.#simulatorUrl}/openai/v1/realtime/calls/${callId}/hangup`, {
            method: 'POST',
            headers: { authorization: `Bearer ${this.#key}` },
          })
        : await fetch(`${this.#gatewayUrl}/api/realtime/calls/${callId}/hangup`, { method: 'POST', headers: { origin: this.#gatewayUrl } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${side} hang-up of ${callId} answered ${response.status}`);
  }
}

/** The browser's side, as the page sets a call up: an `oai-events` data channel and a sendrecv audio transceiver. */
class BrowserPeer {
  // max-bundle, as browsers negotiate it: werift's default keeps an unbundled transport's socket
  // open after the answer, which would keep the process alive.
  // werift asks a public STUN server even with no ice servers; offline that lookup sometimes waits
  // 5 s for the resolver, so it gets half a second at most.
  readonly pc = new RTCPeerConnection({ iceUseIpv6: false, bundlePolicy: 'max-bundle', iceStunGatherTimeout: 0.5 });
  readonly channel: RTCDataChannel = this.pc.createDataChannel('oai-events');

  constructor() {
    this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
  }

  /** The offer with every candidate, as a page sends it once gathering is complete. */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((state) => {
          if (state !== 'complete') return;
          unSubscribe();
          resolve();
        });
      });
    }
    return this.pc.localDescription?.sdp ?? '';
  }

  /** Resolves at the first `session.created` on the data channel, which the provider sends once it is open. */
  sessionCreated(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        subscription.unSubscribe();
        reject(new Error(`no session.created within ${timeoutMs} ms (data channel ${this.channel.readyState}, ICE ${this.pc.iceConnectionState})`));
      }, timeoutMs);
      const subscription = this.channel.onMessage.subscribe((data) => {
        if ((JSON.parse(String(data)) as { type?: string }).type !== 'session.created') return;
        clearTimeout(timer);
        subscription.unSubscribe();
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return this.pc.close();
  }
}

/** When the channel reports `open`; werift may deliver the provider's first events a moment before. */
function channelOpen(channel: RTCDataChannel, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.unSubscribe();
      reject(new Error(`the data channel did not open within ${timeoutMs} ms (${channel.readyState})`));
    }, timeoutMs);
    const subscription = channel.stateChanged.subscribe((state) => {
      if (state !== 'open') return;
      clearTimeout(timer);
      subscription.unSubscribe();
      resolve(performance.now());
    });
  });
}

/** Times of one call from picking the model; the peer is closed and the call hung up before it returns. */
async function connectOnce(signalling: Signalling, side: Side): Promise<{ openMs: number; sessionCreatedMs: number; readyMs: number }> {
  const startedMs = performance.now();
  const peer = new BrowserPeer();
  let callId: string | undefined;
  try {
    // Both are listened for before anything is sent, so neither can be missed.
    const opened = channelOpen(peer.channel, CALL_TIMEOUT_MS);
    const created = peer.sessionCreated(CALL_TIMEOUT_MS).then(() => performance.now());
    opened.catch(() => {});
    created.catch(() => {});
    const answered = await signalling.post(side, await peer.offer());
    callId = answered.callId;
    await peer.pc.setRemoteDescription({ type: 'answer', sdp: answered.sdp });
    const [openAtMs, createdAtMs] = await Promise.all([opened, created]);
    // The page can talk once it has both: the channel open and the provider's session.
    return { openMs: openAtMs - startedMs, sessionCreatedMs: createdAtMs - startedMs, readyMs: Math.max(openAtMs, createdAtMs) - startedMs };
  } finally {
    await peer.close();
    if (callId !== undefined) await signalling.hangup(side, callId);
  }
}

type Settings = ReturnType<typeof settingsFor>;

function settingsFor(context: RunContext) {
  return {
    model: MODEL,
    exchangeWarmupPairs: context.quick ? 3 : 10,
    exchangePairs: context.quick ? 15 : 100,
    connectWarmupPairs: context.quick ? 1 : 2,
    connectPairs: context.quick ? 6 : 20,
    browser: 'werift peer (not Chromium)',
  };
}

async function measure(context: RunContext, stack: Stack): Promise<Measured> {
  const settings = settingsFor(context);
  const nc = await connect({ servers: stack.nats.url });
  try {
    return await measureWith(context, stack, nc, settings);
  } finally {
    await nc.close();
  }
}

async function measureWith(context: RunContext, stack: Stack, nc: NatsConnection, settings: Settings): Promise<Measured> {
  const signalling = new Signalling(stack, nc);

  // 1. The SDP exchange: one offer's text, reused; its peer is not needed afterwards.
  const offerPeer = new BrowserPeer();
  const offer = await offerPeer.offer();
  await offerPeer.close();
  const exchangeMs: Record<ExchangeSide, number[]> = { direct: [], gateway: [], session: [] };
  const exchangeSides: ExchangeSide[] = ['direct', 'gateway', 'session'];
  const exchangeTotal = settings.exchangeWarmupPairs + settings.exchangePairs;
  for (let i = 0; i < exchangeTotal; i++) {
    // Each side takes each place in the order in turn, so drift does not favour one.
    for (const side of [...exchangeSides.slice(i % 3), ...exchangeSides.slice(0, i % 3)]) {
      const startedMs = performance.now();
      const { callId } = await signalling.post(side, offer);
      const ms = performance.now() - startedMs;
      await signalling.hangup(side, callId);
      // The warm-up lets V8 optimise every process's path and opens the keep-alive connections.
      if (i >= settings.exchangeWarmupPairs) exchangeMs[side].push(ms);
    }
    if ((i + 1) % 25 === 0) context.progress(`SDP exchange ${i + 1}/${exchangeTotal} pairs`);
  }

  // 2. Picking the model → the data channel open and session.created, with a fresh peer each time.
  const openMs: Record<Side, number[]> = { direct: [], gateway: [] };
  const createdMs: Record<Side, number[]> = { direct: [], gateway: [] };
  const readyMs: Record<Side, number[]> = { direct: [], gateway: [] };
  const connectTotal = settings.connectWarmupPairs + settings.connectPairs;
  for (let i = 0; i < connectTotal; i++) {
    for (const side of alternating<Side>(i, ['direct', 'gateway'])) {
      const call = await connectOnce(signalling, side);
      if (i >= settings.connectWarmupPairs) {
        openMs[side].push(call.openMs);
        createdMs[side].push(call.sessionCreatedMs);
        readyMs[side].push(call.readyMs);
      }
    }
    if ((i + 1) % 5 === 0) context.progress(`pick → open ${i + 1}/${connectTotal} pairs`);
  }

  const at = (samples: Record<Side, number[]>, pct: number) => ({ baseline: percentile(samples.direct, pct), ours: percentile(samples.gateway, pct) });
  const sessionOnly = (pct: number) => ({ baseline: percentile(exchangeMs.direct, pct), ours: percentile(exchangeMs.session, pct) });
  const figures: Figure[] = [
    { metric: 'SDP exchange p50', unit: 'ms', better: 'lower', ...at(exchangeMs, 50), goal: { of: 'added', atMost: 3, source: 'issue 4, Speed' } },
    { metric: 'SDP exchange p99', unit: 'ms', better: 'lower', ...at(exchangeMs, 99) },
    // Where the added time goes: ours here is NATS → session → simulator, without the gateway.
    { metric: 'SDP exchange p50, NATS → session only', unit: 'ms', better: 'lower', ...sessionOnly(50) },
    { metric: 'pick → session.created p50', unit: 'ms', better: 'lower', ...at(createdMs, 50) },
    { metric: 'pick → data channel open p50', unit: 'ms', better: 'lower', ...at(openMs, 50) },
    {
      metric: 'pick → open + session.created p50',
      unit: 'ms',
      better: 'lower',
      ...at(readyMs, 50),
      goal: { of: 'ours', atMost: 500, source: 'issue 4, Speed' },
    },
    { metric: 'pick → open + session.created p99', unit: 'ms', better: 'lower', ...at(readyMs, 99) },
  ];
  return { figures, settings, rounds: { exchangeMs, openMs, sessionCreatedMs: createdMs, readyMs } };
}

export const webrtcSignalling: Scenario = {
  name: 'webrtc-signalling',
  summary: 'WebRTC call set-up: the SDP exchange alone, and picking the model → session.created on the open data channel',
  baseline: 'the offer posted straight to the simulator (multipart, server key)',
  ours: 'POST /api/realtime/calls → gateway → NATS → session → simulator',
  run: (context) => withStack({}, (stack) => measure(context, stack)),
};
