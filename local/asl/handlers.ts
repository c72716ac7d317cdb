/**
 * Service integrations by an explicit table: resource ARN pattern → handler.
 * Patterns are exact ARNs or globs where `*` matches any run of characters, e.g.
 *   'arn:aws:states:::dynamodb:putItem', 'arn:aws:states:::aws-sdk:dynamodb:*',
 *   'arn:aws:lambda:*:*:function:*'.
 * The first registered pattern that matches wins; an unknown resource resolves to undefined
 * (the engine then fails the task with the resource's name, never silently).
 */
import type { TaskHandler, TaskHandlerTable } from './types';

interface Entry {
  pattern: string;
  regex: RegExp | null;
  handler: TaskHandler;
}

function globToRegex(pattern: string): RegExp | null {
  if (!pattern.includes('*')) return null;
  const src = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${src}$`);
}

export class TaskHandlerRegistry implements TaskHandlerTable {
  private readonly entries: Entry[] = [];
  private readonly cache = new Map<string, TaskHandler | undefined>();

  /** Registers a handler for an exact resource ARN or a glob pattern. Returns this for chaining. */
  register(pattern: string, handler: TaskHandler): this {
    this.entries.push({ pattern, regex: globToRegex(pattern), handler });
    this.cache.clear();
    return this;
  }

  /** Registers a handler for a plain Lambda function ARN (any region/account) by function name. */
  registerLambdaFunction(functionName: string, handler: TaskHandler): this {
    return this.register(`arn:aws:lambda:*:*:function:${functionName}`, handler);
  }

  resolve(resource: string): TaskHandler | undefined {
    if (this.cache.has(resource)) return this.cache.get(resource);
    let found: TaskHandler | undefined;
    for (const e of this.entries) {
      if (e.regex ? e.regex.test(resource) : e.pattern === resource) {
        found = e.handler;
        break;
      }
    }
    this.cache.set(resource, found);
    return found;
  }

  /** The patterns registered, in order (for diagnostics). */
  patterns(): string[] {
    return this.entries.map((e) => e.pattern);
  }
}
