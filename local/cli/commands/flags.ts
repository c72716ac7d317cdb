/** `flags get [name]` and `flags set <name>=<true|false>`: the deployed feature flags, and a change deployed at once. */
import { FLAG_DEFINITIONS, FLAG_NAMES } from '../../../lambdas/flags/definitions';
import { CommandContext } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

export function unknownFlag(name: string): UsageError {
  return new UsageError(`Unknown flag "${name}"; known flags: ${FLAG_NAMES.join(', ')}`);
}

/** "readOnly=true" → { flag, enabled }; usage errors for anything else. */
export function parseAssignment(text: string): { flag: string; enabled: boolean } {
  const m = /^([^=\s]+)=(.*)$/.exec(text.trim());
  if (!m) throw new UsageError(`Expected <name>=<true|false>, got "${text}" (e.g. flags set readOnly=true)`);
  const [, flag, value] = m;
  if (!(FLAG_NAMES as string[]).includes(flag)) throw unknownFlag(flag);
  if (value !== 'true' && value !== 'false') throw new UsageError(`The value of ${flag} must be true or false, got "${value}"`);
  return { flag, enabled: value === 'true' };
}

export async function flagsGet(ctx: CommandContext, name: string | undefined): Promise<number> {
  if (name !== undefined && !(FLAG_NAMES as string[]).includes(name)) throw unknownFlag(name);
  const state = await ctx.target.getFlags();
  if (name !== undefined) {
    if (ctx.json) ctx.printJson({ flag: name, enabled: state.values[name], source: state.source });
    else ctx.out(`${name}=${state.values[name]}`);
    return 0;
  }
  if (ctx.json) {
    ctx.printJson({ flags: state.values, source: state.source });
    return 0;
  }
  const rows = Object.entries(state.values).map(([flag, enabled]) => {
    const definition = (FLAG_DEFINITIONS as Record<string, { description: string; default: boolean }>)[flag];
    return [flag, enabled ? 'on' : 'off', definition ? (definition.default ? 'on' : 'off') : '', definition?.description ?? '(not defined in lambdas/flags/definitions.ts)'];
  });
  ctx.out(table(['FLAG', 'VALUE', 'DEFAULT', 'EFFECT'], rows));
  ctx.note(`(${state.source})`);
  return 0;
}

export async function flagsSet(ctx: CommandContext, assignment: string): Promise<number> {
  const { flag, enabled } = parseAssignment(assignment);
  const change = await ctx.target.setFlag(flag, enabled);
  if (ctx.json) {
    ctx.printJson(change);
    return 0;
  }
  const was = change.previous === undefined ? '' : change.previous === enabled ? ` (it already was ${enabled})` : ` (was ${change.previous})`;
  ctx.out(`${flag}=${enabled}${was}: configuration version ${change.versionNumber ?? '?'} deployed (deployment ${change.deploymentNumber ?? '?'}${change.state ? `, ${change.state}` : ''}).`);
  ctx.out('The flags Lambda picks it up at its next poll: within 15 s of the deployment.');
  return 0;
}
