/**
 * What the redrive Lambda logged during the run (every start of the cloud appends to cloud.log): one JSON
 * line per replayed message (`{resource, messageId, requestId, receiveCount, outcome, ...}`), scheduled
 * runs included, which the run cannot see otherwise.
 */
import * as fs from 'node:fs';

export interface RedriveLog {
  /** Replays by outcome: applied, rejected, kept, poison. */
  outcomes: Record<string, number>;
  /** The highest ApproximateReceiveCount a replayed message had (an outage makes it grow every run). */
  maxReceiveCount: number;
  /** Messages kept with a receive count above 5 (poison under a "5 receives" rule: docs/pitfalls.md #14). */
  keptAfterFiveReceives: number;
  /** Summary lines (one per resource and run). */
  runs: number;
  /** Runs that stopped with an error. */
  failedRuns: number;
}

export function readRedriveLog(file: string): RedriveLog {
  const out: RedriveLog = { outcomes: {}, maxReceiveCount: 0, keptAfterFiveReceives: 0, runs: 0, failedRuns: 0 };
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: any;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.summary === true && typeof entry.Resource === 'string') {
      out.runs++;
      if (entry.stoppedBecause === 'error') out.failedRuns++;
      continue;
    }
    if (typeof entry.outcome !== 'string' || typeof entry.messageId !== 'string') continue;
    out.outcomes[entry.outcome] = (out.outcomes[entry.outcome] ?? 0) + 1;
    const count = Number(entry.receiveCount ?? 0);
    if (count > out.maxReceiveCount) out.maxReceiveCount = count;
    if (entry.outcome === 'kept' && count > 5) out.keptAfterFiveReceives++;
  }
  return out;
}
