export { LocalConsole } from './router';
export type { ConsoleContext } from './router';
export { layoutDefinition } from './graph';
export type { GraphLayout, GraphNode, GraphEdge, EdgeKind } from './graph';
export { analyzeHistory } from './outcomes';
export type { HistoryAnalysis, StateRun, StateOutcome, RetryInfo } from './outcomes';
