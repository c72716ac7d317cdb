/** The console's graph layout (dagre, server-side) of the real CRUD state machine and of nested states. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GraphLayout, GraphNode, layoutDefinition, shortResource } from '../../../local/console/graph';

const ASL_FILE = path.join(__dirname, '..', '..', '..', 'statemachines', 'crud-resource.asl.json');
const definition = JSON.parse(fs.readFileSync(ASL_FILE, 'utf8'));

/** The states that end an execution: `End: true`, Succeed and Fail. */
const endStates = Object.entries<any>(definition.States)
  .filter(([, s]) => s.End === true || s.Type === 'Succeed' || s.Type === 'Fail')
  .map(([name]) => name);

function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(p: { x: number; y: number }, n: GraphNode, slack = 1): boolean {
  return p.x >= n.x - slack && p.x <= n.x + n.width + slack && p.y >= n.y - slack && p.y <= n.y + n.height + slack;
}

describe('layoutDefinition on the CRUD state machine (statemachines/crud-resource.asl.json)', () => {
  let layout: GraphLayout;
  beforeAll(() => {
    layout = layoutDefinition(JSON.stringify(definition));
  });

  it('has one node per state, with its type, and nothing else', () => {
    expect(layout.nodes.map((n) => n.state).sort()).toEqual(Object.keys(definition.States).sort());
    for (const n of layout.nodes) expect({ state: n.state, type: n.type }).toEqual({ state: n.state, type: definition.States[n.state].Type });
    expect(layout.nodes.find((n) => n.state === definition.StartAt)?.start).toBe(true);
    expect(endStates.length).toBeGreaterThan(0);
    expect(layout.nodes.filter((n) => n.end).map((n) => n.state).sort()).toEqual([...endStates].sort());
  });

  it('draws every transition once with its kind: Next, each Choice rule, Default, each Catch', () => {
    const expected: string[] = [];
    for (const [name, s] of Object.entries<any>(definition.States)) {
      if (s.Next) expected.push(`next ${name}→${s.Next}`);
      for (const c of s.Choices ?? []) expected.push(`choice ${name}→${c.Next}`);
      if (s.Default) expected.push(`default ${name}→${s.Default}`);
      for (const c of s.Catch ?? []) expected.push(`catch ${name}→${c.Next}`);
    }
    expect(layout.edges.map((e) => `${e.kind} ${e.from}→${e.to}`).sort()).toEqual(expected.sort());
    const putCatches = layout.edges.filter((e) => e.from === 'PutNewItem' && e.kind === 'catch');
    // One edge per Catch, labelled with its errors, in the definition's order (the last one, States.ALL, queues the write).
    expect(putCatches.map((e) => [e.to, e.label])).toEqual(definition.States.PutNewItem.Catch.map((c: any) => [c.Next, c.ErrorEquals.join(', ')]));
    expect(putCatches[putCatches.length - 1]).toMatchObject({ to: 'QueueForRedrive', label: 'States.ALL' });
    expect(layout.edges.find((e) => e.kind === 'choice' && e.from === 'Route' && e.to === 'List')?.label).toBe("$request.method = 'GET' and $id = ''");
  });

  it('places nodes without overlap inside the drawing, and routes each edge from its source to its target', () => {
    const outside = layout.nodes.filter((n) => n.x < 0 || n.y < 0 || n.x + n.width > layout.width || n.y + n.height > layout.height).map((n) => n.state);
    expect(outside).toEqual([]);
    const overlapping = layout.nodes.flatMap((a, i) => layout.nodes.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.state}/${b.state}`));
    expect(overlapping).toEqual([]);
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    const misrouted = layout.edges.filter((e) => e.points.length < 2 || !inside(e.points[0], byId.get(e.from)!, 2) || !inside(e.points[e.points.length - 1], byId.get(e.to)!, 2));
    expect(misrouted.map((e) => e.id)).toEqual([]);
  });

  it('adds Start and End markers with their own edges, apart from the states', () => {
    expect(layout.terminals.map((t) => t.id)).toEqual(['start', 'end']);
    expect(layout.terminalEdges.map((e) => `${e.from}→${e.to}`).sort()).toEqual([`start→${definition.StartAt}`, ...endStates.map((s) => `${s}→end`)].sort());
  });

  it('labels Task nodes with their integration and flags Retry/Catch', () => {
    const put = layout.nodes.find((n) => n.state === 'PutNewItem')!;
    expect(put).toMatchObject({ type: 'Task', resource: 'dynamodb:putItem', retry: true, catch: true });
    expect(layout.nodes.find((n) => n.state === 'List')?.resource).toBe('dynamodb:scan');
    expect(shortResource('arn:aws:lambda:us-east-1:1:function:Flags')).toBe('lambda:Flags');
  });

  it('is deterministic', () => {
    expect(layoutDefinition(definition)).toEqual(layout);
  });
});

describe('layoutDefinition with Parallel and Map', () => {
  const nested = {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Parallel',
        Next: 'Each',
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Oops' }],
        Branches: [
          { StartAt: 'A1', States: { A1: { Type: 'Pass', Next: 'A2' }, A2: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
          { StartAt: 'B1', States: { B1: { Type: 'Wait', Seconds: 1, End: true } } },
        ],
      },
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } }, End: true },
      Oops: { Type: 'Fail', Error: 'Boom' },
    },
  };

  it('draws Parallel and Map as boxes holding their branches, with a branch edge to each branch start', () => {
    const layout = layoutDefinition(nested);
    const node = (s: string) => layout.nodes.find((n) => n.state === s)!;
    expect(layout.nodes.map((n) => n.state).sort()).toEqual(['A1', 'A2', 'B1', 'Each', 'Fan', 'Item', 'Oops']);
    expect(node('Fan')).toMatchObject({ container: true, type: 'Parallel' });
    expect(node('Each')).toMatchObject({ container: true, type: 'Map' });
    for (const [child, parent] of [['A1', 'Fan'], ['A2', 'Fan'], ['B1', 'Fan'], ['Item', 'Each']]) {
      const c = node(child);
      const p = node(parent);
      expect({ child, parent: c.parent }).toEqual({ child, parent });
      expect({ child, within: c.x >= p.x && c.y >= p.y && c.x + c.width <= p.x + p.width && c.y + c.height <= p.y + p.height }).toEqual({ child, within: true });
    }
    expect(overlaps(node('A1'), node('B1'))).toBe(false);
    expect(layout.edges.filter((e) => e.kind === 'branch').map((e) => `${e.from}→${e.to}`).sort()).toEqual(['Each→Item', 'Fan→A1', 'Fan→B1']);
    expect(layout.edges.map((e) => `${e.kind} ${e.from}→${e.to}`)).toEqual(expect.arrayContaining(['next A1→A2', 'next Fan→Each', 'catch Fan→Oops']));
    // Containers come before their children, so that boxes are drawn underneath.
    expect(layout.nodes.findIndex((n) => n.state === 'Fan')).toBeLessThan(layout.nodes.findIndex((n) => n.state === 'A1'));
    expect(layout.terminalEdges.map((e) => `${e.from}→${e.to}`).sort()).toEqual(['Each→end', 'Oops→end', 'start→Fan']);
  });

  it('refuses what is not a state machine', () => {
    expect(() => layoutDefinition({ States: {} } as never)).toThrow('StartAt and States are required');
  });
});
