/**
 * Choice: picks the first rule that matches (JSONPath rules or JSONata Condition), else Default,
 * else fails with States.NoChoiceMatched. Rules may carry their own Assign (and Output in JSONata).
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
 */
import { compileRule, type Predicate } from '../choice-rules';
import { QueryEvaluationError, RuntimeError } from '../errors';
import { compileJsonataTemplate, type JsonataTemplate } from '../jsonata';
import { compileAssign, type Evaluator } from '../payload';
import { compileJsonataAssign } from '../retry';
import type { QueryLanguage } from '../types';
import { BaseState, type Def, type StateCtx, type StateResult } from './base';

interface Rule {
  next: string;
  predicate?: Predicate;
  condition?: JsonataTemplate;
  assignPath?: { names: string[]; fns: Evaluator[] };
  assignJsonata?: { names: string[]; templates: JsonataTemplate[] };
  output?: JsonataTemplate;
}

export class ChoiceState extends BaseState {
  readonly type = 'Choice' as const;
  readonly shape = 'flow' as const;
  private readonly rules: Rule[];
  private readonly defaultNext?: string;

  constructor(name: string, def: Def, ql: QueryLanguage) {
    super(name, def, ql);
    this.defaultNext = def.Default as string | undefined;
    this.rules = ((def.Choices as Def[]) ?? []).map((r, i) => {
      const rule: Rule = { next: r.Next as string };
      if (ql === 'JSONata') {
        rule.condition = compileJsonataTemplate(r.Condition, `Choices[${i}]/Condition`);
        if (r.Assign) rule.assignJsonata = compileJsonataAssign(r.Assign as Def, `Choices[${i}]/Assign`);
        if ('Output' in r) rule.output = compileJsonataTemplate(r.Output, `Choices[${i}]/Output`);
      } else {
        rule.predicate = compileRule(r);
        if (r.Assign) rule.assignPath = compileAssign(r.Assign as Def);
      }
      return rule;
    });
  }

  execute(input: unknown, ctx: StateCtx): Promise<StateResult> | StateResult {
    if (this.isJsonata) return this.executeJsonata(input, ctx);
    const env = ctx.env(input);
    for (const rule of this.rules) {
      if (rule.predicate!(env)) return { result: input, next: rule.next, assignPath: rule.assignPath ?? null };
    }
    return this.noMatch(input);
  }

  /**
   * No rule matched and no Default: AWS fails with States.Runtime, not States.NoChoiceMatched (wording
   * verified on AWS us-east-1 by the Floci project: "Failed to transition out of the state. The state
   * does not point to a next state.").
   */
  private noMatch(input: unknown): StateResult {
    if (this.defaultNext !== undefined) return { result: input, next: this.defaultNext };
    throw new RuntimeError('Failed to transition out of the state. The state does not point to a next state.');
  }

  private executeJsonata(input: unknown, ctx: StateCtx): StateResult | Promise<StateResult> {
    const b = ctx.bindings();
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const c = rule.condition!;
      const v = c.constant ? c.value : c.run(b);
      if (v instanceof Promise) return this.continueJsonata(input, ctx, i, v);
      if (this.decide(rule, i, v)) return { result: input, next: rule.next, assignJsonata: rule.assignJsonata ?? null, output: rule.output ?? null };
    }
    return this.noMatch(input);
  }

  private async continueJsonata(input: unknown, ctx: StateCtx, from: number, pending: Promise<unknown>): Promise<StateResult> {
    const b = ctx.bindings();
    for (let i = from; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const c = rule.condition!;
      const v = i === from ? await pending : c.constant ? c.value : await c.run(b);
      if (this.decide(rule, i, v)) return { result: input, next: rule.next, assignJsonata: rule.assignJsonata ?? null, output: rule.output ?? null };
    }
    return this.noMatch(input);
  }

  private decide(rule: Rule, i: number, v: unknown): boolean {
    if (typeof v !== 'boolean') {
      throw new QueryEvaluationError(`The Condition field must evaluate to a boolean value, but got ${JSON.stringify(v)}.`, `Choices[${i}]/Condition`);
    }
    void rule;
    return v;
  }
}
