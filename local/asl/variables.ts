/**
 * Workflow variables (Assign). Each Parallel branch and Map iteration gets a child scope:
 * it reads the outer variables, and what it assigns stays inside it (it leaves only through output).
 * https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html
 */
export class VarScope {
  private readonly vals: Record<string, unknown> = Object.create(null);
  private flat: Record<string, unknown> | null = null;
  /** Bumped by every assign in this scope. */
  private version = 0;
  private flatVersion = -1;
  /** The parent's all() the cached `flat` was built from. */
  private flatParent: Record<string, unknown> | null = null;

  constructor(readonly parent?: VarScope) {}

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
  assign(values: Record<string, unknown>): void {
    for (const k of Object.keys(values)) this.vals[k] = values[k];
    this.version++;
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
