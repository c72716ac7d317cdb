/**
 * Workflow variables (Assign). Each Parallel branch and Map iteration gets a child scope:
 * it reads the outer variables, and what it assigns stays inside it (it leaves only through output).
 * https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html
 */
export class VarScope {
  private readonly vals: Record<string, unknown> = Object.create(null);
  /** UTF-8 size of each variable's JSON text in this scope (made on the first sized assign). */
  private sizes?: Record<string, number>;
  /** Sum of `sizes`. */
  private bytes = 0;
  /** The bytes held by every live scope of the execution (shared by a root scope and its children). */
  private readonly held: { bytes: number };
  private flat: Record<string, unknown> | null = null;
  /** Bumped by every assign in this scope. */
  private version = 0;
  private flatVersion = -1;
  /** The parent's all() the cached `flat` was built from. */
  private flatParent: Record<string, unknown> | null = null;

  constructor(readonly parent?: VarScope) {
    this.held = parent ? parent.held : { bytes: 0 };
  }

  get(name: string): { found: boolean; value: unknown } {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: VarScope | undefined = this;
    while (s) {
      if (name in s.vals) return { found: true, value: s.vals[name] };
      s = s.parent;
    }
    return { found: false, value: undefined };
  }

  /** Sets several variables at once (values were evaluated beforehand, so they all saw the old values). */
  assign(values: Record<string, unknown>, sizes?: Record<string, number>): void {
    for (const k of Object.keys(values)) this.vals[k] = values[k];
    if (sizes) {
      const own = (this.sizes ??= Object.create(null) as Record<string, number>);
      let delta = 0;
      for (const k in sizes) {
        delta += sizes[k] - (own[k] ?? 0);
        own[k] = sizes[k];
      }
      this.bytes += delta;
      this.held.bytes += delta;
    }
    this.version++;
  }

  /**
   * What the execution's variables would weigh (UTF-8 bytes of their JSON text, every live scope) once
   * `sizes` are assigned here.
   */
  heldBytesAfter(sizes: Record<string, number>): number {
    let total = this.held.bytes;
    const own = this.sizes;
    for (const k in sizes) total += sizes[k] - (own?.[k] ?? 0);
    return total;
  }

  /** The scope's branch/iteration has ended: its variables no longer count towards the execution's total. */
  release(): void {
    this.held.bytes -= this.bytes;
    this.bytes = 0;
  }

  /** All visible variables as one object (inner scopes shadow outer ones); cached until an assign here or above. */
  all(): Record<string, unknown> {
    const parent = this.parent ? this.parent.all() : null;
    if (this.flat && this.flatVersion === this.version && this.flatParent === parent) return this.flat;
    const out: Record<string, unknown> = parent ? { ...parent } : {};
    for (const k of Object.keys(this.vals)) out[k] = this.vals[k];
    this.flat = out;
    this.flatVersion = this.version;
    this.flatParent = parent;
    return out;
  }
}
