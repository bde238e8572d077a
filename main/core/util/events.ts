import type { EmmaEvent } from '../contract.js';

/** Fan-out of core events to every binding (IPC windows, SSE clients). A failing listener never stops others. */
export class EventHub {
  private readonly listeners = new Set<(event: EmmaEvent) => void>();

  on(listener: (event: EmmaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: EmmaEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (a closed window, a dropped socket) must not break the job that emitted.
      }
    }
  }
}
