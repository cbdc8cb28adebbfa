/** Whether this instance still takes new work. Shared by the readiness check and the /v1 gate. */
export class Lifecycle {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** From now on: readiness answers 503 and new /v1 calls get 503 shutting_down. */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }
}
