import { DOWNSTREAM_SERVICES, type GatewayStatus, type ServiceStatus } from '@voxgate/protocol';
import { explainFailure } from '../api.js';
import { h, srOnly } from '../dom.js';
import { formatTime, t, tCount } from '../i18n/index.js';
import type { AppState } from '../state.js';

export interface StatusLine {
  readonly element: HTMLElement;
  render(state: AppState): void;
}

/**
 * The footer line: NATS and each service behind the gateway, or why the gateway cannot be asked.
 * It is a polite live region, so it re-renders only when what it says changes; otherwise a
 * screen reader would hear it every few seconds.
 */
export function createStatusLine(): StatusLine {
  const label = h('h2', { class: 'visually-hidden', id: 'status-title' });
  const body = h('div', { class: 'status-body', role: 'status', 'aria-live': 'polite' });
  const checked = h('span', { class: 'status-checked' });
  const element = h('footer', { class: 'status-line', 'aria-labelledby': 'status-title' }, label, body, checked);
  let said = '';

  return {
    element,
    render(state) {
      label.textContent = t('status.label');
      const remote = state.status;
      element.dataset.state = remote.state;
      checked.textContent = remote.state === 'loading' ? '' : t('status.updated', { time: formatTime(remote.at) });
      const content =
        remote.state === 'loading'
          ? [h('span', { class: 'status-note' }, t('status.checking'))]
          : remote.state === 'failed'
            ? [h('span', { class: 'status-error', 'data-error': 'gateway' }, t('status.unreachable', { message: explainFailure(remote.error) }))]
            : renderStatus(remote.value);
      const next = content.map((node) => node.textContent).join('|');
      if (next === said) return;
      said = next;
      body.replaceChildren(...content);
    },
  };
}

function renderStatus(status: GatewayStatus): HTMLElement[] {
  const nats = status.nats === 'connected';
  const items = [
    h(
      'li',
      { class: 'status-item', 'data-service': 'nats', 'data-up': String(nats) },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'status-name' }, t('status.nats')),
      ' ',
      h('span', { class: 'status-state' }, t(nats ? 'status.nats.connected' : 'status.nats.disconnected')),
    ),
    ...DOWNSTREAM_SERVICES.map((name) => renderService(status.services.find((s) => s.name === name) ?? absent(name))),
  ];
  const out: HTMLElement[] = [h('ul', { class: 'status-items', role: 'list' }, items)];
  // The gateway's own reasons matter only when a service is not simply "down" (e.g. NATS trouble).
  if (!status.ready && status.reasons.length > 0 && !nats) {
    out.push(h('span', { class: 'status-note' }, t('status.notReady', { reasons: status.reasons.join('; ') })));
  }
  return out;
}

function absent(name: string): ServiceStatus {
  return { name, up: false, instances: [] };
}

function renderService(service: ServiceStatus): HTMLElement {
  const count = service.instances.length;
  return h(
    'li',
    { class: 'status-item', 'data-service': service.name, 'data-up': String(service.up), 'data-instances': count },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'status-name' }, service.name),
    ' ',
    h('span', { class: 'status-state' }, t(service.up ? 'status.up' : 'status.down')),
    service.up ? h('span', { class: 'status-count' }, srOnly(', '), tCount('status.instances', count)) : null,
  );
}
