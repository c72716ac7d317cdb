/**
 * State machine tags: given to CreateStateMachine as `tags: [{key, value}]` (the API) or by the template as
 * `Tags: [{Key, Value}]` (AWS::StepFunctions::StateMachine), answered by ListTagsForResource as `{tags: [{key, value}]}`.
 * Limits from the API reference (Tag): key 1 to 128 characters, value 0 to 256, at most 50 tags.
 */
import { fail, validationError } from './validate';

export interface Tag {
  key: string;
  value: string;
}

/** The tags of a CreateStateMachine request or a template resource, checked; the last value of a repeated key wins. */
export function normalizeTags(input: unknown): Tag[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) validationError('tags', input, 'Member must be a list of tags');
  const byKey = new Map<string, string>();
  for (const raw of input as Record<string, unknown>[]) {
    const key = raw?.key ?? raw?.Key;
    const value = raw?.value ?? raw?.Value ?? '';
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) validationError('tags.member.key', key, 'Member must have length between 1 and 128');
    if (typeof value !== 'string' || value.length > 256) validationError('tags.member.value', value, 'Member must have length less than or equal to 256');
    byKey.set(key, value);
  }
  if (byKey.size > 50) fail('TooManyTags', `Too many tags: ${byKey.size} (at most 50)`);
  return [...byKey].map(([key, value]) => ({ key, value }));
}
