/**
 * ASL → a laid-out graph for the console: one node per state (Parallel and Map drawn as a box holding
 * their branches), one edge per transition (Next, Choice rules, Default, Catch), positions computed by
 * dagre here in Node so that the page only draws SVG.
 *
 * The flow runs left to right: the app's machines are wide (Choices fanning out to ~20 outcomes that
 * converge on two Succeed states), which fits a screen better sideways. A Parallel's branches are
 * stacked inside its box, each flowing left to right.
 *
 * Converging states ("hubs", entered from 4 states or more, e.g. RespondProblem) would pull every state
 * that leads to them into one tall column at the far end, with long edges from the Choices that produce
 * them crossing the whole drawing. So edges into a hub weigh little, and edges into a "leaf" (a state
 * whose only transition leads to a hub, e.g. the Pass states that build a problem response) weigh a lot:
 * each problem response sits next to the Choice or Catch that produces it, and the edges to the hub run
 * side by side to the end.
 *
 * Coordinates are pixels: a node's (x, y) is its top-left corner; an edge is a polyline of points.
 * Start/End markers and their edges are kept apart (`terminals`, `terminalEdges`) so that `nodes` and
 * `edges` are exactly the definition's states and transitions.
 */
import type * as Dagre from '@dagrejs/dagre' with { 'resolution-mode': 'import' };

// @dagrejs/dagre is an ES module package with a CommonJS build: required, typed from its declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dagre = require('@dagrejs/dagre') as typeof Dagre;

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'branch';

export interface Point {
  x: number;
  y: number;
}

export interface GraphNode {
  /** Unique in the graph: the state name (suffixed `~2`, `~3`… should a nested state reuse a name). */
  id: string;
  /** The state's name, as history events name it. */
  state: string;
  /** Task, Choice, Pass, Parallel, Map, Wait, Succeed, Fail. */
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The Parallel/Map node holding this state. */
  parent?: string;
  /** A Parallel/Map drawn as a box around its branches. */
  container?: boolean;
  start?: boolean;
  /** Ends its branch (End: true, Succeed, Fail). */
  end?: boolean;
  /** What a Task calls, shortened (e.g. "dynamodb:putItem"). */
  resource?: string;
  retry?: boolean;
  catch?: boolean;
  comment?: string;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  /** Choice: the rule's condition (or variable test); Catch: the errors it catches. */
  label?: string;
  points: Point[];
}

export interface Terminal {
  id: 'start' | 'end';
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  terminals: Terminal[];
  terminalEdges: { from: string; to: string; points: Point[] }[];
}

interface AslProgram {
  StartAt: string;
  States: Record<string, AslState>;
}

export type AslState = Record<string, any> & { Type: string };

/** A laid-out program (the machine or one branch), coordinates relative to its own top-left corner. */
interface Block {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  terminals: Terminal[];
  terminalEdges: GraphLayout['terminalEdges'];
}

const NODE_HEIGHT = 48;
const NODE_MIN_WIDTH = 120;
const NODE_MAX_WIDTH = 280;
/** Per character of a state's name (13 px semibold) and of the line under it (11.5 px monospace). */
const CHAR_WIDTH = 7.9;
const SUB_CHAR_WIDTH = 7;
const TERMINAL_SIZE = 20;
const BOX_HEADER = 34;
const BOX_PADDING = 16;
const BRANCH_GAP = 20;
const RANK = { rankdir: 'LR', nodesep: 28, ranksep: 64, edgesep: 12, marginx: 20, marginy: 20 } as const;
/** Entered from this many states or more: a converging state (see the file's comment). */
const HUB_IN_DEGREE = 4;
const WEIGHT = { leaf: 8, normal: 2, hub: 1, catch: 1 } as const;

/** Lays out a state machine definition (ASL JSON text or object). Throws on a definition without States. */
export function layoutDefinition(definition: string | AslProgram): GraphLayout {
  const program = typeof definition === 'string' ? (JSON.parse(definition) as AslProgram) : definition;
  if (!program || typeof program.States !== 'object' || typeof program.StartAt !== 'string') throw new Error('Not a state machine definition: StartAt and States are required');
  const ids = new Map<string, number>();
  const block = layoutProgram(program, { ids, top: true });
  return {
    width: Math.ceil(block.width),
    height: Math.ceil(block.height),
    nodes: block.nodes,
    edges: block.edges,
    terminals: block.terminals,
    terminalEdges: block.terminalEdges,
  };
}

/** Every state of a definition by name, nested ones (Parallel branches, Map processors) included. */
export function statesByName(definition: AslProgram): Map<string, AslState> {
  const found = new Map<string, AslState>();
  const walk = (program: AslProgram | undefined) => {
    for (const [name, state] of Object.entries(program?.States ?? {})) {
      if (!found.has(name)) found.set(name, state);
      for (const branch of state.Branches ?? []) walk(branch);
      walk(state.ItemProcessor ?? state.Iterator);
    }
  };
  walk(definition);
  return found;
}

function layoutProgram(program: AslProgram, context: { ids: Map<string, number>; top: boolean }): Block {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ ...RANK });
  g.setDefaultEdgeLabel(() => ({}));

  const names = Object.keys(program.States);
  const idOf = new Map<string, string>();
  for (const name of names) idOf.set(name, uniqueId(context.ids, name));

  const inner = new Map<string, Block[]>();
  for (const name of names) {
    const state = program.States[name];
    const children = childPrograms(state);
    if (children.length) {
      const blocks = children.map((child) => layoutProgram(child, { ids: context.ids, top: false }));
      inner.set(name, blocks);
      const width = Math.max(...blocks.map((b) => b.width)) + 2 * BOX_PADDING;
      const height = BOX_HEADER + blocks.reduce((sum, b) => sum + b.height, 0) + BRANCH_GAP * (blocks.length - 1) + BOX_PADDING;
      g.setNode(idOf.get(name)!, { width: Math.max(width, nodeWidth(name, state)), height });
    } else {
      g.setNode(idOf.get(name)!, { width: nodeWidth(name, state), height: NODE_HEIGHT });
    }
  }

  const edges: Omit<GraphEdge, 'points'>[] = [];
  const weightOf = edgeWeights(program);
  const add = (from: string, to: unknown, kind: EdgeKind, label?: string) => {
    if (typeof to !== 'string' || !idOf.has(to)) return; // invalid definitions are drawn as far as they go
    const edge = { id: `${idOf.get(from)}→${idOf.get(to)}:${kind}:${edges.length}`, from: idOf.get(from)!, to: idOf.get(to)!, kind, ...(label ? { label } : {}) };
    edges.push(edge);
    g.setEdge(edge.from, edge.to, { weight: weightOf(to, kind), minlen: 1 }, edge.id);
  };
  for (const name of names) {
    const state = program.States[name];
    add(name, state.Next, 'next');
    (state.Choices ?? []).forEach((choice: Record<string, unknown>, i: number) => add(name, choice.Next, 'choice', choiceLabel(choice, i)));
    add(name, state.Default, 'default');
    for (const catcher of state.Catch ?? []) add(name, catcher.Next, 'catch', (catcher.ErrorEquals ?? []).join(', '));
  }

  const endsHere = names.filter((n) => isEnd(program.States[n]));
  if (context.top) {
    g.setNode('__start__', { width: TERMINAL_SIZE, height: TERMINAL_SIZE });
    g.setNode('__end__', { width: TERMINAL_SIZE, height: TERMINAL_SIZE });
    if (idOf.has(program.StartAt)) g.setEdge('__start__', idOf.get(program.StartAt)!, { weight: 4 }, 'start');
    for (const name of endsHere) g.setEdge(idOf.get(name)!, '__end__', { weight: 1 }, `end:${name}`);
  }

  dagre.layout(g);

  const graph = g.graph();
  const nodes: GraphNode[] = [];
  const placedEdges: GraphEdge[] = [];
  const terminalEdges: GraphLayout['terminalEdges'] = [];
  for (const name of names) {
    const state = program.States[name];
    const n = g.node(idOf.get(name)!);
    const node: GraphNode = {
      id: idOf.get(name)!,
      state: name,
      type: state.Type,
      x: round(n.x - n.width / 2),
      y: round(n.y - n.height / 2),
      width: round(n.width),
      height: round(n.height),
      ...(name === program.StartAt ? { start: true } : {}),
      ...(isEnd(state) ? { end: true } : {}),
      ...(state.Type === 'Task' && typeof state.Resource === 'string' ? { resource: shortResource(state.Resource) } : {}),
      ...(state.Retry?.length ? { retry: true } : {}),
      ...(state.Catch?.length ? { catch: true } : {}),
      ...(typeof state.Comment === 'string' ? { comment: state.Comment } : {}),
    };
    const blocks = inner.get(name);
    if (!blocks) {
      nodes.push(node);
      continue;
    }
    node.container = true;
    nodes.push(node);
    // Branches stacked inside the box; each drawn with a 'branch' edge from the box's left side.
    let top = node.y + BOX_HEADER;
    const children = childPrograms(state);
    blocks.forEach((block, i) => {
      const dx = node.x + BOX_PADDING;
      const dy = top;
      for (const child of block.nodes) nodes.push({ ...child, x: round(child.x + dx), y: round(child.y + dy), parent: child.parent ?? node.id });
      for (const edge of block.edges) placedEdges.push({ ...edge, points: edge.points.map((p) => ({ x: round(p.x + dx), y: round(p.y + dy) })) });
      const startId = block.nodes.find((c) => c.state === children[i].StartAt && !c.parent)?.id;
      const startNode = nodes.find((c) => c.id === startId);
      if (startNode) {
        const cy = round(startNode.y + startNode.height / 2);
        placedEdges.push({
          id: `${node.id}→${startNode.id}:branch:${i}`,
          from: node.id,
          to: startNode.id,
          kind: 'branch',
          label: state.Type === 'Map' ? 'each item' : `branch ${i + 1}`,
          points: [
            { x: node.x + 4, y: cy },
            { x: startNode.x, y: cy },
          ],
        });
      }
      top += block.height + BRANCH_GAP;
    });
  }
  for (const edge of edges) {
    const laid = g.edge({ v: edge.from, w: edge.to, name: edge.id });
    placedEdges.push({ ...edge, points: (laid?.points ?? []).map((p: Point) => ({ x: round(p.x), y: round(p.y) })) });
  }
  const terminals: Terminal[] = [];
  if (context.top) {
    for (const id of ['start', 'end'] as const) {
      const t = g.node(`__${id}__`);
      terminals.push({ id, x: round(t.x - t.width / 2), y: round(t.y - t.height / 2), width: t.width, height: t.height });
    }
    const startEdge = g.edge({ v: '__start__', w: idOf.get(program.StartAt) ?? '', name: 'start' });
    if (startEdge) terminalEdges.push({ from: 'start', to: idOf.get(program.StartAt)!, points: startEdge.points.map(roundPoint) });
    for (const name of endsHere) {
      const e = g.edge({ v: idOf.get(name)!, w: '__end__', name: `end:${name}` });
      if (e) terminalEdges.push({ from: idOf.get(name)!, to: 'end', points: e.points.map(roundPoint) });
    }
  }
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges: placedEdges, terminals, terminalEdges };
}

/** The transitions of a state: Next, each Choice rule, Default, each Catch. */
function targetsOf(state: AslState): string[] {
  const targets = [state.Next, ...(state.Choices ?? []).map((c: Record<string, unknown>) => c.Next), state.Default, ...(state.Catch ?? []).map((c: Record<string, unknown>) => c.Next)];
  return targets.filter((t): t is string => typeof t === 'string');
}

/** dagre's weight of an edge to `to` (a heavier edge is kept shorter): light into a hub, heavy into a leaf. */
function edgeWeights(program: AslProgram): (to: string, kind: EdgeKind) => number {
  const sources = new Map<string, Set<string>>();
  for (const [name, state] of Object.entries(program.States)) {
    for (const to of targetsOf(state)) {
      if (!sources.has(to)) sources.set(to, new Set());
      sources.get(to)!.add(name);
    }
  }
  const isHub = (name: string) => (sources.get(name)?.size ?? 0) >= HUB_IN_DEGREE;
  const isLeaf = (name: string) => {
    const targets = new Set(targetsOf(program.States[name] ?? { Type: '' }));
    return program.States[name]?.Type === 'Pass' && targets.size === 1 && isHub([...targets][0]) && !isHub(name);
  };
  return (to, kind) => (isHub(to) ? WEIGHT.hub : isLeaf(to) ? WEIGHT.leaf : kind === 'catch' ? WEIGHT.catch : WEIGHT.normal);
}

function childPrograms(state: AslState): AslProgram[] {
  if (state.Type === 'Parallel') return (state.Branches ?? []).filter(isProgram);
  if (state.Type === 'Map') return [state.ItemProcessor ?? state.Iterator].filter(isProgram);
  return [];
}

function isProgram(p: unknown): p is AslProgram {
  return !!p && typeof p === 'object' && typeof (p as AslProgram).StartAt === 'string' && typeof (p as AslProgram).States === 'object';
}

function isEnd(state: AslState): boolean {
  return state.End === true || state.Type === 'Succeed' || state.Type === 'Fail';
}

function uniqueId(ids: Map<string, number>, name: string): string {
  const seen = (ids.get(name) ?? 0) + 1;
  ids.set(name, seen);
  return seen === 1 ? name : `${name}~${seen}`;
}

function nodeWidth(name: string, state: AslState): number {
  const sub = state.Type === 'Task' && typeof state.Resource === 'string' ? shortResource(state.Resource) : state.Type;
  const longest = Math.max(name.length * CHAR_WIDTH, sub.length * SUB_CHAR_WIDTH);
  return Math.min(NODE_MAX_WIDTH, Math.max(NODE_MIN_WIDTH, Math.ceil(longest + 32)));
}

/** arn:aws:states:::dynamodb:putItem → dynamodb:putItem; arn:aws:states:::aws-sdk:dynamodb:scan → dynamodb:scan. */
export function shortResource(resource: string): string {
  const integration = /^arn:aws:states:::(?:aws-sdk:)?(.+)$/.exec(resource);
  if (integration) return integration[1];
  const fn = /:function:([^:]+)/.exec(resource);
  return fn ? `lambda:${fn[1]}` : resource;
}

function choiceLabel(choice: Record<string, unknown>, index: number): string {
  if (typeof choice.Condition === 'string') return choice.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  const { Next: _next, ...rule } = choice;
  return Object.keys(rule).length ? JSON.stringify(rule) : `rule ${index + 1}`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function roundPoint(p: Point): Point {
  return { x: round(p.x), y: round(p.y) };
}
