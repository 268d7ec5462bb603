import { type Attachment, ChatLimits, type ContentPart, type ModelEntry } from '@voxgate/protocol';
import { explainFailure } from '../api.js';
import { h } from '../dom.js';
import type { MessageKey, Vars } from '../i18n/index.js';
import { icon } from '../icons.js';
import { uploadAttachment } from './api.js';
import { formatBytes, prepareImage } from './attachments.js';
import type { Labels } from './labels.js';
import { MAX_RECORDING_MS, type Recording, recordingProblem, startRecording } from './recorder.js';

/** Why voice messages are off, in the words the mic button and its click give. */
const MIC_PROBLEMS = { insecure: 'chat.voice.insecure', unsupported: 'chat.voice.unsupported' } as const satisfies Record<string, MessageKey>;

/** One part is kept for the text, the rest may be images. */
const MAX_IMAGES = ChatLimits.partsPerMessage - 1;
const THUMB_PX = 64;

export interface ComposerOptions {
  labels: Labels;
  /** Hands a message over; resolves false when it could not be sent (the text is then given back). */
  send(parts: ContentPart[]): Promise<boolean>;
  stop(): void;
}

export interface Composer {
  readonly element: HTMLElement;
  setModel(model: ModelEntry, offered: boolean): void;
  /** While a turn runs the send button is the stop button; `canStop` once the turn id is known. */
  setBusy(busy: boolean, canStop?: boolean): void;
  addFiles(files: readonly File[]): void;
  acceptsImages(): boolean;
  focus(): void;
  destroy(): void;
}

interface Pending {
  id: number;
  element: HTMLElement;
  upload: Promise<Attachment | undefined>;
}

export function createComposer(options: ComposerOptions): Composer {
  const { labels } = options;
  let model: ModelEntry | undefined;
  let offered = true;
  let busy = false;
  let canStop = false;
  let sending = false;
  let recording: Recording | undefined;
  let meterFrame = 0;
  let pending: Pending[] = [];
  let nextId = 1;

  const textarea = h('textarea', { class: 'composer-input', rows: 1, name: 'message', autocomplete: 'off' });
  labels.attr(textarea, 'aria-label', 'chat.input.label');
  const fileInput = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', multiple: true, hidden: true });
  const imageButton = iconButton(labels, 'image', 'chat.image.add', 'composer-image');
  const micButton = iconButton(labels, 'audio', 'chat.voice.record', 'composer-mic');
  const sendButton = iconButton(labels, 'send', 'chat.send', 'composer-send');
  const tray = h('ul', { class: 'composer-tray', role: 'list', hidden: true });
  const note = h('p', { class: 'composer-note', role: 'status', 'aria-live': 'polite' });
  const row = h('div', { class: 'composer-row' }, imageButton, fileInput, textarea, micButton, sendButton);

  const meterFill = h('span', { class: 'meter-fill' });
  const meter = h('span', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 }, meterFill);
  labels.attr(meter, 'aria-label', 'chat.voice.level');
  const elapsed = h('span', { class: 'rec-time' }, '0:00');
  const recCancel = labels.text(h('button', { type: 'button', class: 'rec-cancel' }), 'chat.voice.cancel');
  const recSend = h('button', { type: 'button', class: 'rec-send' }, icon('send'), labels.text(h('span', {}), 'chat.voice.send'));
  const recLabel = labels.text(h('span', { class: 'rec-label' }), 'chat.voice.recording');
  const recBar = h(
    'div',
    { class: 'composer-recording', hidden: true },
    h('span', { class: 'rec-dot', 'aria-hidden': 'true' }),
    recLabel,
    elapsed,
    meter,
    recCancel,
    recSend,
  );
  const hint = labels.text(h('p', { class: 'composer-hint' }), 'chat.input.hint');
  const element = h('form', { class: 'composer', novalidate: true }, tray, row, recBar, note, hint);

  const say = (key: MessageKey | undefined, vars?: Vars) => {
    if (key) labels.text(note, key, vars);
    else note.textContent = '';
    note.hidden = key === undefined;
  };
  say(undefined);

  const grow = () => {
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, 220)}px`;
  };

  // Without a microphone API (plain http, an old browser) the button stays, to say why on a click.
  const micProblem = recordingProblem();
  if (micProblem) {
    micButton.setAttribute('aria-disabled', 'true');
    micButton.dataset.unavailable = micProblem;
    labels.attr(micButton, 'aria-label', 'chat.voice.unavailable');
    labels.attr(micButton, 'title', MIC_PROBLEMS[micProblem]);
  }

  const sync = () => {
    const images = composer.acceptsImages();
    imageButton.hidden = !images;
    micButton.disabled = busy || sending || !offered;
    sendButton.disabled = busy ? !canStop : sending || !offered;
    if (busy) {
      sendButton.dataset.mode = 'stop';
      sendButton.replaceChildren(icon('stop'));
      labels.attr(sendButton, 'aria-label', 'chat.stop');
    } else {
      sendButton.dataset.mode = 'send';
      sendButton.replaceChildren(icon('send'));
      labels.attr(sendButton, 'aria-label', 'chat.send');
    }
    if (model) labels.attr(textarea, 'placeholder', 'chat.input.placeholder', { model: model.label });
  };

  const removePending = (id: number) => {
    pending = pending.filter((p) => {
      if (p.id === id) p.element.remove();
      return p.id !== id;
    });
    tray.hidden = pending.length === 0;
  };

  const addImage = async (file: File) => {
    if (pending.length >= MAX_IMAGES) {
      say('chat.image.tooMany', { max: MAX_IMAGES });
      return;
    }
    const name = file.name || 'image';
    const prepared = await prepareImage(file);
    if (!prepared.ok) {
      if (prepared.reason === 'not-image') say('chat.image.notImage', { name });
      else say('chat.image.tooLarge', { name, size: formatBytes(prepared.bytes), max: formatBytes(ChatLimits.imageBytes) });
      return;
    }
    const id = nextId++;
    const thumb = await thumbnail(prepared.blob);
    const remove = iconButton(labels, 'close', 'chat.image.remove', 'thumb-remove');
    remove.addEventListener('click', () => removePending(id));
    const state = labels.text(h('span', { class: 'thumb-state' }), 'chat.image.uploading');
    const item = h(
      'li',
      { class: 'thumb', 'data-state': 'uploading', 'data-width': prepared.width, 'data-height': prepared.height },
      thumb,
      state,
      remove,
    );
    tray.appendChild(item);
    tray.hidden = false;
    const upload = uploadAttachment(prepared.blob).then(
      (attachment) => {
        item.dataset.state = 'ready';
        item.dataset.attachment = attachment.id;
        return attachment;
      },
      (error: unknown) => {
        item.dataset.state = 'failed';
        labels.text(state, 'chat.image.failed');
        say('chat.image.uploadFailed', { name, message: explainFailure(error) });
        return undefined;
      },
    );
    pending.push({ id, element: item, upload });
  };

  const submit = async () => {
    if (busy || sending || !offered) return;
    const text = textarea.value.trim();
    if (text === '' && pending.length === 0) return;
    sending = true;
    sync();
    try {
      if (pending.some((p) => p.element.dataset.state === 'uploading')) say('chat.image.wait');
      const attachments = await Promise.all(pending.map((p) => p.upload));
      if (attachments.some((a) => a === undefined)) return; // the failed one says why; the user removes it
      say(undefined);
      const parts: ContentPart[] = [];
      if (text !== '') parts.push({ type: 'text', text });
      for (const attachment of attachments) if (attachment) parts.push({ type: 'image', attachmentId: attachment.id });
      const given = textarea.value;
      textarea.value = '';
      grow();
      for (const p of pending) p.element.remove();
      pending = [];
      tray.hidden = true;
      const sent = await options.send(parts);
      if (!sent && textarea.value === '') {
        textarea.value = given;
        grow();
      }
    } finally {
      sending = false;
      sync();
    }
  };

  const stopMeter = () => {
    cancelAnimationFrame(meterFrame);
    meterFrame = 0;
  };
  const showRecording = (on: boolean) => {
    recBar.hidden = !on;
    row.hidden = on;
    tray.hidden = on || pending.length === 0;
    if (!on) stopMeter();
  };
  const tick = () => {
    if (!recording) return;
    const level = recording.level();
    meterFill.style.transform = `scaleX(${level.toFixed(3)})`;
    meter.setAttribute('aria-valuenow', String(Math.round(level * 100)));
    const ms = recording.elapsedMs();
    const seconds = Math.floor(ms / 1000);
    elapsed.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
    if (ms >= MAX_RECORDING_MS) {
      say('chat.voice.tooLong', { minutes: MAX_RECORDING_MS / 60_000 });
      void sendVoice();
      return;
    }
    meterFrame = requestAnimationFrame(tick);
  };

  const record = async () => {
    if (micProblem) {
      say(MIC_PROBLEMS[micProblem]);
      return;
    }
    if (recording || busy || sending) return;
    say(undefined);
    try {
      recording = await startRecording();
    } catch (error) {
      say('chat.voice.denied', { message: error instanceof Error ? error.message || error.name : String(error) });
      return;
    }
    showRecording(true);
    element.dataset.recording = 'true';
    tick();
    recSend.focus();
  };
  const cancelVoice = () => {
    recording?.cancel();
    recording = undefined;
    delete element.dataset.recording;
    showRecording(false);
    micButton.focus();
  };
  const sendVoice = async () => {
    const current = recording;
    if (!current) return;
    recording = undefined;
    stopMeter();
    recSend.disabled = true;
    recCancel.disabled = true;
    labels.text(recLabel, 'chat.voice.preparing');
    sending = true;
    try {
      let blob: Blob;
      try {
        blob = await current.finish();
      } catch (error) {
        say('chat.voice.recordFailed', { message: error instanceof Error ? error.message || error.name : String(error) });
        return;
      }
      let attachment: Attachment;
      try {
        attachment = await uploadAttachment(blob);
      } catch (error) {
        say('chat.voice.uploadFailed', { message: explainFailure(error) });
        return;
      }
      showRecording(false);
      delete element.dataset.recording;
      // A message the gateway refuses is shown in the log with its reason (see the chat view).
      await options.send([{ type: 'audio', attachmentId: attachment.id }]);
    } finally {
      showRecording(false);
      delete element.dataset.recording;
      sending = false;
      recSend.disabled = false;
      recCancel.disabled = false;
      labels.text(recLabel, 'chat.voice.recording');
      sync();
    }
  };

  textarea.addEventListener('input', grow);
  textarea.addEventListener('keydown', (event) => {
    // An IME (pinyin) uses Enter to confirm its candidate: that Enter must not send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (!busy) void submit();
  });
  textarea.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    composer.addFiles(files);
  });
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  sendButton.addEventListener('click', (event) => {
    event.preventDefault();
    if (busy) options.stop();
    else void submit();
  });
  imageButton.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    composer.addFiles([...(fileInput.files ?? [])]);
    fileInput.value = '';
  });
  micButton.addEventListener('click', () => void record());
  recCancel.addEventListener('click', cancelVoice);
  recSend.addEventListener('click', () => void sendVoice());

  const composer: Composer = {
    element,
    setModel(next, isOffered) {
      model = next;
      offered = isOffered;
      if (!composer.acceptsImages() && pending.length > 0) {
        for (const p of pending) p.element.remove();
        pending = [];
        tray.hidden = true;
        say('chat.image.unsupported');
      }
      sync();
    },
    setBusy(next, stoppable = true) {
      busy = next;
      canStop = stoppable;
      sync();
    },
    addFiles(files) {
      if (!composer.acceptsImages()) {
        if (files.length > 0) say('chat.image.unsupported');
        return;
      }
      say(undefined);
      void (async () => {
        for (const file of files) await addImage(file);
      })();
    },
    acceptsImages: () => model?.input.includes('image') ?? false,
    focus: () => textarea.focus(),
    destroy() {
      recording?.cancel();
      recording = undefined;
      stopMeter();
    },
  };
  sync();
  return composer;
}

function iconButton(labels: Labels, name: 'image' | 'audio' | 'send' | 'close', key: MessageKey, className: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: `icon-button ${className}` }, icon(name));
  labels.attr(button, 'aria-label', key);
  labels.attr(button, 'title', key);
  return button;
}

/**
 * A square preview drawn on a canvas: no object URL is needed, so a strict `img-src 'self'`
 * policy still allows it.
 */
async function thumbnail(blob: Blob): Promise<HTMLCanvasElement> {
  const scale = window.devicePixelRatio || 1;
  const size = Math.round(THUMB_PX * scale);
  const canvas = h('canvas', { class: 'thumb-image', width: size, height: size, 'aria-hidden': 'true' });
  try {
    const bitmap = await createImageBitmap(blob);
    const side = Math.min(bitmap.width, bitmap.height);
    canvas.getContext('2d')?.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
    bitmap.close();
  } catch {
    // The image was decoded once already; a preview that fails to draw just stays blank.
  }
  return canvas;
}
