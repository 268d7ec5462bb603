/** A long-lived connection the gateway must end itself at shutdown (an SSE stream, a WebSocket). */
export interface LiveConnection {
  /** Ends the connection now, telling the client it is a shutdown (WebSocket 1001). */
  close(): void;
}

/**
 * The open streams and sockets, so that shutdown can give them the grace period to finish on their
 * own and then close the rest: `app.close()` would otherwise wait for them forever.
 */
export class LiveConnections {
  private readonly open = new Set<LiveConnection>();
  private emptied: (() => void) | undefined;
  private shuttingDown = false;

  /**
   * True from the start of shutdown. Upgrade handlers check it rather than a `preClose` hook of
   * their own, which would run only after the grace period that this class's `closeAll` waits.
   */
  get closing(): boolean {
    return this.shuttingDown;
  }

  get size(): number {
    return this.open.size;
  }

  /** Tracks `connection` until the returned function is called. */
  add(connection: LiveConnection): () => void {
    this.open.add(connection);
    return () => {
      this.open.delete(connection);
      if (this.open.size === 0) this.emptied?.();
    };
  }

  /** Waits up to `graceMs` for every connection to end by itself, then closes what is left. */
  async closeAll(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    if (this.open.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.emptied = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const connection of [...this.open]) connection.close();
    this.open.clear();
  }
}
