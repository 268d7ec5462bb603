import type { InputKind, ModelEntry, ServiceName, Transport } from '@voxgate/protocol';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';

/** Picker and details name things the same way; these helpers are the one place that does. */
export function providerName(model: ModelEntry): string {
  return t(`provider.${model.provider}`);
}

export function inputName(kind: InputKind): string {
  return t(`input.${kind}`);
}

export function transportName(transport: Transport): string {
  return t(`transport.${transport}`);
}

/** Which downstream services a model needs, so the page can say whether it can work right now. */
export function servicesFor(model: ModelEntry): ServiceName[] {
  if (model.kind === 'text') return ['llm-text'];
  return model.transports.includes('webrtc') ? ['realtime-relay', 'session'] : ['realtime-relay'];
}

const INPUT_ORDER: readonly InputKind[] = ['text', 'image', 'audio'];

/** Servers list inputs in any order; the page always shows them in one, so rows line up. */
function sortedInputs(kinds: readonly InputKind[]): InputKind[] {
  return INPUT_ORDER.filter((kind) => kinds.includes(kind));
}

export function inputTags(model: ModelEntry): HTMLElement {
  return h(
    'span',
    { class: 'tags' },
    sortedInputs(model.input).map((kind) => h('span', { class: 'tag', 'data-input': kind }, icon(kind), inputName(kind))),
  );
}

export function simulatedBadge(model: ModelEntry): HTMLElement | null {
  if (!model.simulated) return null;
  return h('span', { class: 'badge badge-simulated', title: t('badge.simulatedHint') }, t('badge.simulated'));
}
