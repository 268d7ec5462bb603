import type { ModelEntry, ModelKind } from '@voxgate/protocol';
import { h } from '../dom.js';
import { currentLang, t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { type AppState, chosenModel } from '../state.js';
import { inputTags, providerName, simulatedBadge } from './describe.js';

const PANEL_ID = 'model-list';
const GROUPS: readonly { kind: ModelKind; title: 'picker.group.text' | 'picker.group.realtime' }[] = [
  { kind: 'text', title: 'picker.group.text' },
  { kind: 'realtime', title: 'picker.group.realtime' },
];

export interface Picker {
  readonly element: HTMLElement;
  render(state: AppState): void;
}

/**
 * The model picker: a button in the header that opens a popover list grouped by kind.
 * The native popover gives the top layer, Escape and click-outside dismissal without script.
 */
export function createPicker(onChoose: (id: string) => void): Picker {
  const button = h('button', { type: 'button', class: 'picker-button', popovertarget: PANEL_ID });
  const panel = h('div', { id: PANEL_ID, class: 'picker-panel', popover: 'auto', role: 'dialog' });
  const element = h('div', { class: 'picker' }, button, panel);
  let rendered: { models: unknown; chosen: string | undefined; lang: string } | undefined;

  panel.addEventListener('click', (event) => {
    const option = (event.target as Element).closest<HTMLButtonElement>('button[data-model]');
    if (!option?.dataset.model) return;
    onChoose(option.dataset.model);
    panel.hidePopover();
    button.focus();
  });
  panel.addEventListener('keydown', (event) => moveFocus(panel, event));
  panel.addEventListener('toggle', (event) => {
    const open = (event as ToggleEvent).newState === 'open';
    // Chromium exposes the popover's state to assistive technology but not to CSS; mirror it.
    button.setAttribute('aria-expanded', String(open));
    if (!open) return;
    placeBelow(panel, button);
    panel.querySelector<HTMLElement>('[aria-current="true"]')?.focus();
  });
  window.addEventListener('resize', () => {
    if (panel.matches(':popover-open')) placeBelow(panel, button);
  });

  return {
    element,
    render(state) {
      const model = chosenModel(state);
      const key = { models: state.models, chosen: model?.id, lang: currentLang() };
      if (rendered && rendered.models === key.models && rendered.chosen === key.chosen && rendered.lang === key.lang) return;
      rendered = key;
      renderButton(button, state, model);
      panel.setAttribute('aria-label', t('picker.listLabel'));
      const models = state.models.state === 'ready' ? state.models.value : [];
      panel.replaceChildren(...GROUPS.map((group) => renderGroup(group, models, model)).filter((g) => g !== null));
    },
  };
}

function renderButton(button: HTMLButtonElement, state: AppState, model: ModelEntry | undefined): void {
  button.disabled = model === undefined;
  button.dataset.kind = model?.kind ?? '';
  const caption = h('span', { class: 'picker-caption' }, t('picker.label'));
  if (!model) {
    const text = state.models.state === 'loading' ? t('picker.loading') : t('picker.choose');
    button.replaceChildren(caption, h('span', { class: 'picker-current' }, text));
    button.removeAttribute('aria-label');
    return;
  }
  button.replaceChildren(
    caption,
    h('span', { class: 'picker-current' }, h('span', { class: 'picker-label' }, model.label), simulatedBadge(model)),
    icon('chevron', 'icon chevron'),
  );
  const simulated = model.simulated ? ` (${t('badge.simulated')})` : '';
  button.setAttribute('aria-label', `${t('picker.label')}: ${model.label}${simulated}`);
}

function renderGroup(
  group: (typeof GROUPS)[number],
  models: readonly ModelEntry[],
  chosen: ModelEntry | undefined,
): HTMLElement | null {
  const members = models.filter((m) => m.kind === group.kind);
  if (members.length === 0) return null;
  const headingId = `${PANEL_ID}-${group.kind}`;
  return h(
    'section',
    { class: 'picker-group', 'data-kind': group.kind, 'aria-labelledby': headingId },
    h('h2', { id: headingId, class: 'picker-group-title' }, icon(group.kind === 'text' ? 'text' : 'wave'), t(group.title)),
    h(
      'ul',
      { role: 'list' },
      members.map((model) => h('li', {}, renderOption(model, model.id === chosen?.id))),
    ),
  );
}

function renderOption(model: ModelEntry, selected: boolean): HTMLButtonElement {
  return h(
    'button',
    { type: 'button', class: 'option', 'data-model': model.id, 'data-kind': model.kind, 'aria-current': selected ? 'true' : undefined },
    h('span', { class: 'option-title' }, h('span', { class: 'option-label' }, model.label), simulatedBadge(model)),
    h('span', { class: 'option-check' }, selected ? icon('check') : null),
    h(
      'span',
      { class: 'option-meta' },
      h('span', { class: 'option-provider' }, providerName(model), model.serverId ? ` · ${model.serverId}` : ''),
      inputTags(model),
    ),
  );
}

/** Arrow keys walk the options, as in a native list; Tab still leaves the panel. */
function moveFocus(panel: HTMLElement, event: KeyboardEvent): void {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(event.key)) return;
  const options = [...panel.querySelectorAll<HTMLButtonElement>('button[data-model]')];
  if (options.length === 0) return;
  event.preventDefault();
  const at = options.indexOf(document.activeElement as HTMLButtonElement);
  const last = options.length - 1;
  const next =
    event.key === 'Home' ? 0 : event.key === 'End' ? last : event.key === 'ArrowDown' ? Math.min(at + 1, last) : Math.max(at - 1, 0);
  options[next]?.focus();
}

/** Popovers open centred by default; anchor this one under its button, kept inside the viewport. */
function placeBelow(panel: HTMLElement, anchor: HTMLElement): void {
  const margin = 8;
  const rect = anchor.getBoundingClientRect();
  const width = Math.min(panel.offsetWidth, window.innerWidth - 2 * margin);
  const left = Math.max(margin, Math.min(rect.left, window.innerWidth - width - margin));
  panel.style.left = `${left}px`;
  panel.style.top = `${rect.bottom + 6}px`;
}
