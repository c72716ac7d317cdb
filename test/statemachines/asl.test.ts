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

/** API Gateway's REST integration timeout (default, PITFALLS #3). */
const INTEGRATION_TIMEOUT_SECONDS = 29;
const WRITE_RESOURCE = /:dynamodb:(putItem|deleteItem|updateItem|batchWriteItem|transactWriteItems)$/i;
const TRANSIENT_ERROR = /^(DynamoD[Bb]\.(ProvisionedThroughputExceededException|ThrottlingException|RequestLimitExceeded(Exception)?|InternalServerError(Exception)?|ServiceUnavailable(Exception)?)|States\.Timeout)$/;

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
    const [name] = Object.entries<AslState>(dangling.States).find(([, s]) => typeof s.Next === 'string')!;
    dangling.States[name].Next = 'NoSuchState';
    expect(validate(dangling).isValid).toBe(false);

    const badJsonata = read(file).replace(/"\{%[^"]*%\}"/, '"{% $exists( %}"');
    expect(badJsonata).not.toBe(read(file));
    expect(validate(JSON.parse(badJsonata)).isValid).toBe(false);
  });

  describe('retry budget', () => {
    const budget = worstCase(definition);

    test(`the state machine times out before API Gateway's ${INTEGRATION_TIMEOUT_SECONDS} s integration timeout`, () => {
      expect(typeof definition.TimeoutSeconds).toBe('number');
      expect(definition.TimeoutSeconds).toBeLessThan(INTEGRATION_TIMEOUT_SECONDS);
    });

    test('the slowest path (every attempt timing out, every retry at its longest delay) fits in TimeoutSeconds', () => {
      // On failure, name the slowest path, e.g. LoadFlags → … → SendToDeadLetterQueue.
      if (budget.seconds > definition.TimeoutSeconds!) {
        throw new Error(`worst case ${budget.seconds} s > TimeoutSeconds ${definition.TimeoutSeconds}: ${budget.path.join(' → ')}`);
      }
      expect(budget.seconds).toBeLessThanOrEqual(definition.TimeoutSeconds!);
    });
  });

  describe('writes', () => {
    const writes = states.filter(([, s]) => s.Type === 'Task' && WRITE_RESOURCE.test(String(s.Resource)));
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

    test.each(writes.map(([name]) => name))('%s retries only transient errors, never ConditionalCheckFailedException', (name) => {
      const state = definition.States[name];
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried.length).toBeGreaterThan(0);
      for (const error of retried) {
        // States.ALL and States.TaskFailed would also match the condition failure.
        expect(error).toMatch(TRANSIENT_ERROR);
      }
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
        const reread = definition.States[conditional.Next];
        expect(reread).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', Arguments: { ConsistentRead: true } });
      },
    );
  });

  test('every Task has a static TimeoutSeconds shorter than the state machine timeout', () => {
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
      expect({ name, timeout: typeof state.TimeoutSeconds }).toEqual({ name, timeout: 'number' });
      expect(state.TimeoutSeconds as number).toBeLessThan(definition.TimeoutSeconds!);
    }
  });

  test('loading the flags can never fail a request: any error falls back to the defaults', () => {
    const start = definition.States[definition.StartAt];
    expect(start.Catch?.some((c) => c.ErrorEquals.includes('States.ALL'))).toBe(true);
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
