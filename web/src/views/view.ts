import type { ModelEntry } from '@voxgate/protocol';
import type { AppState } from '../state.js';

/** What the main area shows for the chosen model; replaced when the chosen model needs another kind. */
export interface View {
  readonly element: HTMLElement;
  /** Called on every state or language change; re-renders only what changed. */
  update(state: AppState, model: ModelEntry): void;
  /** Releases what the view holds (sockets, microphone, timers) before another takes its place. */
  destroy(): void;
}

export interface ViewFactory {
  /** Views with the same name are kept and updated when the choice changes, not rebuilt. */
  readonly name: string;
  create(state: AppState, model: ModelEntry): View;
}
