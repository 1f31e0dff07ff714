/**
 * Writes an agent's heartbeat on a clock of its own for as long as its run
 * lasts. The engine sends no message while a model turn or a long tool call
 * runs, so heartbeats tied to its messages fell silent exactly when a worker
 * was busiest; a database restart then added its own gap, and the health pass
 * buried a live agent and spent a task attempt on it. A write that failed is
 * tried again after `retryMs`, so a restart costs the restart, not the restart
 * plus an interval. (A hung engine is the run timeout's to stop; the health
 * pass also sees a dead process by its job lock.)
 */
const minimumIntervalMs = 250;

export interface Heartbeats {
  /** Stops the clock; resolves once a write in flight has ended. */
  stop(): Promise<void>;
}

export function beatWhileRunning(
  /** Resolves true when the heartbeat was written. */
  write: () => Promise<boolean>,
  everyMs: number,
): Heartbeats {
  // Tests ask for 0 ("as often as you can"): a floor keeps that from being a busy loop of writes.
  const interval = Math.max(everyMs, minimumIntervalMs);
  const retryMs = Math.min(1_000, interval);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(beat, ms);
    timer.unref();
  };
  const beat = () => {
    inFlight = write().then(
      (written) => schedule(written ? interval : retryMs),
      () => schedule(retryMs),
    );
  };
  // The first at once: a run is a sign of life from its start.
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
