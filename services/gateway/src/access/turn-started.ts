/**
 * Who is told when a chat request has started its turn (the turn's usage then counts for that
 * request's client). A process-wide hook, so the chat routes and the turn starter stay free of
 * accounting: `turn-starter.ts` calls `turnStarted`, the access module listens.
 */
let listener: ((requestId: string, turnId: string) => void) | undefined;

export function onTurnStarted(callback: (requestId: string, turnId: string) => void): void {
  listener = callback;
}

export function turnStarted(requestId: string, turnId: string): void {
  listener?.(requestId, turnId);
}
