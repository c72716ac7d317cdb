/**
 * Engine throughput: `benchEngine()` from local/asl/bench.ts (a CRUD-shaped machine — LoadFlags Task → Choice →
 * Get/Put Task with Catch → Pass — in JSONPath and in JSONata, in-memory task handlers, executions run one after
 * another on one core), repeated `rounds` times; the median of the rounds is reported. Then the same measure on the
 * app's own machine (app-machine.ts), which is what an e2e request runs.
 */
import { performance } from 'node:perf_hooks';
import { benchEngine } from '../asl/bench';
import { runAppMachineBench, type AppMachineResult } from './app-machine';
import { median } from './stats';

/** aws-local-stepfunctions 3.0.0 on a JSONPath CRUD machine, measured on this machine kind (quoted, not run here). */
export const REFERENCE_AWS_LOCAL_STEPFUNCTIONS = { package: 'aws-local-stepfunctions@3.0.0', language: 'JSONPath', transitionsPerSec: 36_000 };
/** Target for each query language, transitions per second on one core. */
export const ENGINE_TARGET_TRANSITIONS_PER_SEC = 150_000;

export interface EngineLanguageResult {
  /** Median over the rounds. */
  transitionsPerSec: number;
  rounds: number[];
  /** The best round: contention from other processes only ever slows a round down. */
  best: number;
  target: number;
  meetsTarget: boolean;
  /** transitionsPerSec / the aws-local-stepfunctions reference figure. */
  vsReference: number;
}

export interface EngineResult {
  durationMsPerRound: number;
  jsonpath: EngineLanguageResult;
  jsonata: EngineLanguageResult;
  reference: typeof REFERENCE_AWS_LOCAL_STEPFUNCTIONS;
  /**
   * Process CPU time / wall time of each round (both languages): well below 1 means other processes took the core
   * (GC helper threads can push it slightly above 1).
   */
  cpuShare: number[];
  /** The app's own machine (statemachines/crud-resource.asl.json) with in-memory handlers: the engine's share of a request. */
  app: AppMachineResult;
}

export async function runEngineBench(options: { durationMs: number; rounds: number; log?: (line: string) => void }): Promise<EngineResult> {
  const jsonpath: number[] = [];
  const jsonata: number[] = [];
  const cpuShare: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await benchEngine(options.durationMs);
    const cpu = process.cpuUsage(cpu0);
    const share = Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100) / 100;
    cpuShare.push(share);
    jsonpath.push(r.jsonpathTransitionsPerSec);
    jsonata.push(r.jsonataTransitionsPerSec);
    options.log?.(`engine round ${i + 1}/${options.rounds}: JSONPath ${r.jsonpathTransitionsPerSec}/s, JSONata ${r.jsonataTransitionsPerSec}/s (CPU share ${share})`);
  }
  const summarize = (rounds: number[]): EngineLanguageResult => {
    const transitionsPerSec = Math.round(median(rounds));
    return {
      transitionsPerSec,
      rounds,
      best: Math.max(...rounds),
      target: ENGINE_TARGET_TRANSITIONS_PER_SEC,
      meetsTarget: transitionsPerSec >= ENGINE_TARGET_TRANSITIONS_PER_SEC,
      vsReference: Math.round((transitionsPerSec / REFERENCE_AWS_LOCAL_STEPFUNCTIONS.transitionsPerSec) * 100) / 100,
    };
  };
  const app = await runAppMachineBench(options);
  return {
    durationMsPerRound: options.durationMs,
    jsonpath: summarize(jsonpath),
    jsonata: summarize(jsonata),
    reference: REFERENCE_AWS_LOCAL_STEPFUNCTIONS,
    cpuShare,
    app,
  };
}
