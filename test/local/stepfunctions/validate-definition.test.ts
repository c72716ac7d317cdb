/**
 * ValidateStateMachineDefinition on the local endpoint, through @aws-sdk/client-sfn.
 *
 * Sources:
 * - API reference, ValidateStateMachineDefinition and ValidateStateMachineDefinitionDiagnostic (the lists of
 *   ERROR and WARNING codes; "Do not rely on the exact order, count, or wording of diagnostic messages"):
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html
 * - answers recorded against AWS on 19 Oct 2025 in LocalStack's
 *   tests/aws/services/stepfunctions/v2/test_sfn_api_validation.snapshot.json (the cases marked "recorded");
 * - CreateStateMachine's wording of transition problems ("MISSING_TRANSITION_TARGET: Missing 'Next' target: X at
 *   /States/A/Next", "State "X" is not reachable."), and "a name ... must be unique within the scope of the entire
 *   state machine" (developer guide, workflow-states).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidateStateMachineDefinitionCommand, type ValidateStateMachineDefinitionInput } from '@aws-sdk/client-sfn';
import { TestCloud, rejection, startCloud } from './helpers';

const json = (v: unknown) => JSON.stringify(v);
const PASS = { StartAt: 'Pass', States: { Pass: { Type: 'Pass', End: true } } };

describe('ValidateStateMachineDefinition (SDK v3 against the local endpoint)', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(() => cloud.stop());

  const validate = async (input: Omit<ValidateStateMachineDefinitionInput, 'definition'> & { definition: unknown }) => {
    const { $metadata: _m, ...out } = await cloud.sfn.send(
      new ValidateStateMachineDefinitionCommand({ ...input, definition: typeof input.definition === 'string' ? input.definition : json(input.definition) }),
    );
    return out;
  };

  describe('recorded answers', () => {
    it('a valid definition is OK with no diagnostics, for STANDARD and EXPRESS', async () => {
      for (const type of ['STANDARD', 'EXPRESS'] as const) {
        expect(await validate({ definition: PASS, type })).toEqual({ result: 'OK', diagnostics: [], truncated: false });
      }
      expect(await validate({ definition: { QueryLanguage: 'JSONata', ...PASS } })).toEqual({ result: 'OK', diagnostics: [], truncated: false });
    });

    it('not a JSON object, not JSON, no States and StartAt', async () => {
      expect(await validate({ definition: ' ' })).toEqual({
        result: 'FAIL',
        diagnostics: [{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message: 'Definition must be a valid JSON object' }],
        truncated: false,
      });
      const notJson = await validate({ definition: 'not a definition' });
      expect(notJson.result).toBe('FAIL');
      expect(notJson.diagnostics).toEqual([
        {
          severity: 'ERROR',
          code: 'INVALID_JSON_DESCRIPTION',
          location: '[Source: (String)"not a definition"; line: 1, column: 4]',
          // AWS's text is Jackson's ("Unrecognized token 'not': was expecting ..."); ours is Node's parser's.
          message: expect.stringMatching(/\n at \[Source: \(String\)"not a definition"; line: 1, column: 4\]$/),
        },
      ]);
      expect((await validate({ definition: {} })).diagnostics).toEqual([{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', location: '/', message: 'These fields are required: [States, StartAt]' }]);
      expect((await validate({ definition: { States: PASS.States } })).diagnostics).toEqual([{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', location: '/', message: 'These fields are required: [StartAt]' }]);
    });

    it('a JSONPath state in a JSONata machine', async () => {
      const definition = { QueryLanguage: 'JSONata', StartAt: 'Pass', States: { Pass: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } } };
      expect(await validate({ definition })).toEqual({
        result: 'FAIL',
        diagnostics: [{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', location: '/States/Pass', message: "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine" }],
        truncated: false,
      });
    });

    it('.waitForTaskToken in an EXPRESS machine (fine for STANDARD)', async () => {
      const definition = {
        StartAt: 'SendMessageWithWait',
        States: { SendMessageWithWait: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { QueueUrl: 'q', MessageBody: { 'Token.$': '$$.Task.Token' } }, End: true } },
      };
      expect((await validate({ definition })).result).toBe('OK');
      expect(await validate({ definition, type: 'EXPRESS' })).toEqual({
        result: 'FAIL',
        diagnostics: [{ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', location: '/States/SendMessageWithWait/Resource', message: "Express state machine does not support '.waitForTaskToken' service integration " }],
        truncated: false,
      });
    });
  });

  describe('codes and locations', () => {
    it('MISSING_TRANSITION_TARGET for a missing target and an unreachable state, at their locations', async () => {
      const definition = {
        StartAt: 'A',
        States: {
          A: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Nowhere' }], Default: 'B' },
          B: { Type: 'Pass', Next: 'Missing' },
          C: { Type: 'Succeed' },
        },
      };
      const out = await validate({ definition });
      expect(out.result).toBe('FAIL');
      expect(out.diagnostics).toEqual(
        expect.arrayContaining([
          { severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET', message: "Missing 'Next' target: Nowhere", location: '/States/A/Choices/0/Next' },
          { severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET', message: "Missing 'Next' target: Missing", location: '/States/B/Next' },
          { severity: 'ERROR', code: 'MISSING_TRANSITION_TARGET', message: 'State "C" is not reachable.', location: '/States/C' },
        ]),
      );
    });

    it('DUPLICATE_STATE_NAME across a Parallel branch, MISSING_END_STATE, INVALID_RESOURCE', async () => {
      const duplicate = { StartAt: 'A', States: { A: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }], End: true } } };
      expect((await validate({ definition: duplicate })).diagnostics).toContainEqual({ severity: 'ERROR', code: 'DUPLICATE_STATE_NAME', message: 'Duplicate State name: A', location: '/States/A/Branches/0/States/A' });

      const loop = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } };
      expect((await validate({ definition: loop })).diagnostics).toContainEqual(expect.objectContaining({ code: 'MISSING_END_STATE', location: '/' }));

      const resource = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'not-an-arn', End: true } } };
      expect((await validate({ definition: resource })).diagnostics).toEqual([expect.objectContaining({ severity: 'ERROR', code: 'INVALID_RESOURCE', location: '/States/T/Resource' })]);
    });

    it("other schema problems are SCHEMA_VALIDATION_FAILED where the engine's validation finds them", async () => {
      const out = await validate({ definition: { StartAt: 'P', States: { P: { Type: 'Pass', InputPath: 'not a path', End: true } } } });
      expect(out.result).toBe('FAIL');
      expect(out.diagnostics).toContainEqual(expect.objectContaining({ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', location: '/States/P/InputPath' }));
    });

    it("accepts what AWS accepts though the local engine cannot run it (an Activity task)", async () => {
      const definition = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:us-east-1:123456789012:activity:work', End: true } } };
      expect(await validate({ definition })).toEqual({ result: 'OK', diagnostics: [], truncated: false });
    });
  });

  describe('severity and maxResults', () => {
    const warned = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Parameters: { 'id.$': '$.id', name: '$.name' }, Next: 'B' },
        B: { Type: 'Choice', Choices: [{ Variable: '$.a', StringEquals: '$.b', Next: 'C' }], Default: 'C' },
        C: { Type: 'Pass', Result: { 'x.$': '$.y' }, End: true },
      },
    };

    it('WARNING returns NO_DOLLAR, NO_PATH and PASS_RESULT_IS_STATIC; ERROR (the default) leaves them out; both are OK', async () => {
      expect(await validate({ definition: warned })).toEqual({ result: 'OK', diagnostics: [], truncated: false });
      const out = await validate({ definition: warned, severity: 'WARNING' });
      expect(out.result).toBe('OK');
      expect(out.diagnostics!.map((d) => [d.severity, d.code, d.location])).toEqual([
        ['WARNING', 'NO_DOLLAR', '/States/A/Parameters/name'],
        ['WARNING', 'NO_PATH', '/States/B/Choices/0/StringEquals'],
        ['WARNING', 'PASS_RESULT_IS_STATIC', '/States/C/Result'],
      ]);
    });

    it('maxResults truncates (0 means the default of 100); over 100 is a ValidationException', async () => {
      const out = await validate({ definition: warned, severity: 'WARNING', maxResults: 2 });
      expect(out.diagnostics).toHaveLength(2);
      expect(out.truncated).toBe(true);
      expect((await validate({ definition: warned, severity: 'WARNING', maxResults: 0 })).truncated).toBe(false);
      const err = await rejection(validate({ definition: warned, maxResults: 101 }), 'ValidationException');
      expect(err.message).toBe("1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100");
      await rejection(validate({ definition: warned, severity: 'INFO' as never }), 'ValidationException');
    });
  });

  it("the app's state machine definitions are OK", async () => {
    const dir = path.join(__dirname, '../../../statemachines');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.asl.json'))) {
      const definition = fs.readFileSync(path.join(dir, file), 'utf8');
      expect(await validate({ definition, type: 'EXPRESS' })).toEqual({ result: 'OK', diagnostics: [], truncated: false });
    }
  });
});
