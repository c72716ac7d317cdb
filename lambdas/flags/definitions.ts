/**
 * The feature flags: one list used by the CDK app (AppConfig's hosted initial values)
 * and by the flags Lambda (defaults when AppConfig cannot be read).
 */
export interface FlagDefinition {
  readonly description: string;
  readonly default: boolean;
}

export const FLAG_DEFINITIONS = {
  readOnly: {
    description: 'Maintenance mode: writes are not applied but queued to the dead-letter queue (202) for a later redrive.',
    default: false,
  },
  softDelete: {
    description: 'DELETE marks the item deleted (kept in the table, hidden from reads) instead of removing it.',
    default: false,
  },
  publishEvents: {
    description: 'Publish a change event to the EventBridge bus after every successful write.',
    default: false,
  },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAG_DEFINITIONS;
export type Flags = Record<FlagName, boolean>;

export const FLAG_NAMES = Object.keys(FLAG_DEFINITIONS) as FlagName[];

export function defaultFlags(): Flags {
  return Object.fromEntries(FLAG_NAMES.map((name) => [name, FLAG_DEFINITIONS[name].default])) as Flags;
}

/** The stored document of an `AWS.AppConfig.FeatureFlags` hosted configuration (what CDK deploys). */
export function featureFlagsDocument(values: Partial<Flags> = {}): object {
  const flags = defaultFlags();
  Object.assign(flags, values);
  return {
    version: '1',
    flags: Object.fromEntries(FLAG_NAMES.map((name) => [name, { name, description: FLAG_DEFINITIONS[name].description }])),
    values: Object.fromEntries(FLAG_NAMES.map((name) => [name, { enabled: flags[name] }])),
  };
}

/**
 * Reads the data form AppConfigData serves for a feature-flag profile
 * (`{"readOnly": {"enabled": true}, ...}`) into booleans; unknown or malformed entries keep their default.
 */
export function parseFlagsData(data: unknown): Flags {
  const flags = defaultFlags();
  if (data === null || typeof data !== 'object') return flags;
  for (const name of FLAG_NAMES) {
    const entry = (data as Record<string, unknown>)[name];
    if (entry && typeof entry === 'object' && typeof (entry as { enabled?: unknown }).enabled === 'boolean') {
      flags[name] = (entry as { enabled: boolean }).enabled;
    }
  }
  return flags;
}
