// #/machines: one card per state machine (one per REST resource), its graph drawn from the ASL.

import { api } from '../lib/api.js';
import { h, placeholder } from '../lib/dom.js';
import { graphViewer } from '../lib/graph.js';

export function renderMachines(main) {
  const list = h('div', { class: 'stack' }, placeholder('loading', 'Loading state machines…'));
  main.append(
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'State machines'), h('p', { class: 'lead' }, 'One Express state machine per REST resource, drawn from the ASL the template deploys.'))),
    list,
  );
  let alive = true;
  api.stateMachines().then(
    ({ stateMachines }) => {
      if (!alive) return;
      // Machines with the same graph (every REST resource runs the same ASL, its conditions naming its own
      // key): the first is drawn, the others are collapsed to a thumbnail until asked for.
      const firstOf = new Map();
      const cards = stateMachines.map((machine) => {
        const key = shapeOf(machine.graph);
        const same = stateMachines.filter((m) => m !== machine && shapeOf(m.graph) === key);
        const first = firstOf.get(key);
        if (!first) firstOf.set(key, machine);
        return card(machine, { first, same });
      });
      list.replaceChildren(...(cards.length ? cards : [placeholder('empty', 'No state machines', 'The template defines none.')]));
    },
    (error) => alive && list.replaceChildren(placeholder('error', 'Could not load the state machines', error.message)),
  );
  return () => (alive = false);
}

/** `first`: the machine drawn above with the same definition (this one is then collapsed); `same`: the others sharing it. */
function card(machine, { first, same }) {
  const { graph } = machine;
  const counts = countTypes(graph.nodes);
  const viewer = graphViewer(graph, {
    maxHeight: 640,
    ...(first ? { collapsed: { title: `Same graph as ${label(first)}, drawn above`, detail: 'The same states and transitions; open it for this machine’s own conditions and comments.' } } : {}),
  });
  return h(
    'section',
    { class: 'card machine', testid: 'machine-card', 'data-resource': machine.resource ?? machine.name },
    h(
      'header',
      { class: 'card-head' },
      h(
        'div',
        { class: 'card-title' },
        h('h2', {}, label(machine), h('span', { class: 'tag' }, machine.type)),
        h('div', { class: 'muted mono small' }, machine.name),
      ),
      h(
        'div',
        { class: 'card-actions' },
        machine.resource ? h('a', { class: 'btn', href: `#/executions?resource=${encodeURIComponent(machine.resource)}` }, 'Executions') : null,
      ),
    ),
    machine.comment ? h('p', { class: 'card-desc' }, machine.comment) : null,
    h(
      'div',
      { class: 'facts' },
      fact('States', graph.nodes.length),
      ...Object.entries(counts).map(([type, n]) => fact(type, n)),
      fact('Transitions', graph.edges.length),
      same.length ? h('div', { class: 'fact fact-note' }, h('span', { class: 'fact-value' }, same.map(label).join(', ')), h('span', { class: 'fact-label' }, 'Same graph')) : null,
    ),
    viewer.element,
  );
}

/** States and transitions where they are drawn, without labels and comments. */
function shapeOf(graph) {
  return JSON.stringify([graph.width, graph.height, graph.nodes.map((n) => [n.id, n.type, n.x, n.y]), graph.edges.map((e) => [e.from, e.to, e.kind])]);
}

function label(machine) {
  return machine.resource ? `/${machine.resource}` : machine.name;
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('span', { class: 'fact-value' }, String(value)), h('span', { class: 'fact-label' }, label));
}

function countTypes(nodes) {
  const counts = {};
  for (const n of nodes) counts[n.type] = (counts[n.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}
