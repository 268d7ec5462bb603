import type { GatewayStatus, ModelEntry } from '@voxgate/protocol';

/** Something fetched from the gateway: not yet known, known, or failed with a reason to show. */
export type Remote<T> =
  | { state: 'loading' }
  | { state: 'ready'; value: T; at: Date }
  | { state: 'failed'; error: unknown; at: Date };

export interface AppState {
  readonly models: Remote<readonly ModelEntry[]>;
  readonly status: Remote<GatewayStatus>;
  /** The remembered or clicked choice; may name a model the gateway no longer offers. */
  readonly chosenId: string | undefined;
  /**
   * The chosen model's entry as last offered. When its service goes down the gateway stops listing
   * it; the page keeps showing it (as unavailable) instead of silently switching to another model.
   */
  readonly lastChosen: ModelEntry | undefined;
}

/** The page's one source of truth; components re-render from it and never from each other. */
export interface Store {
  get(): AppState;
  update(patch: Partial<AppState>): void;
  subscribe(listener: (state: AppState, previous: AppState) => void): void;
}

export function createStore(initial: AppState): Store {
  let state = initial;
  const listeners: ((state: AppState, previous: AppState) => void)[] = [];
  return {
    get: () => state,
    update(patch) {
      const previous = state;
      state = { ...state, ...patch };
      for (const listener of listeners) listener(state, previous);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}

/**
 * The model the page acts on: the chosen one, offered or last seen; with no choice yet, the first
 * text model, else any.
 */
export function chosenModel(state: AppState): ModelEntry | undefined {
  if (state.models.state !== 'ready') return undefined;
  const models = state.models.value;
  const offered = models.find((m) => m.id === state.chosenId);
  if (offered) return offered;
  if (state.lastChosen && state.lastChosen.id === state.chosenId) return state.lastChosen;
  return models.find((m) => m.kind === 'text') ?? models[0];
}

/** Whether the gateway currently offers `model` (a kept choice may not be). */
export function isOffered(state: AppState, model: ModelEntry): boolean {
  return state.models.state === 'ready' && state.models.value.some((m) => m.id === model.id);
}
