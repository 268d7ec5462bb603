import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { type AppState, chosenModel, returnedChoice } from '../state.js';

export interface ReturnOffer {
  readonly element: HTMLElement;
  render(state: AppState): void;
}

/**
 * A button beside the picker once the model remembered from an earlier visit, which the gateway
 * did not offer when the page opened, is offered again: the page stays on the model it showed
 * instead, and this is how the user learns they can go back. It goes once the user chooses.
 */
export function createReturnOffer(choose: (id: string) => void): ReturnOffer {
  // `rt-note-action` is the page's small outlined action button (styles.css).
  const element = h('button', { type: 'button', class: 'rt-note-action return-offer', hidden: true });
  let offered: string | undefined;
  element.addEventListener('click', () => {
    if (offered) choose(offered);
  });
  return {
    element,
    render(state) {
      const back = returnedChoice(state);
      const current = chosenModel(state);
      offered = back?.id;
      element.hidden = back === undefined || current === undefined;
      if (!back || !current) return;
      element.dataset.model = back.id;
      element.textContent = t('picker.back', { model: back.label });
      element.title = t('picker.backHint', { model: back.label, current: current.label });
    },
  };
}
