import type { ChatMessage, ChatRequest, ContentPart, Conversation, ConversationTurn, ModelEntry, TurnChunk } from '@voxgate/protocol';
import { ApiError, explainFailure } from '../api.js';
import { h } from '../dom.js';
import { currentLang } from '../i18n/index.js';
import { icon } from '../icons.js';
import { type AppState, isOffered } from '../state.js';
import type { View, ViewFactory } from '../views/view.js';
import { getConversation, stopTurn } from './api.js';
import { createComposer } from './composer.js';
import { Labels } from './labels.js';
import { type AnswerState, type AnswerView, answerView, systemMessage, turnGroup, userMessage } from './messages.js';
import { forgetConversation, forgetTurn, rememberTurn, type RunningTurn, runningTurnOf } from './running-turns.js';
import { createSidebar } from './sidebar.js';
import { isGone, resumeTurn, runTurn, type TurnHandlers } from './turn.js';

/** The open conversation lives in the URL (`#/c/<id>`), so reload, back and a shared link keep it. */
const HASH = /^#\/c\/([A-Za-z0-9_-]{8,64})$/;
/** Scrolled within this many pixels of the end, the log follows new text; further up it stays put. */
const STICK_PX = 80;

function conversationFromHash(): string | undefined {
  return HASH.exec(location.hash)?.[1];
}

interface Running {
  abort: AbortController;
  turnId: string | undefined;
}

interface Shown {
  group: HTMLElement;
  answer: AnswerView;
}

/** A turn to start (`user` absent: a regenerate), or one started before the page was reopened. */
/** How an answer's finish reason shows: `other` (the provider gave none we know) reads as done. */
const FINISHED_AS: Record<Extract<TurnChunk, { type: 'done' }>['finishReason'], AnswerState> = {
  stop: 'done',
  other: 'done',
  stopped: 'stopped',
  length: 'length',
  content_filter: 'filtered',
};

type TurnSource = { kind: 'start'; request: ChatRequest; user: ChatMessage | undefined } | { kind: 'resume'; turn: RunningTurn };

/** Where a turn's answer goes. */
interface TurnTarget {
  group: HTMLElement;
  label: string;
  setTranscript: ((text: string) => void) | undefined;
  /** Puts back what a regenerate took out of view, if the new answer never starts. */
  restore?: () => void;
}

/** Text models: conversation sidebar, message log with streamed answers, composer. */
export const chatView: ViewFactory = {
  name: 'chat',
  create(state, model) {
    return createChatView(state, model);
  },
};

function createChatView(initialState: AppState, initialModel: ModelEntry): View {
  const labels = new Labels();
  let model = initialModel;
  let models: readonly ModelEntry[] = [];
  let lang = currentLang();
  let conversationId: string | undefined;
  let running: Running | undefined;
  let shown: Shown[] = [];
  let pinned = true;
  let loadToken = 0;

  const log = h('div', { class: 'chat-log', role: 'log', 'aria-live': 'polite', tabindex: '-1' });
  labels.attr(log, 'aria-label', 'chat.log');
  const unavailable = labels.text(h('p', { class: 'note note-unavailable chat-unavailable', role: 'alert', hidden: true }), 'chat.unavailable');
  const composer = createComposer({ labels, send: (parts) => send(parts), stop: () => void stop() });
  const dropHint = labels.text(h('div', { class: 'drop-hint', 'aria-hidden': 'true' }), 'chat.image.drop');
  const drawerButton = h('button', { type: 'button', class: 'icon-button drawer-toggle', 'aria-controls': 'chat-sidebar', 'aria-expanded': 'false' }, icon('menu'));
  labels.attr(drawerButton, 'aria-label', 'chat.sidebar.open');
  const drawerLabel = labels.text(h('span', { class: 'drawer-label' }), 'chat.sidebar.open');
  const bar = h('div', { class: 'chat-bar' }, drawerButton, drawerLabel);
  const panel = h('section', { class: 'chat-panel' }, bar, log, h('div', { class: 'chat-foot' }, unavailable, composer.element), dropHint);
  labels.attr(panel, 'aria-label', 'chat.label');
  const scrim = h('div', { class: 'chat-scrim', 'aria-hidden': 'true' });
  const sidebar = createSidebar({
    open: (id) => {
      setDrawer(false);
      navigate(id);
    },
    startNew: () => {
      setDrawer(false);
      navigate(undefined);
      composer.focus();
    },
    deleted: (id) => {
      forgetConversation(id);
      navigate(undefined);
    },
  });
  const element = h('div', { class: 'chat', 'data-drawer': 'closed' }, sidebar.element, scrim, panel);

  // ---- Drawer (narrow screens) ------------------------------------------------------------
  const setDrawer = (open: boolean) => {
    element.dataset.drawer = open ? 'open' : 'closed';
    drawerButton.setAttribute('aria-expanded', String(open));
    if (open) sidebar.element.querySelector<HTMLElement>('button')?.focus();
  };
  drawerButton.addEventListener('click', () => setDrawer(element.dataset.drawer !== 'open'));
  scrim.addEventListener('click', () => setDrawer(false));
  element.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && element.dataset.drawer === 'open') {
      setDrawer(false);
      drawerButton.focus();
    }
  });

  // ---- Scrolling --------------------------------------------------------------------------
  log.addEventListener('scroll', () => {
    pinned = log.scrollTop + log.clientHeight >= log.scrollHeight - STICK_PX;
  });
  const follow = () => {
    if (pinned) log.scrollTop = log.scrollHeight;
  };

  // ---- Drag and drop ----------------------------------------------------------------------
  const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
  let dragDepth = 0;
  panel.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth++;
    if (composer.acceptsImages()) panel.dataset.drop = 'true';
  });
  panel.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = composer.acceptsImages() ? 'copy' : 'none';
  });
  panel.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) delete panel.dataset.drop;
  });
  panel.addEventListener('drop', (event) => {
    // Always handled: an unhandled drop would navigate the tab away to the file.
    event.preventDefault();
    dragDepth = 0;
    delete panel.dataset.drop;
    composer.addFiles([...(event.dataTransfer?.files ?? [])]);
  });

  // ---- Log --------------------------------------------------------------------------------
  const labelOf = (id: string) => models.find((m) => m.id === id)?.label ?? id;

  const showEmpty = () => {
    const hint = labels.text(h('p', { class: 'chat-empty-hint' }), model.input.includes('image') ? 'chat.empty.hint' : 'chat.empty.hintNoImage', {
      model: model.label,
    });
    log.replaceChildren(
      h('div', { class: 'chat-empty' }, h('span', { class: 'chat-empty-mark', 'aria-hidden': 'true' }, icon('text')), labels.text(h('h1', { class: 'chat-empty-title' }), 'chat.empty.title'), hint),
    );
  };

  const clearEmpty = () => log.querySelector('.chat-empty')?.remove();

  /** Only the last answer can be regenerated, and only when nothing is running. */
  const syncRegenerate = () => {
    const last = shown.at(-1);
    for (const item of shown) item.answer.setRegenerate(undefined);
    if (last && !running && conversationId && log.lastElementChild === last.group) {
      last.answer.setRegenerate(() => void regenerate(last));
    }
  };

  /** The stored exchanges, and `pending`, a turn of this tab the conversation does not have yet. */
  const renderStored = (conversation: Conversation, pending: RunningTurn | undefined) => {
    shown = [];
    log.replaceChildren();
    for (const turn of conversation.turns) log.appendChild(storedTurn(turn));
    pinned = true;
    if (pending) resumeInto(pending);
    if (log.childElementCount === 0) showEmpty();
    follow();
    syncRegenerate();
  };

  /** Shows a turn still running (or ended but not yet seen) where it belongs, and follows it. */
  const resumeInto = (pending: RunningTurn) => {
    const label = labelOf(pending.model);
    if (pending.user) {
      const group = turnGroup();
      const user = userMessage(labels, { parts: pending.user.content });
      group.appendChild(user.element);
      log.appendChild(group);
      void run({ kind: 'resume', turn: pending }, { group, label, setTranscript: user.setTranscript });
      return;
    }
    // A regenerate replaces the last stored answer when it ends; until then it stands in for it.
    const last = shown.at(-1);
    if (!last) {
      forgetTurn(pending.turnId);
      return;
    }
    for (const extra of last.group.querySelectorAll('.msg-system')) extra.remove();
    last.answer.element.remove();
    shown = shown.filter((s) => s !== last);
    void run({ kind: 'resume', turn: pending }, { group: last.group, label, setTranscript: undefined });
  };

  const storedTurn = (turn: ConversationTurn): HTMLElement => {
    const group = turnGroup();
    group.dataset.turn = turn.turnId;
    group.appendChild(userMessage(labels, { parts: turn.user.content }, turn.transcript).element);
    const answer = answerView(labels, labelOf(turn.model), follow);
    answer.reset(turn.answer);
    answer.setState(turn.status === 'done' ? 'done' : turn.status);
    group.appendChild(answer.element);
    if (turn.error) group.appendChild(systemMessage(labels, 'chat.error', { code: turn.error.code, message: turn.error.message }));
    shown.push({ group, answer });
    return group;
  };

  // ---- Navigation -------------------------------------------------------------------------
  const navigate = (id: string | undefined) => {
    const hash = id ? `#/c/${id}` : '';
    if (location.hash !== hash && !(hash === '' && location.hash === '')) {
      history.pushState(null, '', hash || `${location.pathname}${location.search}`);
    }
    void open(id);
  };

  const open = async (id: string | undefined) => {
    if (id !== undefined && id === conversationId) return;
    running?.abort.abort();
    running = undefined;
    composer.setBusy(false);
    conversationId = id;
    sidebar.setCurrent(id);
    const token = ++loadToken;
    if (!id) {
      shown = [];
      showEmpty();
      return;
    }
    log.replaceChildren(labels.text(h('p', { class: 'chat-loading' }), 'chat.loading'));
    try {
      const conversation = await getConversation(id);
      if (token !== loadToken) return;
      const remembered = runningTurnOf(id);
      // llm-text stores the exchange before the turn's last chunk, so a stored one has ended.
      const pending = remembered && !conversation.turns.some((turn) => turn.turnId === remembered.turnId) ? remembered : undefined;
      if (remembered && !pending) forgetTurn(remembered.turnId);
      renderStored(conversation, pending);
    } catch (error) {
      if (token !== loadToken) return;
      if (isGone(error)) forgetConversation(id);
      log.replaceChildren(systemMessage(labels, 'chat.loadFailed', { message: explainFailure(error) }));
    }
  };

  const onHistory = () => void open(conversationFromHash());
  window.addEventListener('popstate', onHistory);
  window.addEventListener('hashchange', onHistory);

  // ---- Turns ------------------------------------------------------------------------------
  const send = (parts: ContentPart[]): Promise<boolean> => {
    clearEmpty();
    const group = turnGroup();
    const user = userMessage(labels, { parts });
    group.appendChild(user.element);
    log.appendChild(group);
    const message: ChatMessage = { role: 'user', content: parts };
    const request: ChatRequest = { model: model.id, ...(conversationId ? { conversationId } : {}), message };
    pinned = true;
    return run({ kind: 'start', request, user: message }, { group, label: model.label, setTranscript: user.setTranscript });
  };

  const regenerate = (item: Shown): Promise<boolean> => {
    if (!conversationId || running) return Promise.resolve(false);
    const notes = [...item.group.querySelectorAll('.msg-system')];
    for (const note of notes) note.remove();
    item.answer.element.remove();
    shown = shown.filter((s) => s !== item);
    pinned = true;
    // The old answer stays on the server until the new one ends, so a refused start may show it again.
    const restore = () => {
      item.group.append(item.answer.element, ...notes);
      shown.push(item);
    };
    return run(
      { kind: 'start', request: { model: model.id, conversationId, regenerate: true }, user: undefined },
      { group: item.group, label: model.label, setTranscript: undefined, restore },
    );
  };

  /** Shows a turn's answer as it arrives; resolves whether the turn started (always, for a resume). */
  const run = (source: TurnSource, target: TurnTarget): Promise<boolean> =>
    new Promise<boolean>((resolveStarted) => {
      const { group, setTranscript } = target;
      const answer = answerView(labels, target.label, follow);
      group.appendChild(answer.element);
      const item: Shown = { group, answer };
      const mine: Running = { abort: new AbortController(), turnId: undefined };
      running = mine;
      let started = false;
      let ended: AnswerState | undefined;
      const begin = (turnId: string) => {
        started = true;
        mine.turnId = turnId;
        group.dataset.turn = turnId;
        shown.push(item);
        if (running === mine) composer.setBusy(true, true);
      };
      // Once the turn has ended its exchange is stored (before its last chunk), so the memory can go.
      const settle = () => {
        if (mine.turnId) forgetTurn(mine.turnId);
      };
      const end = (state: AnswerState) => {
        ended = state;
        answer.setState(state);
        settle();
      };
      if (source.kind === 'resume') begin(source.turn.turnId);
      else composer.setBusy(true, false);
      syncRegenerate();
      follow();
      const handlers: TurnHandlers = {
        started(turn) {
          if (source.kind !== 'start') return;
          begin(turn.turnId);
          rememberTurn({
            turnId: turn.turnId,
            conversationId: turn.conversationId,
            model: source.request.model,
            user: source.user,
            startedAtMs: Date.now(),
          });
          if (conversationId !== turn.conversationId) {
            conversationId = turn.conversationId;
            history.replaceState(null, '', `#/c/${turn.conversationId}`);
            sidebar.setCurrent(conversationId);
          }
          void sidebar.refresh();
          resolveStarted(true);
        },
        chunk(chunk) {
          switch (chunk.type) {
            case 'delta':
              answer.append(chunk.text);
              break;
            case 'transcript':
              setTranscript?.(chunk.text);
              break;
            case 'done':
              end(FINISHED_AS[chunk.finishReason]);
              break;
            case 'error':
              end('failed');
              group.appendChild(systemMessage(labels, 'chat.error', { code: chunk.code, message: chunk.message }));
              break;
            case 'start':
              break;
          }
        },
        state(delivery) {
          if (ended === undefined) answer.setState(delivery);
        },
      };
      const delivery = source.kind === 'start' ? runTurn(source.request, handlers, mine.abort.signal) : resumeTurn(source.turn.turnId, handlers, mine.abort.signal);
      if (source.kind === 'resume') resolveStarted(true);
      delivery
        .then(() => {
          // Polling found the turn finished without its last chunk: show what arrived as final.
          if (ended === undefined) end('done');
        })
        .catch((error: unknown) => {
          // Left for another conversation or view: the turn goes on and is remembered for reopening.
          if (mine.abort.signal.aborted) return;
          if (!started) {
            answer.element.remove();
            target.restore?.();
            const key = target.restore ? 'chat.error.regenerateFailed' : 'chat.error.notSent';
            group.appendChild(systemMessage(labels, key, { code: codeOf(error), message: explainFailure(error) }));
            if (!target.restore) group.dataset.failed = 'true';
            resolveStarted(false);
            return;
          }
          end('failed');
          group.appendChild(systemMessage(labels, 'chat.error.lost', { message: explainFailure(error) }));
        })
        .finally(() => {
          if (running !== mine) return;
          running = undefined;
          composer.setBusy(false);
          syncRegenerate();
          follow();
          if (started) void sidebar.refresh();
        });
    });

  const stop = async () => {
    const turnId = running?.turnId;
    if (!turnId) return;
    try {
      await stopTurn(turnId);
    } catch {
      // The stream still ends the turn, or the answer finishes by itself; nothing to add.
    }
  };

  // ---- View contract ----------------------------------------------------------------------
  const view: View = {
    element,
    update(state, next) {
      models = state.models.state === 'ready' ? state.models.value : models;
      const modelChanged = next.id !== model.id;
      model = next;
      composer.setModel(next, isOffered(state, next));
      unavailable.hidden = isOffered(state, next);
      if (currentLang() !== lang) {
        lang = currentLang();
        labels.apply();
        sidebar.relabel();
      }
      if (modelChanged && log.querySelector('.chat-empty')) showEmpty();
    },
    destroy() {
      running?.abort.abort();
      running = undefined;
      composer.destroy();
      window.removeEventListener('popstate', onHistory);
      window.removeEventListener('hashchange', onHistory);
    },
  };
  view.update(initialState, initialModel);
  void sidebar.refresh();
  void open(conversationFromHash());
  return view;
}

function codeOf(error: unknown): string {
  if (error instanceof ApiError) return error.failure.kind === 'http' ? error.failure.code : error.failure.kind;
  return 'network';
}
