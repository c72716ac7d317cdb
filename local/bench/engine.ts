/**
 * Engine throughput: `benchEngine()` from local/asl/bench.ts (a CRUD-shaped machine — LoadFlags Task → Choice →
 * Get/Put Task with Catch → Pass — in JSONPath and in JSONata, in-memory task handlers, executions run one after
 * another on one core), repeated `rounds` times; the median of the rounds is reported.
 */
import { benchEngine } from '../asl/bench';
import { median } from './stats';

/** aws-local-stepfunctions 3.0.0 on a JSONPath CRUD machine, measured on this machine kind (quoted, not run here). */
export const REFERENCE_AWS_LOCAL_STEPFUNCTIONS = { package: 'aws-local-stepfunctions@3.0.0', language: 'JSONPath', transitionsPerSec: 36_000 };
/** Target for each query language, transitions per second on one core. */
export const ENGINE_TARGET_TRANSITIONS_PER_SEC = 150_000;

export interface EngineLanguageResult {
  /** Median over the rounds. */
  transitionsPerSec: number;
  rounds: number[];
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
}

export async function runEngineBench(options: { durationMs: number; rounds: number; log?: (line: string) => void }): Promise<EngineResult> {
  const jsonpath: number[] = [];
  const jsonata: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const r = await benchEngine(options.durationMs);
    jsonpath.push(r.jsonpathTransitionsPerSec);
    jsonata.push(r.jsonataTransitionsPerSec);
    options.log?.(`engine round ${i + 1}/${options.rounds}: JSONPath ${r.jsonpathTransitionsPerSec}/s, JSONata ${r.jsonataTransitionsPerSec}/s`);
  }
  const summarize = (rounds: number[]): EngineLanguageResult => {
    const transitionsPerSec = Math.round(median(rounds));
    return {
      transitionsPerSec,
      rounds,
      target: ENGINE_TARGET_TRANSITIONS_PER_SEC,
      meetsTarget: transitionsPerSec >= ENGINE_TARGET_TRANSITIONS_PER_SEC,
      vsReference: Math.round((transitionsPerSec / REFERENCE_AWS_LOCAL_STEPFUNCTIONS.transitionsPerSec) * 100) / 100,
    };
  };
  return {
    durationMsPerRound: options.durationMs,
    jsonpath: summarize(jsonpath),
    jsonata: summarize(jsonata),
    reference: REFERENCE_AWS_LOCAL_STEPFUNCTIONS,
  };
}
