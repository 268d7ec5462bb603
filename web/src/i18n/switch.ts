import { h } from '../dom.js';
import { currentLang, LANGS, onLangChange, setLang, t } from './index.js';

/**
 * Two buttons, each naming its language in that language, so a reader of either can find it.
 * `aria-pressed` marks the current one.
 */
export function createLangSwitch(): HTMLElement {
  const buttons = LANGS.map(({ lang, name, htmlLang }) => {
    const button = h('button', { type: 'button', class: 'lang-option', lang: htmlLang, 'data-lang': lang }, name);
    button.addEventListener('click', () => setLang(lang));
    return button;
  });
  const group = h('div', { class: 'lang-switch', role: 'group' }, buttons);
  const sync = () => {
    group.setAttribute('aria-label', t('lang.label'));
    for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.lang === currentLang()));
  };
  sync();
  onLangChange(sync);
  return group;
}
