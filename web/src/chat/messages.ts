import type { ContentPart } from '@voxgate/protocol';
import { h } from '../dom.js';
import type { MessageKey, Vars } from '../i18n/index.js';
import { icon } from '../icons.js';
import { attachmentUrl } from './api.js';
import type { Labels } from './labels.js';
import { renderMarkdown } from './markdown.js';

/**
 * The pieces of the message log. A turn is one group: the user's message, the model's answer, and
 * any system message about it (an error, a stop), so regenerating replaces the whole group's answer.
 */

export type AnswerState = 'connecting' | 'streaming' | 'reconnecting' | 'done' | 'stopped' | 'length' | 'filtered' | 'failed';

export interface UserContent {
  parts: readonly ContentPart[];
}

export function turnGroup(): HTMLElement {
  return h('div', { class: 'turn' });
}

/** The user's words stay plain text (never Markdown): what they typed is what they see. */
export function userMessage(labels: Labels, content: UserContent, transcript?: string): { element: HTMLElement; setTranscript(text: string): void } {
  const body = h('div', { class: 'msg-body' });
  const media = h('div', { class: 'msg-media' });
  for (const part of content.parts) {
    if (part.type === 'text') body.appendChild(h('p', { class: 'msg-text' }, part.text));
    else if (part.type === 'image') {
      media.appendChild(
        labels.attr(h('img', { class: 'msg-image', src: attachmentUrl(part.attachmentId), loading: 'lazy', decoding: 'async' }), 'alt', 'chat.image.alt'),
      );
    } else {
      const label = labels.text(h('span', { class: 'msg-audio-label' }), 'chat.voice.message');
      media.appendChild(
        h('div', { class: 'msg-audio' }, icon('audio'), label, h('audio', { controls: true, preload: 'metadata', src: attachmentUrl(part.attachmentId) })),
      );
    }
  }
  const transcriptLine = h('p', { class: 'msg-transcript', hidden: true });
  const element = h('article', { class: 'msg msg-user' }, media.childElementCount > 0 ? media : null, body, transcriptLine);
  const setTranscript = (text: string) => {
    transcriptLine.hidden = false;
    transcriptLine.replaceChildren(labels.text(h('span', { class: 'msg-transcript-label' }), 'chat.voice.transcript'), ' ', h('q', {}, text));
  };
  if (transcript) setTranscript(transcript);
  return { element, setTranscript };
}

export function systemMessage(labels: Labels, key: MessageKey, vars?: Vars): HTMLElement {
  return labels.text(h('p', { class: 'msg msg-system', role: 'alert' }), key, vars);
}

export interface AnswerView {
  readonly element: HTMLElement;
  append(text: string): void;
  /** Replaces the whole text (a stored answer, or a fresh start when regenerating). */
  reset(text?: string): void;
  text(): string;
  setState(state: AnswerState): void;
  /** Shows the regenerate button with this action, or hides it. */
  setRegenerate(run: (() => void) | undefined): void;
  /** Renders whatever is pending now rather than at the next frame (e.g. when the turn ends). */
  flush(): void;
}

const STATE_KEYS: Partial<Record<AnswerState, MessageKey>> = {
  connecting: 'chat.state.connecting',
  reconnecting: 'chat.state.reconnecting',
  stopped: 'chat.state.stopped',
  length: 'chat.state.length',
  filtered: 'chat.state.filtered',
  failed: 'chat.state.failed',
};

export function answerView(labels: Labels, modelLabel: string, onRendered: () => void): AnswerView {
  let text = '';
  let frame = 0;
  const body = h('div', { class: 'msg-body markdown' });
  const status = h('p', { class: 'msg-status', role: 'status' });
  const copy = actionButton(labels, 'copy', 'chat.copyAnswer');
  const regenerate = actionButton(labels, 'regenerate', 'chat.regenerate');
  regenerate.hidden = true;
  const actions = h('div', { class: 'msg-actions' }, copy, regenerate);
  const element = h(
    'article',
    { class: 'msg msg-assistant', 'data-state': 'connecting', 'aria-busy': 'true' },
    h('header', { class: 'msg-meta' }, modelLabel),
    body,
    status,
    actions,
  );
  let regenerateRun: (() => void) | undefined;
  regenerate.addEventListener('click', () => regenerateRun?.());
  copy.addEventListener('click', () => copyText(labels, copy, text, 'chat.copyAnswer'));

  const render = () => {
    frame = 0;
    body.replaceChildren(renderMarkdown(text, { copyButton: (code) => codeCopyButton(labels, code) }));
    onRendered();
  };
  const schedule = () => {
    // Re-rendering on every token would be wasted work: once per frame is as fast as anyone reads.
    if (frame === 0) frame = requestAnimationFrame(render);
  };
  const view: AnswerView = {
    element,
    append(more) {
      text += more;
      schedule();
    },
    reset(initial = '') {
      text = initial;
      if (frame) cancelAnimationFrame(frame);
      render();
    },
    text: () => text,
    setState(state) {
      element.dataset.state = state;
      const live = state === 'connecting' || state === 'streaming' || state === 'reconnecting';
      element.setAttribute('aria-busy', String(live));
      const key = STATE_KEYS[state];
      status.hidden = key === undefined;
      if (key) labels.text(status, key);
      actions.hidden = live;
      if (!live) view.flush();
    },
    setRegenerate(run) {
      regenerateRun = run;
      regenerate.hidden = run === undefined;
    },
    flush() {
      if (frame) {
        cancelAnimationFrame(frame);
        render();
      }
    },
  };
  view.setState('connecting');
  return view;
}

function actionButton(labels: Labels, name: 'copy' | 'regenerate', key: MessageKey): HTMLButtonElement {
  const label = labels.text(h('span', {}), key);
  return h('button', { type: 'button', class: 'msg-action', 'data-action': name }, icon(name), label);
}

function codeCopyButton(labels: Labels, code: string): HTMLElement {
  const button = h('button', { type: 'button', class: 'code-copy' }, icon('copy'), labels.text(h('span', {}), 'chat.copy'));
  labels.attr(button, 'aria-label', 'chat.copyCode');
  button.addEventListener('click', () => copyText(labels, button, code, 'chat.copy'));
  return button;
}

/** How long a copy button says what happened before it reads as before. */
const COPIED_MS = 1_500;
const COPY_FAILED_MS = 4_000;

/** Each copy button's pending restore, so a second click starts its moment afresh. */
const copyRestores = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

/** Copies and says so on the button for a moment; the button keeps its size so nothing jumps. */
async function copyText(labels: Labels, button: HTMLElement, text: string, restoreKey: MessageKey): Promise<void> {
  const label = button.querySelector('span');
  const copied = await writeClipboard(text);
  button.dataset.copied = String(copied);
  if (label) labels.text(label, copied ? 'chat.copied' : 'chat.copyFailed');
  if (copied) labels.clear(button, 'title');
  else labels.attr(button, 'title', 'chat.copyFailedHint');
  clearTimeout(copyRestores.get(button));
  copyRestores.set(
    button,
    setTimeout(
      () => {
        delete button.dataset.copied;
        labels.clear(button, 'title');
        if (label) labels.text(label, restoreKey);
      },
      copied ? COPIED_MS : COPY_FAILED_MS,
    ),
  );
}

/**
 * The async clipboard exists only in a secure context (https, or http on localhost) and may be
 * refused there too; copying a selection still works on a plain-http page, so that comes next.
 */
async function writeClipboard(text: string): Promise<boolean> {
  if (typeof navigator.clipboard?.writeText === 'function') {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, document not focused): try the selection below.
    }
  }
  return copyBySelection(text);
}

function copyBySelection(text: string): boolean {
  const area = h('textarea', { class: 'visually-hidden', readonly: true, 'aria-hidden': 'true', tabindex: -1 });
  area.value = text;
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
  document.body.appendChild(area);
  try {
    area.focus({ preventScroll: true });
    area.select();
    // Deprecated, but the only way to write the clipboard where the async API does not exist.
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
    focused?.focus({ preventScroll: true });
  }
}
