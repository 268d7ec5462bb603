/**
 * Why a turn's own controller was aborted: the user stopped it, or its overall deadline passed.
 * Used as the abort `reason`, so whoever catches the SDK's abort error can tell which.
 */
export class TurnAbort extends Error {
  override readonly name = 'TurnAbort';
  constructor(readonly why: 'stopped' | 'deadline') {
    super(why === 'stopped' ? 'the turn was stopped' : 'the turn ran past its deadline');
  }
}

/** The signal's reason when it is a `TurnAbort`, else a deadline (the only other way we abort). */
export function abortReason(signal: AbortSignal): TurnAbort {
  return signal.reason instanceof TurnAbort ? signal.reason : new TurnAbort('deadline');
}
