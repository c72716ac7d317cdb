/**
 * API Gateway's throttling algorithm: a token bucket per limit. The bucket holds at most `burst` tokens and
 * starts full; it refills at `rate` tokens a second; each request takes one token, and a request that finds the
 * bucket empty is throttled (429). A burst of 0 throttles every request.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedMs = nowMs;
  }

  /** Whether a request arriving now would get a token (without taking it). */
  hasToken(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= 1;
  }

  take(nowMs: number): boolean {
    if (!this.hasToken(nowMs)) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until the next token (0 when one is there), for a Retry-After-like figure. */
  secondsUntilToken(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) return 0;
    return this.rate > 0 && this.burst >= 1 ? (1 - this.tokens) / this.rate : Infinity;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedMs) / 1000;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
  }
}
