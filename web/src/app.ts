import { getModels, getStatus, explainFailure } from './api.js';
import { chatView } from './chat/view.js';
import { h } from './dom.js';
import { applyToDocument, onLangChange, t } from './i18n/index.js';
import { createLangSwitch } from './i18n/switch.js';
import { createPicker } from './models/picker.js';
import { createReturnOffer } from './models/return-offer.js';
import { readPref, writePref } from './prefs.js';
import { type AppState, chosenModel, createStore, settleChoice } from './state.js';
import { realtimeView } from './realtime/view.js';
import { every } from './status/poll.js';
import { createStatusLine } from './status/status-line.js';
import { notice } from './views/notice.js';
import type { View, ViewFactory } from './views/view.js';
import type { GatewayStatus, ModelEntry } from '@voxgate/protocol';

const STATUS_EVERY_MS = 3_000;
/** A safety net: the catalogue is also refreshed when services come and go (see below). */
const MODELS_EVERY_MS = 30_000;

/** The view for a model: text models chat; realtime models talk. */
function viewFor(model: ModelEntry): ViewFactory {
  return model.kind === 'text' ? chatView : realtimeView;
}

export function startApp(root: HTMLElement): void {
  applyToDocument();
  const store = createStore({
    models: { state: 'loading' },
    status: { state: 'loading' },
    chosenId: readPref('model'),
    lastChosen: undefined,
    standingInFor: undefined,
  });

  const choose = (id: string) => {
    writePref('model', id);
    const { models } = store.get();
    store.update({ chosenId: id, lastChosen: models.state === 'ready' ? models.value.find((m) => m.id === id) : undefined, standingInFor: undefined });
  };
  const picker = createPicker(choose);
  const returnOffer = createReturnOffer(choose);
  const tagline = h('span', { class: 'brand-tagline' });
  const brand = h(
    'a',
    { class: 'brand', href: '/' },
    h('img', { class: 'brand-mark', src: '/favicon.svg', alt: '', width: 28, height: 28 }),
    h('span', { class: 'brand-name' }, 'Voxgate'),
    tagline,
  );
  const header = h('header', { class: 'app-header' }, brand, picker.element, returnOffer.element, createLangSwitch());
  const main = h('main', { class: 'app-main', id: 'main' });
  const statusLine = createStatusLine();
  root.replaceChildren(header, main, statusLine.element);

  let view: { factory: ViewFactory; view: View } | undefined;
  let noticeShown = '';
  const retry = () => {
    store.update({ models: { state: 'loading' } });
    void loadModels();
  };
  const renderMain = (state: AppState) => {
    const model = chosenModel(state);
    // Realtime models take the orange look (styles.css); everything else the calm default.
    document.documentElement.dataset.theme = model?.kind === 'realtime' ? 'realtime' : 'text';
    if (!model) {
      view?.view.destroy();
      view = undefined;
      const next = mainNotice(state, retry);
      // Replaced only when its words change, so focus on its button survives the status polls.
      if (next.textContent !== noticeShown) {
        noticeShown = next.textContent ?? '';
        main.replaceChildren(next);
      }
      return;
    }
    noticeShown = '';
    const factory = viewFor(model);
    if (view?.factory === factory && main.contains(view.view.element)) {
      view.view.update(state, model);
      return;
    }
    view?.view.destroy();
    view = { factory, view: factory.create(state, model) };
    main.replaceChildren(view.view.element);
  };

  const render = (state: AppState) => {
    tagline.textContent = t('app.tagline');
    picker.render(state);
    returnOffer.render(state);
    statusLine.render(state);
    renderMain(state);
  };
  store.subscribe(render);
  onLangChange(() => render(store.get()));
  render(store.get());

  // Overlapping loads can finish out of order; only the latest one may write.
  let modelsRequest = 0;
  let modelsLoadedAt = 0;
  async function loadModels(): Promise<void> {
    const request = ++modelsRequest;
    modelsLoadedAt = Date.now();
    try {
      const { models } = await getModels();
      if (request !== modelsRequest) return;
      store.update({ models: { state: 'ready', value: models, at: new Date() }, ...settleChoice(store.get(), models) });
    } catch (error) {
      if (request !== modelsRequest) return;
      // A catalogue already shown stays: a failed refresh is the status line's news, not this one's.
      if (store.get().models.state !== 'ready') store.update({ models: { state: 'failed', error, at: new Date() } });
    }
  }

  // The catalogue is gathered from the services that are up, so it is fetched again whenever
  // that set changes, and retried while it has never loaded.
  let servicesSeen: string | undefined;
  every(STATUS_EVERY_MS, async () => {
    try {
      const status = await getStatus();
      store.update({ status: { state: 'ready', value: status, at: new Date() } });
      const services = upServices(status);
      const changed = servicesSeen !== undefined && services !== servicesSeen;
      servicesSeen = services;
      if (changed || Date.now() - modelsLoadedAt > MODELS_EVERY_MS) void loadModels();
    } catch (error) {
      store.update({ status: { state: 'failed', error, at: new Date() } });
    }
    if (store.get().models.state === 'failed') await loadModels();
  });
  void loadModels();
}

function upServices(status: GatewayStatus): string {
  return status.services
    .filter((s) => s.up)
    .map((s) => s.name)
    .sort()
    .join(',');
}

function mainNotice(state: AppState, retry: () => void): HTMLElement {
  switch (state.models.state) {
    case 'loading':
      return notice(t('picker.loading'));
    case 'failed':
      return notice(t('picker.failed', { message: explainFailure(state.models.error) }), {
        tone: 'error',
        action: { label: t('picker.retry'), run: retry },
      });
    case 'ready':
      return notice(t('picker.empty'));
  }
}
