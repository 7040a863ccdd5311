/**
 * The process's serving state, shared by main.ts (which starts the drain on SIGTERM), the readiness
 * handler (503 while draining) and the pipeline (`Connection: close` while draining). Passed to
 * createApp as a dependency, never a global, so several apps in one process drain independently.
 */
export class Lifecycle {
  private isDraining = false;

  /** True from {@link beginDrain} on: the instance is going away and takes no new clients. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** Marks the instance as draining; idempotent. */
  beginDrain(): void {
    this.isDraining = true;
  }
}
