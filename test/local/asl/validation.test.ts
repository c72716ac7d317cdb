/**
 * Definition validation: like CreateStateMachine's InvalidDefinition, every problem is reported at once.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
 */
import { compileStateMachine, DefinitionError } from '../../../local/asl';

function problems(def: object | string): string[] {
  try {
    compileStateMachine(def);
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).name).toBe('InvalidDefinition');
    return (e as DefinitionError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('validation', () => {
  test('a valid definition compiles, as JSON text or object', () => {
    const def = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
    expect(problems(def)).toEqual([]);
    expect(problems(JSON.stringify(def))).toEqual([]);
  });

  test('malformed JSON text is rejected', () => {
    expect(problems('{ nope')[0]).toMatch(/not valid JSON/);
  });

  test('all problems are listed together', () => {
    const p = problems({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'Missing' },
        B: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['X'] }], End: true },
        C: { Type: 'Pass', Parameters: { 'x.$': 'States.Bogus()' }, End: true },
      },
    });
    expect(p.join('\n')).toMatch(/Missing/);
    expect(p.join('\n')).toMatch(/States.ALL must appear in the last Retrier/);
    expect(p.join('\n')).toMatch(/Bogus/);
  });

  test('States.ALL must be alone in ErrorEquals and in the last Catcher', () => {
    const p = problems({
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Catch: [{ ErrorEquals: ['States.ALL', 'X'], Next: 'E' }, { ErrorEquals: ['Y'], Next: 'E' }], End: true },
        E: { Type: 'Succeed' },
      },
    });
    expect(p.join('\n')).toMatch(/States.ALL must appear alone/);
    expect(p.join('\n')).toMatch(/States.ALL must appear in the last Catcher/);
  });

  test('JSONPath-only fields are rejected in JSONata states, and JSONata-only fields in JSONPath states', () => {
    const p = problems({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', InputPath: '$.x', Next: 'B' },
        B: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true },
      },
    });
    expect(p.join('\n')).toMatch(/InputPath/);
    expect(p.join('\n')).toMatch(/cannot use JSONPath when the state machine QueryLanguage is JSONata/);
    const q = problems({ StartAt: 'A', States: { A: { Type: 'Pass', Output: { a: 1 }, End: true } } });
    expect(q.join('\n')).toMatch(/Output/);
  });

  test('invalid JSONata and $eval are rejected', () => {
    const p = problems({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: { A: { Type: 'Pass', Output: { a: '{% $states.input. %}', b: "{% $eval('1+1') %}" }, End: true } },
    });
    expect(p.join('\n')).toMatch(/\$eval/);
    expect(p.length).toBeGreaterThanOrEqual(2);
  });

  test('invalid variable names in Assign are rejected', () => {
    expect(problems({ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { 'bad-name': 1, states: 2 }, End: true } } }).join('\n')).toMatch(/invalid variable name 'bad-name'[\s\S]*reserved/);
  });

  test('distributed Map features (ItemReader, ResultWriter, ItemBatcher) are rejected clearly', () => {
    const p = problems({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
        },
      },
    });
    expect(p.join('\n')).toMatch(/ItemReader.*not supported/);
    expect(p.join('\n')).toMatch(/ResultWriter.*not supported/);
  });

  test('invalid JSONPath syntax is rejected', () => {
    expect(problems({ StartAt: 'A', States: { A: { Type: 'Pass', InputPath: 'no-dollar', End: true } } }).length).toBeGreaterThan(0);
  });

  test('a JSONata Output may be any JSON value (AWS accepts it; asl-validator 4 does not)', () => {
    expect(problems({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', Output: 'plain', End: true } } })).toEqual([]);
  });
});
