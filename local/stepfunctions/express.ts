/**
 * What CreateStateMachine rejects for an EXPRESS machine that the engine would otherwise run: the
 * `.waitForTaskToken` and `.sync` integration patterns and Activity tasks. Messages as recorded on AWS,
 * including the doubled space before "at" in the `.waitForTaskToken` one.
 */
type Def = Record<string, unknown>;

export function expressDefinitionProblem(definition: unknown): string | undefined {
  const problem = firstProblem(definition as Def, '');
  return problem && `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${problem}'`;
}

function firstProblem(program: Def | undefined, path: string): string | undefined {
  const states = (program?.States ?? {}) as Record<string, Def>;
  for (const [name, state] of Object.entries(states)) {
    const at = `${path}/States/${name}`;
    const found = stateProblem(state, at);
    if (found) return found;
  }
  return undefined;
}

function stateProblem(state: Def, at: string): string | undefined {
  if (state?.Type === 'Task' && typeof state.Resource === 'string') {
    const resource = state.Resource;
    if (resource.endsWith('.waitForTaskToken')) return `Express state machine does not support '.waitForTaskToken' service integration  at ${at}/Resource`;
    if (/\.sync(:\d+)?$/.test(resource)) return `Express state machine does not support '.sync' service integration at ${at}/Resource`;
    if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource)) return `Express state machine does not support Activity ARN at ${at}/Resource`;
  }
  if (state?.Type === 'Parallel' && Array.isArray(state.Branches)) {
    for (const [i, branch] of (state.Branches as Def[]).entries()) {
      const found = firstProblem(branch, `${at}/Branches/${i}`);
      if (found) return found;
    }
  }
  if (state?.Type === 'Map') {
    const field = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
    return firstProblem(state[field] as Def | undefined, `${at}/${field}`);
  }
  return undefined;
}
