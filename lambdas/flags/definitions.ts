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
  circuitBreaker: {
    description: 'Writes are queued at once while the table is known to be failing (docs/circuit-breaker.md); its attributes are the settings.',
    default: true,
  },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAG_DEFINITIONS;
export type Flags = Record<FlagName, boolean>;

export const FLAG_NAMES = Object.keys(FLAG_DEFINITIONS) as FlagName[];

export function defaultFlags(): Flags {
  return Object.fromEntries(FLAG_NAMES.map((name) => [name, FLAG_DEFINITIONS[name].default])) as Flags;
}

/** The circuit breaker's settings: attributes of the `circuitBreaker` flag, checked by AppConfig against these constraints. */
export const CIRCUIT_ATTRIBUTES = {
  failureThreshold: { description: 'Writes that exhausted their retries within windowSeconds that open the circuit', constraints: { type: 'number', minimum: 1, maximum: 10000, required: true }, default: 5 },
  windowSeconds: { description: 'The window in which failures are counted', constraints: { type: 'number', minimum: 1, maximum: 3600, required: true }, default: 60 },
  coolDownSeconds: { description: 'How long the circuit stays open before one write probes the table', constraints: { type: 'number', minimum: 1, maximum: 3600, required: true }, default: 30 },
  maxCoolDownSeconds: { description: 'Cap of the cool-down, doubled after each failed probe', constraints: { type: 'number', minimum: 1, maximum: 86400, required: true }, default: 300 },
  force: { description: 'none, open (queue every write) or closed (ignore the circuit)', constraints: { type: 'string', enum: ['none', 'open', 'closed'], required: true }, default: 'none' },
} as const;

export type CircuitAttributes = { -readonly [K in keyof typeof CIRCUIT_ATTRIBUTES]: (typeof CIRCUIT_ATTRIBUTES)[K]['default'] extends number ? number : 'none' | 'open' | 'closed' };
/** What the state machine's LoadFlags reads under `circuit` (`enabled` is the flag itself). */
export type CircuitSettings = { enabled: boolean } & CircuitAttributes;
/** The flags Lambda's answer: every flag as a boolean, plus the circuit breaker's settings. */
export type LoadedFlags = Flags & { circuit: CircuitSettings };

export function defaultCircuitAttributes(): CircuitAttributes {
  return Object.fromEntries(Object.entries(CIRCUIT_ATTRIBUTES).map(([name, a]) => [name, a.default])) as CircuitAttributes;
}

/** The stored document of an `AWS.AppConfig.FeatureFlags` hosted configuration (what CDK deploys). */
export function featureFlagsDocument(values: Partial<Flags> = {}, circuit: Partial<CircuitAttributes> = {}): object {
  const flags = defaultFlags();
  Object.assign(flags, values);
  const attributes = { ...defaultCircuitAttributes(), ...circuit };
  const definition = (name: FlagName) =>
    name === 'circuitBreaker'
      ? { name, description: FLAG_DEFINITIONS[name].description, attributes: Object.fromEntries(Object.entries(CIRCUIT_ATTRIBUTES).map(([a, d]) => [a, { description: d.description, constraints: d.constraints }])) }
      : { name, description: FLAG_DEFINITIONS[name].description };
  return {
    version: '1',
    flags: Object.fromEntries(FLAG_NAMES.map((name) => [name, definition(name)])),
    values: Object.fromEntries(FLAG_NAMES.map((name) => [name, name === 'circuitBreaker' ? { enabled: flags[name], ...attributes } : { enabled: flags[name] }])),
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

/** The circuit breaker's settings from the served data: an attribute missing or outside its constraints keeps its default. */
export function parseCircuitSettings(data: unknown): CircuitSettings {
  const entry = data && typeof data === 'object' ? (data as Record<string, unknown>).circuitBreaker : undefined;
  const served = entry && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
  const settings: Record<string, unknown> = { enabled: typeof served.enabled === 'boolean' ? served.enabled : FLAG_DEFINITIONS.circuitBreaker.default };
  for (const [name, attribute] of Object.entries(CIRCUIT_ATTRIBUTES)) {
    const value = served[name];
    const c = attribute.constraints as { type: string; minimum?: number; maximum?: number; enum?: readonly string[] };
    const valid =
      c.type === 'number'
        ? typeof value === 'number' && Number.isFinite(value) && value >= (c.minimum ?? -Infinity) && value <= (c.maximum ?? Infinity)
        : typeof value === 'string' && (c.enum ?? [value]).includes(value);
    settings[name] = valid ? value : attribute.default;
  }
  return settings as CircuitSettings;
}

/** The served data → what the flags Lambda answers. */
export function loadFlags(data: unknown): LoadedFlags {
  return { ...parseFlagsData(data), circuit: parseCircuitSettings(data) };
}
