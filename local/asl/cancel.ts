/**
 * Cheap cancellation for the hot path. Node's AbortController costs microseconds to create and to
 * abort; most executions are never cancelled, so a real AbortSignal is only made when someone asks
 * for one (a task handler reading `invocation.signal`, a sleep).
 */
export class CancelToken {
  aborted = false;
  reason: unknown;
  private controller?: AbortController;
  private children?: Set<CancelToken>;
  private callbacks?: Set<(reason: unknown) => void>;

  /** A token aborted when this one is (detach() it when done). */
  child(): CancelToken {
    const c = new CancelToken();
    if (this.aborted) c.abort(this.reason);
    else (this.children ??= new Set()).add(c);
    c.parent = this;
    return c;
  }

  private parent?: CancelToken;

  detach(): void {
    this.parent?.children?.delete(this);
    this.parent = undefined;
  }

  /** Calls `fn` on abort; returns an unsubscribe function. */
  onAbort(fn: (reason: unknown) => void): () => void {
    if (this.aborted) {
      fn(this.reason);
      return () => undefined;
    }
    (this.callbacks ??= new Set()).add(fn);
    return () => this.callbacks?.delete(fn);
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    if (this.callbacks) for (const fn of [...this.callbacks]) fn(reason);
    if (this.children) for (const c of [...this.children]) c.abort(reason);
  }

  /** A real AbortSignal mirroring this token (created on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}
