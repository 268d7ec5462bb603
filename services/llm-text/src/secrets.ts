import { scrubKeys } from '@voxgate/service-kit';

/**
 * The provider keys this process holds, so that no text leaving it (an error chunk, a log line
 * built from a provider's message) can carry one, even when a provider echoes it back.
 */
export class Secrets {
  readonly #values: readonly (string | undefined)[];

  constructor(values: (string | undefined)[]) {
    this.#values = values;
  }

  scrub(text: string): string {
    return scrubKeys(text, this.#values);
  }
}
