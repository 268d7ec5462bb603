import type { GatewayStatus, ModelEntry, ServiceName } from '@voxgate/protocol';
import { h } from '../dom.js';
import { currentLang, t, tCount } from '../i18n/index.js';
import { inputTags, providerName, servicesFor, simulatedBadge, transportName } from '../models/describe.js';
import { isOffered } from '../state.js';
import type { View, ViewFactory } from './view.js';

/**
 * The chosen model's facts, as the gateway reported them, and whether the services it needs are
 * up right now: what the page can honestly say before conversations exist.
 */
export const modelDetailsView: ViewFactory = {
  name: 'details',
  create(state, model) {
    const element = h('article', { class: 'details', 'aria-labelledby': 'details-title' });
    let shown = '';
    const view: View = {
      element,
      update(next, chosen) {
        const status = next.status.state === 'ready' ? next.status.value : undefined;
        const offered = isOffered(next, chosen);
        const key = [currentLang(), offered, JSON.stringify(chosen), serviceSummary(chosen, status)].join('|');
        if (key === shown) return;
        shown = key;
        element.dataset.kind = chosen.kind;
        element.dataset.offered = String(offered);
        element.replaceChildren(...render(chosen, status, offered));
      },
      destroy() {},
    };
    view.update(state, model);
    return view;
  },
};

function render(model: ModelEntry, status: GatewayStatus | undefined, offered: boolean): Node[] {
  const server = model.serverId
    ? [h('dt', {}, t('details.server')), h('dd', {}, h('code', {}, model.serverId))]
    : [];
  const parts = [
    h(
      'header',
      { class: 'details-header' },
      h('p', { class: 'eyebrow' }, t('details.heading')),
      h('h1', { id: 'details-title', class: 'details-title' }, model.label, ' ', simulatedBadge(model)),
      h('p', { class: 'details-id' }, h('span', { class: 'visually-hidden' }, `${t('details.id')}: `), h('code', {}, model.id)),
    ),
    offered ? null : h('p', { class: 'note note-unavailable', role: 'alert' }, t('details.unavailable')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('details.provider')),
      h('dd', {}, providerName(model)),
      server,
      h('dt', {}, t('details.kind')),
      h('dd', {}, h('span', { class: 'chip chip-kind', 'data-kind': model.kind }, t(`kind.${model.kind}`))),
      h('dt', {}, t('details.input')),
      h('dd', {}, inputTags(model)),
      h('dt', {}, t('details.transports')),
      h('dd', {}, h('span', { class: 'tags' }, model.transports.map((tr) => h('span', { class: 'tag' }, transportName(tr))))),
      h('dt', {}, t('details.source')),
      h('dd', { 'data-simulated': String(model.simulated) }, t(model.simulated ? 'details.source.simulated' : 'details.source.live')),
      h('dt', {}, t('details.servedBy')),
      h('dd', {}, h('ul', { class: 'served-by', role: 'list' }, servicesFor(model).map((name) => serviceState(name, status)))),
    ),
    h(
      'p',
      { class: model.simulated ? 'note note-simulated' : 'note' },
      t(model.simulated ? 'details.simulatedNote' : 'details.liveNote'),
    ),
  ];
  return parts.filter((part) => part !== null);
}

function serviceState(name: ServiceName, status: GatewayStatus | undefined): HTMLElement {
  const service = status?.services.find((s) => s.name === name);
  const up = service?.up;
  const state = up === undefined ? '…' : t(up ? 'status.up' : 'status.down');
  return h(
    'li',
    { class: 'status-item', 'data-service': name, 'data-up': up === undefined ? undefined : String(up) },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'status-name' }, name),
    ' ',
    h('span', { class: 'status-state' }, state),
    up && service ? h('span', { class: 'status-count' }, tCount('status.instances', service.instances.length)) : null,
  );
}

function serviceSummary(model: ModelEntry, status: GatewayStatus | undefined): string {
  return servicesFor(model)
    .map((name) => {
      const s = status?.services.find((x) => x.name === name);
      return `${name}:${s?.up}:${s?.instances.length}`;
    })
    .join(',');
}
