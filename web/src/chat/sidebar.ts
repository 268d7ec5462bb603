import type { ConversationSummary } from '@voxgate/protocol';
import { explainFailure } from '../api.js';
import { h } from '../dom.js';
import { currentLang, t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { deleteConversation, listConversations, renameConversation } from './api.js';

export interface SidebarOptions {
  open(id: string): void;
  startNew(): void;
  /** The open conversation was deleted. */
  deleted(id: string): void;
}

export interface Sidebar {
  readonly element: HTMLElement;
  refresh(): Promise<void>;
  setCurrent(id: string | undefined): void;
  /** Re-renders in the current language. */
  relabel(): void;
}

/** How long a delete button waits for its confirming second click. */
const CONFIRM_MS = 4_000;

/**
 * The conversation list: newest first; open, rename (inline), delete (a second click confirms),
 * new. It re-renders from the last list fetched, so a language switch needs no request.
 */
export function createSidebar(options: SidebarOptions): Sidebar {
  const title = h('h2', { class: 'sidebar-title', id: 'sidebar-title' });
  const newButton = h('button', { type: 'button', class: 'sidebar-new' }, icon('plus'), h('span', {}));
  const list = h('ul', { class: 'conversation-list', role: 'list' });
  const message = h('p', { class: 'sidebar-message' });
  const element = h(
    'nav',
    { class: 'chat-sidebar', id: 'chat-sidebar', 'aria-labelledby': 'sidebar-title' },
    h('div', { class: 'sidebar-head' }, title, newButton),
    list,
    message,
  );
  let conversations: readonly ConversationSummary[] | undefined;
  let failure: unknown;
  let current: string | undefined;
  let editing: string | undefined;

  newButton.addEventListener('click', () => options.startNew());

  const render = () => {
    title.textContent = t('chat.sidebar.title');
    const newLabel = newButton.querySelector('span');
    if (newLabel) newLabel.textContent = t('chat.sidebar.new');
    message.hidden = false;
    if (failure !== undefined && conversations === undefined) {
      message.textContent = t('chat.sidebar.failed', { message: explainFailure(failure) });
      message.dataset.tone = 'error';
    } else if (conversations?.length === 0) {
      message.textContent = t('chat.sidebar.empty');
      delete message.dataset.tone;
    } else message.hidden = true;
    list.replaceChildren(...(conversations ?? []).map(item));
  };

  const item = (summary: ConversationSummary): HTMLElement => {
    const isCurrent = summary.id === current;
    const label = summary.title.trim() || t('chat.sidebar.untitled');
    const row = h('li', { class: 'conversation', 'data-id': summary.id, 'aria-current': isCurrent ? 'page' : undefined });
    if (editing === summary.id) {
      const input = h('input', { class: 'conversation-rename', type: 'text', maxlength: 200, value: label, 'aria-label': t('chat.sidebar.renameLabel') });
      let done = false;
      const finish = async (save: boolean) => {
        if (done) return;
        done = true;
        editing = undefined;
        const next = input.value.trim();
        if (save && next && next !== summary.title) {
          try {
            await renameConversation(summary.id, next);
            conversations = conversations?.map((c) => (c.id === summary.id ? { ...c, title: next } : c));
          } catch (error) {
            showActionFailure(error);
          }
        }
        render();
        list.querySelector<HTMLElement>(`[data-id="${CSS.escape(summary.id)}"] .conversation-open`)?.focus();
      };
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.isComposing) void finish(true);
        else if (event.key === 'Escape') void finish(false);
      });
      input.addEventListener('blur', () => void finish(true));
      row.appendChild(input);
      queueMicrotask(() => {
        input.focus();
        input.select();
      });
      return row;
    }
    const open = h(
      'button',
      { type: 'button', class: 'conversation-open', title: label },
      h('span', { class: 'conversation-title' }, label),
      h('span', { class: 'conversation-time' }, when(summary.updatedAt)),
    );
    open.addEventListener('click', () => options.open(summary.id));
    const rename = h('button', { type: 'button', class: 'icon-button conversation-action', 'data-action': 'rename', 'aria-label': `${t('chat.sidebar.rename')}: ${label}`, title: t('chat.sidebar.rename') }, icon('pencil'));
    rename.addEventListener('click', () => {
      editing = summary.id;
      render();
    });
    const remove = h('button', { type: 'button', class: 'icon-button conversation-action', 'data-action': 'delete', 'aria-label': `${t('chat.sidebar.delete')}: ${label}`, title: t('chat.sidebar.delete') }, icon('trash'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    remove.addEventListener('click', async () => {
      if (remove.dataset.confirm !== 'true') {
        remove.dataset.confirm = 'true';
        remove.replaceChildren(icon('trash'), h('span', {}, t('chat.sidebar.confirmDelete')));
        timer = setTimeout(() => {
          delete remove.dataset.confirm;
          remove.replaceChildren(icon('trash'));
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(timer);
      try {
        await deleteConversation(summary.id);
        conversations = conversations?.filter((c) => c.id !== summary.id);
        render();
        if (summary.id === current) options.deleted(summary.id);
      } catch (error) {
        showActionFailure(error);
      }
    });
    row.append(open, h('span', { class: 'conversation-actions' }, rename, remove));
    return row;
  };

  const showActionFailure = (error: unknown) => {
    message.hidden = false;
    message.dataset.tone = 'error';
    message.textContent = t('chat.sidebar.actionFailed', { message: explainFailure(error) });
  };

  const sidebar: Sidebar = {
    element,
    async refresh() {
      try {
        const fetched = await listConversations();
        conversations = [...fetched].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
        failure = undefined;
      } catch (error) {
        failure = error;
      }
      // A title being typed would be lost by a re-render; the next refresh catches up.
      if (editing === undefined) render();
    },
    setCurrent(id) {
      current = id;
      for (const row of list.querySelectorAll<HTMLElement>('.conversation')) {
        if (row.dataset.id === id) row.setAttribute('aria-current', 'page');
        else row.removeAttribute('aria-current');
      }
    },
    relabel: render,
  };
  render();
  return sidebar;
}

/** Today: the time; earlier: the date. Both in the page's language. */
function when(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const locale = currentLang() === 'zh' ? 'zh-CN' : 'en';
  const today = new Date().toDateString() === date.toDateString();
  return new Intl.DateTimeFormat(locale, today ? { timeStyle: 'short' } : { month: 'short', day: 'numeric' }).format(date);
}
