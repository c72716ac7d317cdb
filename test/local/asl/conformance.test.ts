/**
 * Conformance as data: every fixtures/*.json file holds cases
 *   { name, doc?, definition, input?, handlers?, expected: { status, output?, error?, cause?, causeContains?, events? } }
 * run by this one runner. `doc` cites the AWS page the expectation comes from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { output, run, types, type HandlerSpec } from './harness';

interface Case {
  name: string;
  doc?: string;
  definition: object;
  input?: unknown;
  handlers?: Record<string, HandlerSpec>;
  expected: {
    status: string;
    output?: unknown;
    error?: string;
    cause?: string;
    causeContains?: string;
    events?: string[];
    eventChain?: [number, number][];
  };
}

const dir = join(__dirname, 'fixtures');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const cases = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case[];
  describe(file.replace(/\.json$/, ''), () => {
    for (const c of cases) {
      test(c.doc ? `${c.name} (${c.doc})` : c.name, async () => {
        const r = await run(c.definition, c.input ?? {}, { handlers: c.handlers });
        const e = c.expected;
        expect({ status: r.status, error: r.error, cause: 'causeContains' in e ? undefined : r.cause }).toEqual({
          status: e.status,
          error: e.error,
          cause: 'causeContains' in e ? undefined : e.cause,
        });
        if ('causeContains' in e) expect(r.cause).toContain(e.causeContains);
        if ('output' in e) expect(output(r)).toEqual(e.output);
        if (e.events) expect(types(r.events)).toEqual(e.events);
        if (e.eventChain) expect(r.events.map((x) => [x.id, x.previousEventId])).toEqual(e.eventChain);
      });
    }
  });
}
