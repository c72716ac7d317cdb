/**
 * The template's `AWS::Events::Rule`s, run on the local cloud's clock:
 *
 *   ScheduleExpression rate(n unit)  → invokes its Lambda targets every period. When the clock is advanced,
 *                                      the schedule fires once for each period skipped (as AWS would have over
 *                                      that time), one invocation after the other, at most `maxCatchUp` per
 *                                      advance (the rest are skipped, with a log line).
 *   EventPattern                     → every event put on the rule's bus (SDK, endpoint, the Step Functions
 *                                      events:putEvents integration, AWS service events such as the local
 *                                      CloudWatch's alarm state changes) that matches the pattern goes to its
 *                                      targets, asynchronously as EventBridge does.
 *
 * Targets: Lambda functions (invoked asynchronously) and Step Functions state machines (StartExecution, Standard
 * or Express, as EventBridge starts them). A target gets its `Input` (JSON text) when set, else the part of the
 * event its `InputPath` selects, else what its `InputTransformer` renders (./services/events/transform.ts), else
 * the event itself (for schedules, the "Scheduled Event" AWS sends). What cannot run locally (cron(), other target
 * types, unsupported pattern operators) is reported in `warnings`, never skipped silently.
 */
import { randomUUID } from 'node:crypto';
import { startTimer } from './asl/clock';
import { compilePath } from './asl/jsonpath';
import type { Clock } from './asl/types';
import type { ResolvedTemplate } from './cloudformation/template';
import { EventsService, busName, eventEnvelope, eventTime } from './services/events';
import { compileEventPattern } from './services/events/pattern';
import { compileInputTransformer } from './services/events/transform';

export interface InvocableFunction {
  invoke(event: unknown): Promise<unknown>;
}

/** What a state machine target needs: StartExecution (the local Step Functions service). */
export interface StateMachineStarter {
  startExecution(request: { stateMachineArn: string; input?: string }): { executionArn: string };
}

export interface EventRulesOptions {
  template: ResolvedTemplate;
  /** Local Lambda functions by name. */
  lambdas: ReadonlyMap<string, InvocableFunction>;
  /** Starts the template's state machines (rule targets by ARN); without one they are reported and skipped. */
  stateMachines?: StateMachineStarter;
  events: EventsService;
  clock: Clock;
  /** Run the schedule rules (pattern rules always route). Default true. */
  schedules?: boolean;
  warnings: string[];
  log: (line: string) => void;
  /** Most invocations of one schedule per catch-up (an advance of the clock). Default 1,000. */
  maxCatchUp?: number;
}

interface Target {
  name: string;
  /** Hands the input to the target: invokes the Lambda, starts the execution. */
  deliver(input: TargetInput): Promise<unknown>;
  /** The input for an event (Input, InputPath, InputTransformer or the event). */
  input(event: Record<string, unknown>): TargetInput;
}

/** A target's input: a value (Input, InputPath, the event) or the text an InputTransformer rendered. */
type TargetInput = { value: unknown } | { text: string };

const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** Starts the rules of the template; returns the function that stops them. */
export function startEventRules(options: EventRulesOptions): () => void {
  const { template, warnings } = options;
  const stops: (() => void)[] = [];
  const patternRules: { logicalId: string; bus: string; matches: (e: Record<string, unknown>) => boolean; targets: Target[] }[] = [];

  for (const { logicalId, properties: p } of template.resourcesOfType('AWS::Events::Rule')) {
    if (p.State === 'DISABLED') continue;
    const rule = { ruleArn: template.getAtt(logicalId, 'Arn'), ruleName: template.ref(logicalId) };
    const targets = ruleTargets(logicalId, p.Targets ?? [], rule, options);
    if (p.ScheduleExpression) {
      const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(p.ScheduleExpression);
      if (!rate) warnings.push(`${logicalId}: schedule ${p.ScheduleExpression} is not emulated (only rate())`);
      else if (options.schedules !== false && targets.length) {
        stops.push(startSchedule(logicalId, Number(rate[1]) * UNIT_MS[rate[2]], rule.ruleArn, targets, options));
      }
    }
    if (p.EventPattern) {
      try {
        const matches = compileEventPattern(p.EventPattern);
        if (targets.length) patternRules.push({ logicalId, bus: busName(p.EventBusName), matches, targets });
      } catch (error) {
        warnings.push(`${logicalId}: event pattern not routed: ${(error as Error).message}`);
      }
    }
  }

  if (patternRules.length) {
    const where = { account: template.account, region: template.region };
    stops.push(
      options.events.onEvent((recorded) => {
        const rules = patternRules.filter((r) => r.bus === recorded.eventBusName);
        if (!rules.length) return;
        const event = eventEnvelope(recorded, where) as unknown as Record<string, unknown>;
        for (const rule of rules) {
          if (!rule.matches(event)) continue;
          for (const target of rule.targets) {
            // Asynchronous, like EventBridge: PutEvents does not wait for the targets.
            deliver(target, event).then(
              (result) => options.log(`rule ${rule.logicalId} → ${target.name}: ${JSON.stringify(result)}`),
              (error) => options.log(`rule ${rule.logicalId} → ${target.name} failed: ${error}`),
            );
          }
        }
      }),
    );
  }
  return () => stops.forEach((stop) => stop());
}

/** Delivers an event to a target (the input made from it), never throwing synchronously. */
async function deliver(target: Target, event: Record<string, unknown>): Promise<unknown> {
  return target.deliver(target.input(event));
}

/** A rule's targets that are local Lambda functions or state machines; the others are reported. */
function ruleTargets(logicalId: string, targets: Record<string, any>[], rule: { ruleArn: string; ruleName: string }, options: EventRulesOptions): Target[] {
  const out: Target[] = [];
  for (const target of targets) {
    const arn = String(target.Arn);
    let name: string;
    let send: Target['deliver'];
    const functionName = arn.split(':function:')[1]?.split(':')[0];
    const fn = functionName ? options.lambdas.get(functionName) : undefined;
    if (fn) {
      name = functionName!;
      // A Lambda is handed JSON: a transformer's text is parsed (a plain string template gives a string).
      send = (input) => fn.invoke('value' in input ? input.value : parseOrText(input.text));
    } else if (/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+$/.test(arn) && options.stateMachines) {
      const starter = options.stateMachines;
      name = arn.split(':stateMachine:')[1];
      send = async (input) => {
        const text = 'text' in input ? input.text : JSON.stringify(input.value ?? null);
        const { executionArn } = starter.startExecution({ stateMachineArn: arn, input: text });
        return { executionArn };
      };
    } else {
      const kind = /:states:.*:stateMachine:/.test(arn) ? 'a state machine, but no Step Functions service is wired' : 'not a local Lambda function';
      options.warnings.push(`${logicalId}: target ${target.Arn} is ${kind} (not invoked)`);
      continue;
    }
    let input: Target['input'] = (event) => ({ value: event });
    if (target.Input !== undefined) {
      const value = typeof target.Input === 'string' ? JSON.parse(target.Input) : target.Input;
      input = () => ({ value }); // a Lambda gets its own copy (the payload goes through JSON)
    } else if (target.InputPath) {
      const path = compilePath(String(target.InputPath));
      input = (event) => ({ value: path.read(event).value ?? null });
    } else if (target.InputTransformer) {
      try {
        const render = compileInputTransformer(target.InputTransformer);
        input = (event) => ({ text: render(event, rule) });
      } catch (error) {
        options.warnings.push(`${logicalId}: target ${name}: InputTransformer not emulated: ${(error as Error).message} (not invoked)`);
        continue;
      }
    }
    out.push({ name, deliver: send, input });
  }
  return out;
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Fires every `periodMs` of the clock's time. On real time that is a timer per period; when the clock jumps,
 * the timer that came due fires once and catches up on every period crossed, each invocation awaited before
 * the next (and the clock's advance waits for all of them).
 */
function startSchedule(logicalId: string, periodMs: number, ruleArn: string, targets: Target[], options: EventRulesOptions): () => void {
  const { clock, log } = options;
  const maxCatchUp = options.maxCatchUp ?? 1000;
  let next = clock.now().getTime() + periodMs;
  let cancel: () => void = () => undefined;
  let stopped = false;

  const fire = async (at: number) => {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: options.template.account,
      time: eventTime(new Date(at).toISOString()),
      region: options.template.region,
      resources: [ruleArn],
      detail: {},
    };
    for (const target of targets) {
      try {
        const result = await deliver(target, event);
        log(`schedule ${logicalId} → ${target.name}: ${JSON.stringify(result)}`);
      } catch (error) {
        log(`schedule ${logicalId} → ${target.name} failed: ${error}`);
      }
    }
  };
  const catchUp = async () => {
    let fired = 0;
    while (!stopped && next <= clock.now().getTime()) {
      if (fired === maxCatchUp) {
        const skipped = Math.floor((clock.now().getTime() - next) / periodMs) + 1;
        next += skipped * periodMs;
        log(`schedule ${logicalId}: fired ${maxCatchUp} times for the time skipped, the ${skipped} later periods were not run (at most ${maxCatchUp} per advance)`);
        break;
      }
      const at = next;
      next += periodMs;
      fired++;
      await fire(at);
    }
    arm();
  };
  const arm = () => {
    if (!stopped) cancel = startTimer(clock, next - clock.now().getTime(), catchUp);
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}
