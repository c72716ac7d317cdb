import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../cdk/paths';
import { ofType } from '../helpers/cfn';
import { AslDefinition, AslState, successors, worstCase } from '../helpers/retry-budget';
import { fileAssetText, removeSynthesized, synthesize } from '../helpers/synth';

type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
// asl-validator ships no type declarations.
const aslValidator: AslValidator = require('asl-validator');

const DIR = path.join(ROOT, 'statemachines');
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));
const read = (file: string): string => fs.readFileSync(path.join(DIR, file), 'utf8');
/** asl-validator annotates the definition it is given; give it a copy. */
const validate = (definition: unknown) => aslValidator(JSON.parse(JSON.stringify(definition)));
const placeholders = (text: string): string[] => [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]))].sort();

/** API Gateway's REST integration timeout (default, docs/pitfalls.md #3). */
const INTEGRATION_TIMEOUT_SECONDS = 29;
const WRITE_RESOURCE = /:dynamodb:(putItem|deleteItem|updateItem|batchWriteItem|transactWriteItems)$/i;
/** Never retried: answered on their own path (a failed condition) or permanent. */
const PERMANENT_ERROR = /^DynamoD[Bb]\.(ConditionalCheckFailedException|ValidationException|ResourceNotFoundException|AccessDeniedException)$/;
/** Seconds charged per state entered in the worst case (Express transitions take milliseconds; this is generous). */
const TRANSITION_SECONDS = 0.05;
/** What the worst path must leave before TimeoutSeconds: the StartSyncExecution call itself and clock skew. */
const MARGIN_SECONDS = 1;

/**
 * The definition as seen by a first execution (replay false) or a replay (true): Choice rules on
 * `$request.replay` that cannot match are dropped, and rules after one that always matches are unreachable.
 */
function assumeReplay(definition: AslDefinition, replay: boolean): AslDefinition {
  const copy: AslDefinition = JSON.parse(JSON.stringify(definition));
  for (const state of Object.values(copy.States)) {
    if (state.Type !== 'Choice') continue;
    const rules = state.Choices as { Condition: string; Next: string }[];
    const kept: typeof rules = [];
    for (const rule of rules) {
      const always = rule.Condition === '{% $request.replay = true %}';
      const requiresReplay = always || /^\{% \$request\.replay = true and |and \$request\.replay = true %\}$/.test(rule.Condition);
      if (requiresReplay && !replay) continue;
      kept.push(rule);
      if (always && replay) {
        delete state.Default;
        break;
      }
    }
    state.Choices = kept;
    if (kept.length === 0) delete state.Choices;
  }
  return copy;
}

test('there is at least one state machine definition', () => {
  expect(FILES.length).toBeGreaterThan(0);
});

describe.each(FILES)('%s', (file) => {
  const definition: AslDefinition = JSON.parse(read(file));
  const states = Object.entries(definition.States);

  test('passes asl-validator (schema, transitions, JSONata, terminal states)', () => {
    const result = validate(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('asl-validator is not vacuous: the same definition with a dangling Next, or a broken JSONata expression, fails', () => {
    const dangling = JSON.parse(read(file));
    const [name, state] = Object.entries<AslState>(dangling.States).find(([, s]) => typeof s.Next === 'string' || s.Catch?.length)!;
    if (typeof state.Next === 'string') dangling.States[name].Next = 'NoSuchState';
    else dangling.States[name].Catch[0].Next = 'NoSuchState';
    expect(validate(dangling).isValid).toBe(false);

    const badJsonata = read(file).replace(/"\{%[^"]*%\}"/, '"{% $exists( %}"');
    expect(badJsonata).not.toBe(read(file));
    expect(validate(JSON.parse(badJsonata)).isValid).toBe(false);
  });

  test('every Task has a static TimeoutSeconds shorter than the state machine timeout, which is under API Gateway\'s 29 s', () => {
    expect(definition.TimeoutSeconds).toBeLessThanOrEqual(30);
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
      expect({ name, timeout: typeof state.TimeoutSeconds }).toEqual({ name, timeout: 'number' });
      expect(state.TimeoutSeconds as number).toBeLessThan(definition.TimeoutSeconds!);
    }
  });
});

/** The resource machine (the one API Gateway calls): its budget, writes and flags. */
describe.each(FILES.filter((f) => f === 'crud-resource.asl.json'))('%s (the CRUD machine)', (file) => {
  const definition: AslDefinition = JSON.parse(read(file));
  const states = Object.entries(definition.States);

  describe('retry budget', () => {
    // A client waits on a first execution (API Gateway's 29 s); a replay's caller is the redrive, for which a
    // timeout only means "kept, replayed later". Each is computed on the paths its mode can take.
    const budget = worstCase(assumeReplay(definition, false), { transitionSeconds: TRANSITION_SECONDS });
    const replayBudget = worstCase(assumeReplay(definition, true), { transitionSeconds: TRANSITION_SECONDS });

    test('a replay ends within TimeoutSeconds too, even when it must record its outcome late', () => {
      if (replayBudget.seconds > definition.TimeoutSeconds!) {
        throw new Error(`replay worst case ${replayBudget.seconds.toFixed(2)} s > ${definition.TimeoutSeconds} s: ${replayBudget.path.join(' → ')}`);
      }
      expect(replayBudget.path).toContain('ReadRequestRecord');
      expect(replayBudget.path).not.toContain('SendToDeadLetterQueue');
    });

    test(`the state machine times out before API Gateway's ${INTEGRATION_TIMEOUT_SECONDS} s integration timeout`, () => {
      expect(typeof definition.TimeoutSeconds).toBe('number');
      expect(definition.TimeoutSeconds).toBeLessThan(INTEGRATION_TIMEOUT_SECONDS);
    });

    test(`the slowest path (every attempt timing out, every retry at its longest delay, ${TRANSITION_SECONDS * 1000} ms per transition, a cold flags Lambda at its timeout, the SQS send and the records) ends ${MARGIN_SECONDS} s before TimeoutSeconds`, () => {
      // On failure, name the slowest path, e.g. LoadFlags → … → SendToDeadLetterQueue.
      const limit = definition.TimeoutSeconds! - MARGIN_SECONDS;
      if (budget.seconds > limit) throw new Error(`worst case ${budget.seconds.toFixed(2)} s > ${limit} s: ${budget.path.join(' → ')}`);
      expect(budget.seconds).toBeLessThanOrEqual(limit);
      // The path it found goes through a write and the queue (the budget is about writes).
      expect(budget.path).toEqual(expect.arrayContaining(['LoadFlags', 'SendToDeadLetterQueue']));
    });
  });

  describe('writes', () => {
    // Writes to the resource's own table; the request records (RequestsTableName) are best effort by design.
    const writes = states.filter(([, s]) => s.Type === 'Task' && WRITE_RESOURCE.test(String(s.Resource)) && JSON.stringify(s.Arguments).includes('${TableName}'));
    const reachable = (from: string): Set<string> => {
      const seen = new Set<string>();
      const todo = [from];
      while (todo.length) {
        const name = todo.pop()!;
        if (seen.has(name)) continue;
        seen.add(name);
        todo.push(...successors(definition.States[name]));
      }
      return seen;
    };
    const isDeadLetterSend = (name: string) => /:sqs:sendMessage$/.test(String(definition.States[name].Resource));

    test('there are write tasks to check', () => {
      expect(writes.length).toBeGreaterThan(0);
    });

    test.each(writes.map(([name]) => name))('%s catches every other error on a path to the dead-letter queue', (name) => {
      const state = definition.States[name];
      const catchAll = (state.Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(catchAll).toBeDefined();
      expect([...reachable(catchAll!.Next)].some(isDeadLetterSend)).toBe(true);
      // The catch-all comes last: a more specific catcher after it would never match.
      expect(state.Catch!.indexOf(catchAll!)).toBe(state.Catch!.length - 1);
    });

    test.each(writes.map(([name]) => name))('%s retries every task failure and timeout except the permanent ones (ConditionalCheckFailed first, never retried)', (name) => {
      const [never, transient, ...rest] = definition.States[name].Retry ?? [];
      expect(rest).toEqual([]);
      // AWS names an unmodelled DynamoDB error DynamoDB.AmazonDynamoDBException: only a wildcard retries every 5xx.
      expect(never.MaxAttempts).toBe(0);
      for (const error of never.ErrorEquals) expect(error).toMatch(PERMANENT_ERROR);
      expect(never.ErrorEquals).toEqual(expect.arrayContaining(['DynamoDB.ConditionalCheckFailedException']));
      expect(transient.ErrorEquals.sort()).toEqual(['States.TaskFailed', 'States.Timeout']);
      expect(transient).toMatchObject({ JitterStrategy: 'FULL' });
      expect(transient.MaxAttempts).toBeGreaterThan(0);
    });

    test.each(writes.filter(([, s]) => s.Arguments && JSON.stringify(s.Arguments).includes('ConditionExpression')).map(([name]) => name))(
      '%s handles a failed condition on its own path, not through the dead-letter queue',
      (name) => {
        const state = definition.States[name];
        const conditional = (state.Catch ?? []).find((c) => c.ErrorEquals.some((e) => /ConditionalCheckFailedException$/.test(e)));
        expect(conditional).toBeDefined();
        expect(isDeadLetterSend(conditional!.Next)).toBe(false);
      },
    );

    test.each(writes.filter(([, s]) => s.Arguments && JSON.stringify(s.Arguments).includes('ConditionExpression')).map(([name]) => name))(
      '%s re-reads the item (consistently) after a failed condition: an earlier attempt of this very write may have landed',
      (name) => {
        const conditional = definition.States[name].Catch!.find((c) => c.ErrorEquals.some((e) => /ConditionalCheckFailedException$/.test(e)))!;
        // A retry-budget guard may stand in between: follow its Default.
        const first = definition.States[conditional.Next];
        const reread = first.Type === 'Choice' ? definition.States[first.Default!] : first;
        expect(reread).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', Arguments: { ConsistentRead: true } });
      },
    );
  });

  test('flags never fail open: if they cannot be loaded the write is queued (FlagsUnavailable), and Lambda service errors are retried first', () => {
    const load = definition.States.LoadFlags;
    expect(load.Retry![0].ErrorEquals).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException']));
    const fallback = load.Catch!.find((c) => c.ErrorEquals.includes('States.ALL'))!;
    expect(fallback.Next).toBe('FlagsUnavailable');
    expect(definition.States.FlagsUnavailable.Next).toBe('QueueForRedrive');
    // The defaults merged under the Lambda's answer are the safe side: a missing readOnly counts as on.
    expect(JSON.stringify(load.Assign)).toContain("'readOnly': true");
  });

  test('reads never load the flags: GET routes go straight to the table', () => {
    const reachableWithoutFlags = (from: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(from) || from === 'LoadFlags') return seen;
      seen.add(from);
      for (const next of successors(definition.States[from])) reachableWithoutFlags(next, seen);
      return seen;
    };
    expect(reachableWithoutFlags('List')).not.toContain('LoadFlags');
    const get = reachableWithoutFlags('Get');
    expect(get).toContain('Done');
    expect([...get].some((n) => definition.States[n].Resource === 'arn:aws:states:::lambda:invoke')).toBe(false);
  });
});

describe('substitutions', () => {
  // GIVEN the synthesized app (Lambdas not bundled: only the state machine resources matter here)
  let machines: { id: string; substitutions: Record<string, unknown>; definition: string }[];

  beforeAll(() => {
    const s = synthesize();
    const resources = s.template.toJSON().Resources;
    machines = ofType(resources, 'AWS::StepFunctions::StateMachine').map(([id, p]) => ({
      id,
      substitutions: p.DefinitionSubstitutions ?? {},
      definition: p.DefinitionString ?? fileAssetText(s.assembly, p.DefinitionS3Location.Key),
    }));
  });
  afterAll(removeSynthesized);

  test('every state machine of the template deploys a file of statemachines/', () => {
    const texts = FILES.map(read);
    expect(machines.length).toBeGreaterThan(0);
    for (const m of machines) expect(texts).toContain(m.definition);
  });

  test('every ${Name} placeholder of each definition is given by the construct, and nothing else is', () => {
    for (const m of machines) expect({ id: m.id, names: placeholders(m.definition) }).toEqual({ id: m.id, names: Object.keys(m.substitutions).sort() });
  });

  test('every ${Name} placeholder of every file is one the construct provides', () => {
    const provided = new Set(machines.flatMap((m) => Object.keys(m.substitutions)));
    for (const file of FILES) for (const name of placeholders(read(file))) expect(provided).toContain(name);
  });

  test('with realistic values substituted the definition is still valid ASL with no ${ left', () => {
    const sample: Record<string, string> = {
      TableName: 'CrudApi-ResourceordersTable-1ABC',
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/CrudApi-DeadLetterQueue-1ABC',
      FlagsFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:CrudApi-FeatureFlagsReader-1ABC',
      EventBusName: 'CrudApiChangeEvents',
    };
    for (const m of machines) {
      let text = m.definition;
      for (const [key, value] of Object.entries(m.substitutions)) {
        text = text.split('${' + key + '}').join(typeof value === 'string' ? value : sample[key]);
      }
      expect(text).not.toContain('${');
      const result = validate(JSON.parse(text));
      expect(result.errorsText('\n')).toBe('');
    }
  });
});
