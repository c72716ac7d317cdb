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
      list.replaceChildren(...(stateMachines.length ? stateMachines.map(card) : [placeholder('empty', 'No state machines', 'The template defines none.')]));
    },
    (error) => alive && list.replaceChildren(placeholder('error', 'Could not load the state machines', error.message)),
  );
  return () => (alive = false);
}

function card(machine) {
  const { graph } = machine;
  const counts = countTypes(graph.nodes);
  const viewer = graphViewer(graph, { maxHeight: 620 });
  return h(
    'section',
    { class: 'card machine', testid: 'machine-card', 'data-resource': machine.resource ?? machine.name },
    h(
      'header',
      { class: 'card-head' },
      h(
        'div',
        { class: 'card-title' },
        h('h2', {}, machine.resource ? `/${machine.resource}` : machine.name, h('span', { class: 'tag' }, machine.type)),
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
    ),
    viewer.element,
  );
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('span', { class: 'fact-value' }, String(value)), h('span', { class: 'fact-label' }, label));
}

function countTypes(nodes) {
  const counts = {};
  for (const n of nodes) counts[n.type] = (counts[n.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}
