/**
 * A rule target's InputTransformer (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
 * `InputPathsMap` names values of the event by JSONPath, `InputTemplate` places them as `<name>`.
 *
 * - Outside a JSON string the value goes in as JSON (`"instance": <instance>` → `"instance": "i-0123"`);
 *   inside one it goes in as is, unescaped, as EventBridge does (`"state is <state>"` → `"state is RUNNING"`).
 * - A path that matches nothing gives `null` outside a string and nothing inside one.
 * - Predefined: <aws.events.rule-arn>, <aws.events.rule-name>, <aws.events.event.ingestion-time>,
 *   <aws.events.event> (the event without `detail`) and <aws.events.event.json> (the whole event).
 *
 * Compiled once per target; {@link InputTransformerError} names what EventBridge would reject (an unknown
 * placeholder, a key starting with "AWS.", a bad path).
 */
import { compilePath } from '../../asl/jsonpath';

export class InputTransformerError extends Error {
  override name = 'InputTransformerError';
}

export interface TransformContext {
  ruleArn: string;
  ruleName: string;
}

const PREDEFINED = new Set(['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json']);
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/g;

/** Compiles an InputTransformer; the result renders an event (envelope) to the target's input text. */
export function compileInputTransformer(transformer: { InputPathsMap?: Record<string, unknown>; InputTemplate?: unknown }): (event: Record<string, unknown>, context: TransformContext) => string {
  const template = transformer.InputTemplate;
  if (typeof template !== 'string' || template === '') throw new InputTransformerError('InputTemplate is required');
  const paths = new Map<string, ReturnType<typeof compilePath>>();
  for (const [key, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    if (/^aws\./i.test(key)) throw new InputTransformerError(`InputPathsMap key ${key} must not start with "AWS."`);
    if (typeof path !== 'string') throw new InputTransformerError(`InputPathsMap.${key} must be a JSONPath string`);
    try {
      paths.set(key, compilePath(path));
    } catch (error) {
      throw new InputTransformerError(`InputPathsMap.${key}: ${(error as Error).message}`);
    }
  }
  const parts = split(template);
  for (const part of parts) {
    if (typeof part !== 'string' && !paths.has(part.name) && !PREDEFINED.has(part.name)) throw new InputTransformerError(`InputTemplate contains invalid placeholder ${part.name}`);
  }
  return (event, context) => {
    const value = (name: string): unknown => {
      switch (name) {
        case 'aws.events.rule-arn':
          return context.ruleArn;
        case 'aws.events.rule-name':
          return context.ruleName;
        case 'aws.events.event.ingestion-time':
          return event.time;
        case 'aws.events.event': {
          const { detail: _detail, ...rest } = event;
          return rest;
        }
        case 'aws.events.event.json':
          return event;
      }
      return paths.get(name)!.read(event).value;
    };
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const v = value(part.name);
      if (part.quoted) out += v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      else out += v === undefined ? 'null' : JSON.stringify(v);
    }
    return out;
  };
}

type Part = string | { name: string; quoted: boolean };

/** The template as text and placeholders, each placeholder knowing whether it sits inside a JSON string. */
function split(template: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '<') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      if (m && m.index === i) {
        parts.push(text, { name: m[1], quoted: inString });
        text = '';
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === '\\' && inString) {
      text += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    text += c;
  }
  parts.push(text);
  return parts.filter((p) => p !== '');
}
