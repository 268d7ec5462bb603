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
  /**
   * A remembered choice the gateway did not offer when the catalogue first came: the page opened
   * another model instead and keeps it (it never switches by itself, which could end a running
   * answer or ask for the microphone unasked); once this one is offered again the user is told.
   */
  readonly standingInFor: string | undefined;
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

/**
 * The patch that settles the choice once a catalogue is known: the chosen model's entry as offered
 * now, or, when the choice is unknown or was never offered on this page, the model shown in its
 * place, chosen from then on. Without it, a choice remembered from an earlier visit that comes
 * back (its service was down at load) would switch the page by itself.
 */
export function settleChoice(state: AppState, models: readonly ModelEntry[]): Partial<AppState> {
  const offered = models.find((m) => m.id === state.chosenId);
  if (offered) return { lastChosen: offered };
  if (state.chosenId !== undefined && state.lastChosen?.id === state.chosenId) return {};
  const standIn = models.find((m) => m.kind === 'text') ?? models[0];
  if (!standIn) return {};
  return { chosenId: standIn.id, lastChosen: standIn, standingInFor: state.chosenId };
}

/** The model a stand-in took the place of, when the gateway offers it again. */
export function returnedChoice(state: AppState): ModelEntry | undefined {
  if (state.standingInFor === undefined || state.models.state !== 'ready') return undefined;
  return state.models.value.find((m) => m.id === state.standingInFor);
}

/** Whether the gateway currently offers `model` (a kept choice may not be). */
export function isOffered(state: AppState, model: ModelEntry): boolean {
  return state.models.state === 'ready' && state.models.value.some((m) => m.id === model.id);
}
