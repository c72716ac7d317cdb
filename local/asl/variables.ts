/**
 * Workflow variables (Assign). Each Parallel branch and Map iteration gets a child scope:
 * it reads the outer variables, and what it assigns stays inside it (it leaves only through output).
 * https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html
 */
let globalVersion = 0;

export class VarScope {
  private readonly vals: Record<string, unknown> = Object.create(null);
  private flat: Record<string, unknown> | null = null;
  private flatVersion = -1;

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
    globalVersion++;
  }

  /** All visible variables as one object (inner scopes shadow outer ones); cached until any assign. */
  all(): Record<string, unknown> {
    if (this.flat && this.flatVersion === globalVersion) return this.flat;
    const out: Record<string, unknown> = this.parent ? { ...this.parent.all() } : {};
    for (const k of Object.keys(this.vals)) out[k] = this.vals[k];
    this.flat = out;
    this.flatVersion = globalVersion;
    return out;
  }
}
