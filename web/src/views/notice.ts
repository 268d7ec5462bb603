import { h } from '../dom.js';

/**
 * The main area when there is no model to show: still loading, the catalogue failed, or it is empty.
 * `action` is the one thing the user can do about it, if any.
 */
export function notice(
  message: string,
  options: { tone?: 'quiet' | 'error'; action?: { label: string; run: () => void } } = {},
): HTMLElement {
  const button = options.action
    ? h('button', { type: 'button', class: 'button' }, options.action.label)
    : null;
  const run = options.action?.run;
  if (button && run) button.addEventListener('click', run);
  return h(
    'section',
    { class: `notice notice-${options.tone ?? 'quiet'}`, role: options.tone === 'error' ? 'alert' : undefined },
    h('p', {}, message),
    button,
  );
}
