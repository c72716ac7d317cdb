/**
 * `AWS.AppConfig.FeatureFlags` documents.
 *
 * Stored (what CreateHostedConfigurationVersion and the CloudFormation resource take):
 *   {"version": "1", "flags": {"maintenance": {"name": "Maintenance", "attributes": {...}}},
 *    "values": {"maintenance": {"enabled": true, "message": "back soon", "_updatedAt": "..."}}}
 * Served (what GetLatestConfiguration returns, the "retrieval-time format" in the AppConfig guide):
 *   {"maintenance": {"enabled": true, "message": "back soon"}}
 */

export const FEATURE_FLAGS_TYPE = 'AWS.AppConfig.FeatureFlags';

export interface FeatureFlagsDocument {
  version: string;
  flags?: Record<string, { name?: string; description?: string; attributes?: Record<string, unknown>; [k: string]: unknown }>;
  values?: Record<string, { enabled?: boolean; [attribute: string]: unknown }>;
}

export type FeatureFlagsData = Record<string, { enabled: boolean; [attribute: string]: unknown }>;

const KEY = /^[a-z][a-zA-Z\d_-]{0,63}$/;

/** Throws an Error naming every problem when `content` is not a feature flags document AppConfig would accept. */
export function parseFeatureFlagsDocument(content: string): FeatureFlagsDocument {
  let doc: FeatureFlagsDocument;
  try {
    doc = JSON.parse(content);
  } catch (err) {
    throw new Error(`Feature flags content is not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('Feature flags content must be a JSON object');
  for (const key of Object.keys(doc)) if (!['version', 'flags', 'values'].includes(key)) problems.push(`unexpected top-level property "${key}"`);
  if (doc.version !== '1') problems.push(`"version" must be "1", got ${JSON.stringify(doc.version)}`);
  const flags = doc.flags ?? {};
  const values = doc.values ?? {};
  for (const name of Object.keys(flags)) if (!KEY.test(name)) problems.push(`flag key "${name}" must match ${KEY}`);
  for (const [name, value] of Object.entries(values)) {
    if (!(name in flags)) problems.push(`"values.${name}" has no definition in "flags"`);
    if (!value || typeof value !== 'object') {
      problems.push(`"values.${name}" must be an object`);
      continue;
    }
    if ('_variants' in value) problems.push(`"values.${name}" is a multi-variant flag, which the local AppConfig does not serve`);
    if (value.enabled !== undefined && typeof value.enabled !== 'boolean') problems.push(`"values.${name}.enabled" must be a boolean`);
    for (const attribute of Object.keys(value)) {
      if (attribute === 'enabled' || attribute.startsWith('_')) continue;
      const declared = flags[name]?.attributes ?? {};
      if (!(attribute in declared)) problems.push(`"values.${name}.${attribute}" is not declared in "flags.${name}.attributes"`);
    }
  }
  if (problems.length) throw new Error(`Invalid feature flags document: ${problems.join('; ')}`);
  return doc;
}

/** The served form: one entry per defined flag, `enabled` first, metadata (`_createdAt`, `_updatedAt`...) dropped. */
export function featureFlagsData(doc: FeatureFlagsDocument): FeatureFlagsData {
  const out: FeatureFlagsData = {};
  for (const name of Object.keys(doc.flags ?? {})) {
    const value = doc.values?.[name] ?? {};
    const entry: FeatureFlagsData[string] = { enabled: value.enabled === true };
    for (const [k, v] of Object.entries(value)) if (k !== 'enabled' && !k.startsWith('_')) entry[k] = v;
    out[name] = entry;
  }
  return out;
}

/** A copy of `doc` with one flag's value changed (enabled and/or attributes), stamping `_updatedAt`. */
export function withFlagValue(doc: FeatureFlagsDocument, flag: string, change: { enabled?: boolean; attributes?: Record<string, unknown> }, now: Date): FeatureFlagsDocument {
  if (!doc.flags || !(flag in doc.flags)) throw new Error(`Unknown feature flag "${flag}"; defined: ${Object.keys(doc.flags ?? {}).join(', ') || 'none'}`);
  const current = doc.values?.[flag] ?? { enabled: false };
  const next = { ...current, ...(change.attributes ?? {}), _updatedAt: now.toISOString() };
  if (change.enabled !== undefined) next.enabled = change.enabled;
  return { ...doc, values: { ...(doc.values ?? {}), [flag]: next } };
}
