/** The providers whose wire protocols the simulator speaks. */
export const PROVIDERS = ['openai', 'gemini', 'zhipu'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/**
 * An error answered in a provider's own shape. Handlers throw it; each provider's error handler
 * sends `body` with `statusCode` and `headers` unchanged.
 */
export class ProviderError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`provider error ${statusCode}`);
    this.name = 'ProviderError';
  }
}

/** How one provider words the errors the simulator can produce. */
export interface ErrorDialect {
  /** No usable key in the request. */
  unauthenticated(): ProviderError;
  /** The request is malformed; `param` names the offending field where the provider would. */
  invalidRequest(message: string, param?: string): ProviderError;
  rateLimited(retryAfterSeconds: number): ProviderError;
  /**
   * The key was refused, with the key quoted back whole: harsher than the real providers (OpenAI
   * quotes its start and end), so that tests see whether anything passes a provider's words on unscrubbed.
   */
  invalidKey(key: string): ProviderError;
  serverError(): ProviderError;
  notFound(method: string, path: string): ProviderError;
  /** Framework-level refusals (body too large, unsupported media type) in this provider's shape. */
  fromStatus(statusCode: number, message: string): ProviderError;
}
