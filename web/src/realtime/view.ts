import type { ModelEntry } from '@voxgate/protocol';
import { Labels } from '../chat/labels.js';
import { h } from '../dom.js';
import { currentLang, type MessageKey, t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { providerName, simulatedBadge, transportName } from '../models/describe.js';
import { readPref, writePref } from '../prefs.js';
import { type AppState, isOffered } from '../state.js';
import type { View, ViewFactory } from '../views/view.js';
import { type AudioEngine, createAudioEngine } from './audio.js';
import { Call, type CallStatus } from './call.js';
import { type Capture, MicrophoneError, type MicrophoneProblem, microphoneAvailability, startCapture } from './capture.js';
import { createWorkletPlayback, type Playback } from './playback.js';
import { pushToTalk } from './push-to-talk.js';
import type { SessionSettings, TalkMode } from './session.js';
import { exposeProbe } from './test-hook.js';
import { type Line, type NoteLine, type SpeechLine, Transcript, wordVars } from './transcript.js';
import type { ClientEvent, RtpCounters, TransportClose } from './transport.js';
import { chooseTransport, hasTransportChoice, readTransportChoice, TRANSPORT_CHOICES, type TransportChoice, transportPlan } from './transport-choice.js';
import { initialVoice, voicesFor } from './voices.js';
import { CONNECT_TIMEOUT_MS, WEBRTC_CLOSE, webRtcTransport } from './webrtc.js';
import { webSocketTransport } from './websocket.js';

/** Scrolled within this many pixels of the end, the transcript follows new words. */
const STICK_PX = 80;
/** A push-to-talk press shorter than this is a slip, not speech: nothing is sent. */
const MIN_TALK_MS = 250;
/** Control events kept for the test hook. */
const SENT_LOG_MAX = 200;

const MIC_NOTES: Record<MicrophoneProblem, MessageKey> = {
  insecure: 'rt.note.micInsecure',
  unsupported: 'rt.note.micUnsupported',
  denied: 'rt.note.micDenied',
  missing: 'rt.note.micMissing',
  busy: 'rt.note.micBusy',
  failed: 'rt.note.micFailed',
};

const STATUS_KEYS: Record<CallStatus, MessageKey> = {
  connecting: 'rt.status.connecting',
  connected: 'rt.status.connected',
  unstable: 'rt.status.unstable',
  reconnecting: 'rt.status.reconnecting',
  error: 'rt.status.error',
  ended: 'rt.status.ended',
};

/** A call in progress or under way; `ended` and `error` wait for the user (or the model's return). */
function isLive(status: CallStatus): boolean {
  return status !== 'ended' && status !== 'error';
}

/** Realtime voice models: connect on pick, talk, hear, read both sides live. */
export const realtimeView: ViewFactory = {
  name: 'realtime',
  create(state, model) {
    return createRealtimeView(state, model);
  },
};

/** Conversation ids as the relay takes them (8–64 of `[A-Za-z0-9_-]`), made here so reconnects keep one. */
function newConversationId(): string {
  return `rt_${crypto.randomUUID().replaceAll('-', '')}`;
}

function createRealtimeView(initialState: AppState, initialModel: ModelEntry): View {
  const labels = new Labels();
  const transcript = new Transcript();
  let model = initialModel;
  let lang = currentLang();
  let conversationId = newConversationId();
  let settings: SessionSettings = {
    voice: initialVoice(model, readPref('voice')),
    mode: readPref('talkMode') === 'ptt' ? 'ptt' : 'vad',
  };
  let status: CallStatus = 'connecting';
  /** Whether the gateway offered the model at the last update (a call that gave up restarts when it is back). */
  let offered = true;
  let transportChoice: TransportChoice = readTransportChoice();
  let engine: AudioEngine | undefined;
  let playback: (Playback & { close(): void }) | undefined;
  let capture: Capture | undefined;
  /** The microphone being opened: one request at a time, and none kept once the call is over. */
  let opening: Promise<void> | undefined;
  let call: Call | undefined;
  let muted = false;
  let talkingSince: number | undefined;
  /** Push-to-talk was just chosen: the talk button takes the focus as soon as it can, so Space talks. */
  let focusTalk = false;
  let destroyed = false;
  let pinned = true;
  let audioBytesSent = 0;
  const sent: ClientEvent[] = [];
  const received: Record<string, number> = {};

  // ---- Elements ---------------------------------------------------------------------------
  // `details-title` and `facts`: the same hooks the details view offers for "the chosen model".
  const title = h('h1', { class: 'rt-title details-title' });
  const facts = h('p', { class: 'rt-facts facts' });
  const eyebrow = labels.text(h('p', { class: 'eyebrow' }), 'rt.label');
  const statusText = h('span', { class: 'rt-status-text' });
  // The transport in use, beside the state: "Connected · WebRTC".
  const statusVia = h('span', { class: 'rt-status-via', hidden: true });
  const statusChip = h('span', { class: 'rt-status', role: 'status', 'data-status': status }, h('span', { class: 'rt-status-dot', 'aria-hidden': 'true' }), statusText, statusVia);
  const head = h('header', { class: 'rt-head' }, h('div', { class: 'rt-heading' }, eyebrow, title, facts), statusChip);
  const unavailable = labels.text(h('p', { class: 'note note-unavailable rt-unavailable', role: 'alert', hidden: true }), 'rt.unavailable');

  const log = h('div', { class: 'rt-log', role: 'log', 'aria-live': 'polite', tabindex: '-1' });
  labels.attr(log, 'aria-label', 'rt.log');
  const emptyHint = h('p', { class: 'rt-empty-hint' });
  const empty = h(
    'div',
    { class: 'rt-empty' },
    h('span', { class: 'rt-empty-mark', 'aria-hidden': 'true' }, icon('audio')),
    labels.text(h('h2', { class: 'rt-empty-title' }), 'rt.empty.title'),
    emptyHint,
  );
  log.appendChild(empty);

  const enableAudio = labels.text(h('button', { type: 'button', class: 'button rt-audio-enable' }), 'rt.audio.enable');
  const audioBlocked = h(
    'div',
    { class: 'rt-audio-blocked', hidden: true },
    icon('speaker'),
    labels.text(h('span', {}), 'rt.audio.blocked'),
    enableAudio,
  );

  // Microphone: mute toggle, level meter, state.
  const muteButton = h('button', { type: 'button', class: 'rt-round rt-mute', 'aria-pressed': 'false' });
  const meterFill = h('span', { class: 'rt-meter-fill' });
  const meter = h('span', { class: 'rt-meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' }, meterFill);
  labels.attr(meter, 'aria-label', 'rt.mic.label');
  const micState = h('span', { class: 'rt-mic-state' });
  const mic = h('div', { class: 'rt-mic' }, muteButton, h('div', { class: 'rt-mic-body' }, meter, micState));

  // Turn taking: voice activity or push-to-talk.
  const modeButtons = (['vad', 'ptt'] as const).map((mode) =>
    labels.text(h('button', { type: 'button', class: 'rt-mode-option', 'data-mode': mode }), mode === 'vad' ? 'rt.mode.vad' : 'rt.mode.ptt'),
  );
  const modeGroup = h('div', { class: 'rt-mode', role: 'group' }, modeButtons);
  labels.attr(modeGroup, 'aria-label', 'rt.mode.label');
  const pttLabel = h('span', { class: 'rt-ptt-label' });
  const pttButton = h('button', { type: 'button', class: 'rt-ptt', 'aria-pressed': 'false' }, icon('audio'), pttLabel);
  const pttHint = labels.text(h('span', { class: 'rt-ptt-hint' }), 'rt.ptt.hint');
  const ptt = h('div', { class: 'rt-ptt-wrap' }, pttButton, pttHint);

  const voiceSelect = h('select', { class: 'rt-voice-select' });
  const voiceLabel = labels.text(h('span', { class: 'rt-voice-label' }), 'rt.voice.label');
  const voice = h('label', { class: 'rt-voice' }, voiceLabel, voiceSelect);

  const transportOptions = TRANSPORT_CHOICES.map((choice) =>
    labels.text(h('option', { value: choice }), choice === 'auto' ? 'rt.transport.auto' : `transport.${choice}`),
  );
  const transportSelect = h('select', { class: 'rt-transport-select' }, transportOptions);
  labels.attr(transportSelect, 'title', 'rt.transport.hint');
  const transportLabel = labels.text(h('span', { class: 'rt-transport-label' }), 'rt.transport.label');
  const transportSetting = h('label', { class: 'rt-transport' }, transportLabel, transportSelect);

  const hangUpLabel = h('span', {});
  const hangUpButton = h('button', { type: 'button', class: 'rt-hangup' }, icon('phone'), hangUpLabel);

  const controls = h(
    'div',
    { class: 'rt-controls' },
    h('div', { class: 'rt-controls-row' }, mic, ptt, hangUpButton),
    h('div', { class: 'rt-controls-row rt-settings' }, modeGroup, voice, transportSetting),
  );
  const panel = h('section', { class: 'rt-panel' }, head, unavailable, log, audioBlocked, controls);
  const element = h('div', { class: 'rt', 'data-kind': 'realtime', 'data-status': status, 'data-mode': settings.mode }, panel);

  // ---- Transcript -------------------------------------------------------------------------
  const shown = new Map<number, HTMLElement>();
  log.addEventListener('scroll', () => {
    pinned = log.scrollTop + log.clientHeight >= log.scrollHeight - STICK_PX;
  });
  const follow = () => {
    if (pinned) log.scrollTop = log.scrollHeight;
  };

  const renderSpeech = (line: SpeechLine, into: HTMLElement | undefined): HTMLElement => {
    const el = into ?? h('article', { class: `rt-line rt-${line.role}` });
    el.dataset.state = line.state;
    el.dataset.item = line.itemId;
    const who = line.role === 'user' ? labels.text(h('header', { class: 'rt-who' }), 'rt.you') : h('header', { class: 'rt-who' }, model.label);
    const words = line.text.trim();
    const placeholder: MessageKey | undefined =
      words !== ''
        ? undefined
        : line.state === 'listening'
          ? 'rt.speech.listening'
          : line.state === 'transcribing'
            ? 'rt.speech.transcribing'
            : line.state === 'failed'
              ? 'rt.speech.failed'
              : line.state === 'speaking'
                ? 'rt.speaking'
                : 'rt.speech.noText';
    const text = placeholder ? labels.text(h('p', { class: 'rt-text rt-placeholder' }), placeholder) : h('p', { class: 'rt-text' }, line.text);
    const mark = line.state === 'interrupted' ? labels.text(h('span', { class: 'rt-mark' }), 'rt.speech.interrupted') : null;
    el.replaceChildren(who, text, mark ?? '');
    return el;
  };

  const renderNote = (line: NoteLine, into: HTMLElement | undefined): HTMLElement => {
    const el = into ?? h('div', { class: 'rt-note' });
    el.dataset.tone = line.tone;
    el.dataset.note = line.message;
    el.setAttribute('role', line.tone === 'error' ? 'alert' : 'status');
    const text = labels.text(h('span', { class: 'rt-note-text' }), line.message, wordVars(line.vars));
    const action = line.action;
    let button: HTMLButtonElement | null = null;
    if (action) {
      button = labels.text(h('button', { type: 'button', class: 'rt-note-action' }), action.label);
      button.addEventListener('click', () => {
        transcript.retire(line);
        action.run();
      });
    }
    el.replaceChildren(text, button ?? '');
    return el;
  };

  const renderLine = (line: Line) => {
    const existing = shown.get(line.key);
    const el = line.kind === 'speech' ? renderSpeech(line, existing) : renderNote(line, existing);
    if (!existing) {
      shown.set(line.key, el);
      log.appendChild(el);
    }
  };

  transcript.subscribe((line) => {
    if (line === undefined) {
      shown.clear();
      log.replaceChildren(empty);
      for (const each of transcript.lines) renderLine(each);
    } else {
      renderLine(line);
    }
    empty.hidden = transcript.lines.length > 0;
    follow();
  });

  // ---- Controls ---------------------------------------------------------------------------
  const renderControls = () => {
    element.dataset.status = status;
    element.dataset.mode = settings.mode;
    statusChip.dataset.status = status;
    labels.text(statusText, STATUS_KEYS[status]);
    const via = status === 'connected' || status === 'unstable' ? call?.transport : undefined;
    statusVia.hidden = via === undefined;
    statusChip.dataset.transport = via ?? '';
    element.dataset.transport = via ?? '';
    if (via) labels.text(statusVia, `transport.${via}`);
    labels.attr(statusChip, 'aria-label', 'rt.status.label');
    labels.text(emptyHint, settings.mode === 'vad' ? 'rt.empty.hint.vad' : 'rt.empty.hint.ptt', { model: model.label });

    const live = isLive(status);
    labels.text(hangUpLabel, live ? 'rt.hangup' : 'rt.callAgain');
    unavailable.hidden = offered;
    // Only a call still going (or given up, see update) comes back by itself with the model.
    labels.text(unavailable, call && status !== 'ended' ? 'rt.unavailable' : 'rt.unavailable.noCall');
    hangUpButton.dataset.action = live ? 'hangup' : 'call';

    muteButton.replaceChildren(icon(muted || !capture ? 'micOff' : 'audio'));
    muteButton.setAttribute('aria-pressed', String(muted));
    muteButton.disabled = !capture;
    labels.attr(muteButton, 'aria-label', muted ? 'rt.mic.unmute' : 'rt.mic.mute');
    labels.attr(muteButton, 'title', muted ? 'rt.mic.unmute' : 'rt.mic.mute');
    labels.text(micState, !capture ? 'rt.mic.off' : muted ? 'rt.mic.muted' : 'rt.mic.live');
    element.dataset.muted = String(muted);

    for (const button of modeButtons) button.setAttribute('aria-pressed', String(button.dataset.mode === settings.mode));
    ptt.hidden = settings.mode !== 'ptt';
    transportSetting.hidden = !hasTransportChoice(model);
    transportSelect.value = transportChoice;

    const canTalk = status === 'connected' && capture !== undefined && !muted;
    pttButton.disabled = !canTalk;
    talk.setEnabled(canTalk && settings.mode === 'ptt');
    if (focusTalk && canTalk && settings.mode === 'ptt') {
      focusTalk = false;
      // Space on a focused button presses that button, so the push-to-talk keys would not reach the
      // talk button while the mode button just clicked keeps the focus. Not if the user moved on.
      const focused = document.activeElement;
      if (focused === null || focused === document.body || focused === modeButtons[1]) pttButton.focus();
    }
    labels.text(pttLabel, talkingSince !== undefined ? 'rt.ptt.talking' : 'rt.ptt.hold');

    const voices = voicesFor(model);
    voice.hidden = voices.length === 0;
    if (voiceSelect.dataset.model !== model.id) {
      voiceSelect.dataset.model = model.id;
      voiceSelect.replaceChildren(...voices.map((v) => h('option', { value: v }, v)));
    }
    if (settings.voice) voiceSelect.value = settings.voice;
  };

  /**
   * Whether the microphone's sound goes out: as PCM events (WebSocket) or on the media track
   * (WebRTC). Resolves once the capture has handed over what it took before the change.
   */
  const applySending = (): Promise<void> => {
    const live = status === 'connected' || status === 'unstable';
    const on = !muted && live && (settings.mode === 'vad' || talkingSince !== undefined);
    const media = call?.media;
    media?.setSending(on);
    return capture?.setSending(on && media === undefined) ?? Promise.resolve();
  };

  const setStatus = (next: CallStatus) => {
    const was = status;
    status = next;
    if (next !== 'connected') talkingSince = undefined;
    // The microphone is open exactly while there is a call: one the server ended (time limit,
    // idle, minutes spent) or that gave up must not leave the browser's recording light on, and
    // one started again by any way (a note's button, a new model, the model coming back) needs it.
    if (!isLive(next)) stopMicrophone();
    else if (!isLive(was) && engine) void startMicrophone(engine.context);
    void applySending();
    renderControls();
  };

  const talk = pushToTalk(pttButton, {
    press() {
      const session = call?.session;
      if (!session?.ready) return;
      talkingSince = performance.now();
      session.talkStart();
      applySending();
      renderControls();
    },
    release() {
      const since = talkingSince;
      talkingSince = undefined;
      const handedOver = applySending();
      renderControls();
      const session = call?.session;
      if (since === undefined || !session?.ready) return;
      const tooShort = performance.now() - since < MIN_TALK_MS;
      if (tooShort) transcript.note('rt.note.tooShort');
      // Speech up to the release is still on its way from the capture worklet: it goes out first,
      // so the commit takes the whole turn and no audio lands in the next one.
      void handedOver.then(() => {
        if (call?.session !== session) return;
        if (tooShort) session.talkCancel();
        else session.talkEnd();
      });
    },
  });

  muteButton.addEventListener('click', () => {
    muted = !muted;
    void applySending();
    renderControls();
  });

  for (const button of modeButtons) {
    button.addEventListener('click', () => {
      const mode = button.dataset.mode as TalkMode;
      if (mode === settings.mode) return;
      settings = { ...settings, mode };
      writePref('talkMode', mode);
      call?.session?.configure(settings);
      focusTalk = mode === 'ptt';
      void applySending();
      renderControls();
    });
  }

  transportSelect.addEventListener('change', () => {
    const chosen = TRANSPORT_CHOICES.find((choice) => choice === transportSelect.value) ?? 'auto';
    if (chosen === transportChoice) return;
    transportChoice = chosen;
    writePref('transport', chosen);
    // A live call moves now (re-seeded like a reconnect); an ended one uses it next time.
    if (call && status !== 'ended' && status !== 'error') call.restart();
  });

  voiceSelect.addEventListener('change', () => {
    const chosen = voiceSelect.value;
    settings = { ...settings, voice: chosen };
    writePref('voice', chosen);
    const applied = call?.session?.configure(settings) ?? true;
    if (!applied) {
      transcript.note('rt.note.voiceLater', {
        vars: { voice: chosen },
        action: { label: 'rt.action.restartVoice', run: () => call?.restart() },
      });
    }
  });

  hangUpButton.addEventListener('click', () => {
    if (hangUpButton.dataset.action === 'hangup') {
      call?.hangUp();
      stopMicrophone();
      transcript.note('rt.note.hungUp');
    } else {
      void callAgain();
    }
  });

  // Audio blocked by the autoplay policy (a reload with a remembered model): any touch lets it play.
  const unblock = () => {
    if (!engine?.suspended) return;
    void engine.resume().then(() => {
      audioBlocked.hidden = !engine?.suspended;
    });
  };
  enableAudio.addEventListener('click', unblock);
  element.addEventListener('pointerdown', unblock);
  const onKey = () => unblock();
  window.addEventListener('keydown', onKey);

  // ---- Level meter ------------------------------------------------------------------------
  let frame = 0;
  let shownLevel = -1;
  const drawLevel = () => {
    frame = requestAnimationFrame(drawLevel);
    const level = capture && !muted ? capture.level() : 0;
    meterFill.style.transform = `scaleX(${level.toFixed(3)})`;
    const percent = Math.round(level * 100);
    if (percent !== shownLevel) {
      shownLevel = percent;
      meter.setAttribute('aria-valuenow', String(percent));
    }
  };
  frame = requestAnimationFrame(drawLevel);

  // ---- Lifecycle --------------------------------------------------------------------------
  const stopMicrophone = () => {
    capture?.stop();
    capture = undefined;
    call?.media?.setMicrophone(undefined);
    renderControls();
  };

  const startMicrophone = (context: AudioContext): Promise<void> => {
    if (capture) return Promise.resolve();
    opening ??= openMicrophone(context).finally(() => {
      opening = undefined;
    });
    return opening;
  };

  const openMicrophone = async (context: AudioContext): Promise<void> => {
    try {
      const opened = await startCapture(context, (pcm) => {
        if (call?.session?.appendAudio(pcm)) audioBytesSent += pcm.byteLength;
      });
      // Hung up (or ended) while the browser was asking: the call no longer wants it.
      if (destroyed || !isLive(status)) {
        opened.stop();
        return;
      }
      capture = opened;
      call?.media?.setMicrophone(opened.track);
    } catch (error) {
      const problem = error instanceof MicrophoneError ? error.problem : 'failed';
      const detail = error instanceof MicrophoneError ? error.detail : String(error);
      transcript.note(MIC_NOTES[problem], { tone: 'error', vars: { message: detail } });
    }
    void applySending();
    renderControls();
  };

  const begin = async (): Promise<void> => {
    const problem = microphoneAvailability();
    if (problem) {
      // Without a secure context there is no microphone and no point holding a provider session.
      transcript.note(MIC_NOTES[problem], { tone: 'error', vars: { message: '' } });
      setStatus('error');
      return;
    }
    setStatus('connecting');
    try {
      engine = await createAudioEngine();
    } catch (error) {
      transcript.note('rt.note.audioFailed', { tone: 'error', vars: { message: error instanceof Error ? error.message : String(error) } });
      setStatus('error');
      return;
    }
    if (destroyed) {
      engine.close();
      return;
    }
    playback = createWorkletPlayback(engine.context, () => undefined);
    connect();
    audioBlocked.hidden = !engine.suspended;
    await startMicrophone(engine.context);
  };

  const connect = () => {
    const player = playback;
    if (!player) return;
    const target = { model: model.id, conversationId };
    const fellBack = (close: TransportClose) => {
      if (close.code === WEBRTC_CLOSE.connectTimeout) transcript.note('rt.note.fallbackTimeout', { vars: { seconds: CONNECT_TIMEOUT_MS / 1000 } });
      else transcript.note('rt.note.fallbackRefused', { vars: { reason: close.reason } });
    };
    const forModel = model;
    // A call that was replaced (another model) may still report its ending: it is not the view's news.
    const created: Call = new Call({
      transport: chooseTransport({
        plan: () => transportPlan(forModel, transportChoice),
        webrtc: webRtcTransport({ ...target, settings: () => settings, microphone: () => capture?.track }),
        websocket: webSocketTransport(target),
        fellBack,
      }),
      playback: player,
      transcript,
      settings: () => settings,
      onStatus(next) {
        if (call === created) setStatus(next);
      },
      onChange() {
        if (call === created) renderControls();
      },
      sent(event) {
        sent.push(event);
        if (sent.length > SENT_LOG_MAX) sent.shift();
      },
      received(type) {
        received[type] = (received[type] ?? 0) + 1;
      },
    });
    call = created;
    created.start();
  };

  // The microphone comes with the call's status (see setStatus).
  const callAgain = async () => {
    if (!engine) {
      await begin();
      return;
    }
    if (call) call.restart();
    else connect();
  };

  const removeProbe = exposeProbe({
    get status() {
      return status;
    },
    get playedSamples() {
      return playback?.totalPlayedSamples ?? 0;
    },
    get audioBytesSent() {
      return audioBytesSent;
    },
    get sent() {
      return sent.slice();
    },
    get received() {
      return { ...received };
    },
    get conversationId() {
      return conversationId;
    },
    get transport() {
      return call?.transport;
    },
    rtp(): Promise<RtpCounters | undefined> {
      return call?.media?.rtp() ?? Promise.resolve(undefined);
    },
  });

  // ---- View contract ----------------------------------------------------------------------
  const view: View = {
    element,
    update(state, next) {
      if (next.id !== model.id) {
        // Another realtime model: a new call and a new conversation; the audio stays set up.
        const previous = call;
        call = undefined;
        previous?.hangUp();
        model = next;
        conversationId = newConversationId();
        settings = { ...settings, voice: initialVoice(next, readPref('voice')) };
        transcript.clear();
        if (playback) connect();
      }
      model = next;
      title.replaceChildren(next.label, ' ', simulatedBadge(next) ?? '');
      facts.replaceChildren(
        [providerName(next), t('kind.realtime'), ...next.transports.map(transportName)].join(' · '),
      );
      const wasOffered = offered;
      offered = isOffered(state, next);
      // The unavailable note promises it: a call that gave up (or waits to retry) while the
      // model was gone tries again now instead of waiting for a click or its next backoff.
      if (offered && !wasOffered && call && (status === 'error' || status === 'reconnecting')) call.restart();
      if (currentLang() !== lang) {
        lang = currentLang();
        labels.apply();
        for (const line of transcript.lines) renderLine(line);
      }
      renderControls();
    },
    destroy() {
      destroyed = true;
      cancelAnimationFrame(frame);
      talk.destroy();
      call?.hangUp();
      call = undefined;
      capture?.stop();
      capture = undefined;
      playback?.close();
      engine?.close();
      window.removeEventListener('keydown', onKey);
      removeProbe();
    },
  };
  view.update(initialState, initialModel);
  void begin();
  return view;
}
