const MESSAGES = {
  stopped: 'the turn was stopped',
  deadline: 'the turn ran past its deadline',
  refused: 'the turn could not be recorded, so its start was refused',
} as const;

/**
 * Why a turn's own controller was aborted: the user stopped it, its overall deadline passed, or
 * its start was refused after the provider call had already begun (nobody learnt of the turn).
 * Used as the abort `reason`, so whoever catches the SDK's abort error can tell which.
 */
export class TurnAbort extends Error {
  override readonly name = 'TurnAbort';
  constructor(readonly why: keyof typeof MESSAGES) {
    super(MESSAGES[why]);
  }
}

/** The signal's reason when it is a `TurnAbort`, else a deadline (the only other way we abort). */
export function abortReason(signal: AbortSignal): TurnAbort {
  return signal.reason instanceof TurnAbort ? signal.reason : new TurnAbort('deadline');
}
