/**
 * Smoke test of `npm run bench`: `--quick` runs every part (engine, e2e through the local API and the bare handler)
 * for a fraction of a second, in a child process as `npm run bench` would, and writes a complete JSON result.
 * Figures are not asserted (a loaded CI machine says nothing about them), only that everything ran without errors.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { BenchResults } from '../../../local/bench';
import { parseOptions } from '../../../local/bench';
import { median, percentileSorted, table } from '../../../local/bench/stats';

const ROOT = path.resolve(__dirname, '../../..');

describe('bench helpers', () => {
  test('median and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(sorted, 50)).toBe(50);
    expect(percentileSorted(sorted, 99)).toBe(99);
    expect(percentileSorted([7], 99)).toBe(7);
  });

  test('table aligns columns', () => {
    const out = table([['a', 'n'], ['x', 1234], ['yy', 5]]).split('\n');
    expect(out).toEqual(['a       n', '--  -----', 'x   1,234', 'yy      5']);
  });

  test('options', () => {
    const quick = parseOptions(['--quick']);
    expect(quick).toMatchObject({ quick: true, engineRounds: 1, rounds: 1, concurrency: 8, scenarios: ['GET', 'POST'], systems: ['local', 'bare'] });
    const custom = parseOptions(['--only', 'e2e', '--duration', '2', '--concurrency', '16', '--scenario', 'post']);
    expect(custom).toMatchObject({ only: 'e2e', e2eDurationMs: 2000, engineDurationMs: 2000, concurrency: 16, scenarios: ['POST'] });
    expect(() => parseOptions(['--only', 'nope'])).toThrow(/--only/);
    expect(() => parseOptions(['--concurrency', '0'])).toThrow(/--concurrency/);
  });
});

describe('npm run bench -- --quick', () => {
  test('runs the engine and the end-to-end parts and writes the JSON result', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    try {
      const out = path.join(dir, 'results.json');
      const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
      const { stdout } = await promisify(execFile)(tsx, ['local/bench/index.ts', '--quick', '--out', out], { cwd: ROOT, timeout: 170_000, maxBuffer: 16 << 20 });
      expect(stdout).toContain('transitions/s');
      expect(stdout).toContain('local/bare req/s');
      const results = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchResults;
      expect(results.engine!.jsonpath.transitionsPerSec).toBeGreaterThan(0);
      expect(results.engine!.jsonata.transitionsPerSec).toBeGreaterThan(0);
      expect(results.engine!.app.GET.executionsPerSec).toBeGreaterThan(0);
      expect(results.engine!.app.POST.executionsPerSec).toBeGreaterThan(0);
      expect(results.e2e!.scenarios.map((s) => s.scenario)).toEqual(['GET', 'POST']);
      for (const s of results.e2e!.scenarios) {
        for (const system of [s.local!, s.bare!]) {
          expect(system.errors).toBe(0);
          expect(system.requestsPerSec).toBeGreaterThan(0);
        }
        expect(s.ratio).toBeGreaterThan(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
