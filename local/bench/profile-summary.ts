/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): where the time of one thread went, by module and by function.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof -r tsx/cjs local/bench/index.ts --only e2e --system local --scenario get
 *   npx tsx local/bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--top 25] [--requests <n>]
 *
 * `npm run bench -- --profile <dir>` profiles each measured window itself and writes this summary next to each profile.
 *
 * "self" is time spent in the function's own code; "total" also counts what it called (each sample counted once per
 * function or module even under recursion). Modules are a package under node_modules, a folder of this repository
 * (local/asl, local/apigateway/vtl...), node's internals, or V8's pseudo-frames ((garbage collector), (idle)...).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { table } from './stats';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Ms without (idle) and (program): the thread's busy time. */
  busyMs: number;
  modules: { module: string; selfMs: number; totalMs: number }[];
  /**
   * Each sample charged to the nearest frame (the leaf or a caller) that is not node's internals or a native function:
   * e.g. JSON.parse called by dynalite counts for dynalite. Socket writes (writev) are kept apart: on a busy machine
   * they include the time the thread waited for the CPU after waking the client.
   */
  attributed: { module: string; ms: number }[];
  functions: { function: string; module: string; selfMs: number; totalMs: number }[];
}

const ROOT = path.resolve(__dirname, '..', '..');

export function moduleOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  let file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith(ROOT + '/')) file = file.slice(ROOT.length + 1);
  const dirs = path.dirname(file).split('/');
  // local/<part>[/<sub>] gives enough detail (local/apigateway/vtl, local/asl/states); elsewhere the first two levels.
  return dirs.slice(0, dirs[0] === 'local' ? 3 : 2).join('/');
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // tsx's transpiled code does not keep line numbers, so TypeScript functions are named by file only.
  const fnKey = (f: CallFrame) => {
    const file = f.url ? shortUrl(f.url) : '';
    const where = !file ? '' : /\.[cm]?ts$/.test(file) ? file : `${file}:${f.lineNumber + 1}`;
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const modSelf = new Map<string, number>();
  const modTotal = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  const fnModule = new Map<string, string>();
  const attributed = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const leaf = byId.get(profile.samples[i]);
    if (!leaf) continue;
    const leafMod = moduleOf(leaf.callFrame);
    if (leafMod === '(idle)' || leafMod === '(program)') idleUs += dt;
    add(modSelf, leafMod, dt);
    const leafFn = fnKey(leaf.callFrame);
    add(fnSelf, leafFn, dt);
    fnModule.set(leafFn, leafMod);
    let owner: string | undefined = leaf.callFrame.functionName === 'writev' ? '(socket writes: writev)' : undefined;
    for (let id: number | undefined = leaf.id; owner === undefined && id !== undefined; id = parent.get(id)) {
      const m = moduleOf(byId.get(id)!.callFrame);
      if (m !== 'node:internal' && m !== '(native)' && m !== '(root)') owner = m;
    }
    add(attributed, owner ?? 'node:internal', dt);
    const seenMods = new Set<string>();
    const seenFns = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') continue;
      const m = moduleOf(frame);
      const f = fnKey(frame);
      if (!seenMods.has(m)) (seenMods.add(m), add(modTotal, m, dt));
      if (!seenFns.has(f)) (seenFns.add(f), add(fnTotal, f, dt), fnModule.set(f, m));
    }
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(totalUs),
    busyMs: ms(totalUs - idleUs),
    modules: [...modSelf.keys(), ...[...modTotal.keys()].filter((k) => !modSelf.has(k))]
      .map((module) => ({ module, selfMs: ms(modSelf.get(module) ?? 0), totalMs: ms(modTotal.get(module) ?? 0) }))
      .sort((a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs),
    attributed: [...attributed].map(([module, us]) => ({ module, ms: ms(us) })).sort((a, b) => b.ms - a.ms),
    functions: [...fnTotal.keys()]
      .map((fn) => ({ function: fn, module: fnModule.get(fn) ?? '', selfMs: ms(fnSelf.get(fn) ?? 0), totalMs: ms(fnTotal.get(fn) ?? 0) }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

function shortUrl(url: string): string {
  let file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + '/node_modules/'.length);
  if (file.startsWith(ROOT + '/')) file = file.slice(ROOT.length + 1);
  return file;
}

/** `requests`: how many requests the profiled window served, to show the cost per request. */
export function formatProfileSummary(s: ProfileSummary, top = 25, requests?: number): string {
  const pct = (v: number) => `${((v / s.busyMs) * 100).toFixed(1)}%`;
  const perRequest = (v: number) => (requests ? Math.round((v * 1000) / requests) : NaN);
  const modules = s.modules.filter((m) => m.module !== '(idle)' && m.module !== '(program)').slice(0, top);
  const bySelf = s.functions.filter((f) => f.module !== '(idle)' && f.module !== '(program)').slice(0, top);
  const byTotal = [...s.functions]
    .filter((f) => !f.module.startsWith('('))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, top);
  return [
    `profile: ${s.totalMs} ms sampled, ${s.busyMs} ms busy (percentages are of busy time)` +
      (requests ? `; ${requests} requests, ${perRequest(s.busyMs)} µs busy per request` : ''),
    '',
    'busy time charged to the nearest non-node, non-native frame',
    table([
      ['module', 'ms', 'share', ...(requests ? ['µs/request'] : [])],
      ...s.attributed
        .filter((m) => m.module !== '(idle)' && m.module !== '(program)')
        .slice(0, top)
        .map((m) => [m.module, m.ms, pct(m.ms), ...(requests ? [perRequest(m.ms)] : [])]),
    ]),
    '',
    'modules by self time',
    table([['module', 'self ms', 'self', 'total ms', 'total'], ...modules.map((m) => [m.module, m.selfMs, pct(m.selfMs), m.totalMs, pct(m.totalMs)])]),
    '',
    'functions by self time',
    table([['function', 'module', 'self ms', 'self'], ...bySelf.map((f) => [f.function, f.module, f.selfMs, pct(f.selfMs)])]),
    '',
    'functions by total time',
    table([['function', 'module', 'total ms', 'total'], ...byTotal.map((f) => [f.function, f.module, f.totalMs, pct(f.totalMs)])]),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  const requestsAt = args.indexOf('--requests');
  const requests = requestsAt >= 0 ? Number(args.splice(requestsAt, 2)[1]) : undefined;
  if (args.length !== 1) {
    console.error('usage: npx tsx local/bench/profile-summary.ts <file.cpuprofile> [--top N] [--requests N]');
    process.exit(2);
  }
  const profile = JSON.parse(fs.readFileSync(args[0], 'utf8')) as CpuProfile;
  console.log(formatProfileSummary(summarizeProfile(profile), top, requests));
}
