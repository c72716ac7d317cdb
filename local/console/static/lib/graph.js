// Draws a laid-out state machine graph (from /console/api/state-machines or an execution) as SVG,
// in a viewer with zoom, fit and drag-to-pan. Layout comes from the server (dagre); nothing is measured here.

import { h, svg } from './dom.js';

const EDGE_KINDS = ['next', 'choice', 'default', 'catch', 'branch'];
const KIND_LABEL = { next: 'Next', choice: 'Choice rule', default: 'Default', catch: 'Catch', branch: 'Branch' };
const OUTCOME_LABEL = { succeeded: 'Succeeded', retried: 'Retried', caught: 'Caught error', failed: 'Failed', running: 'In progress', aborted: 'Aborted', 'not-reached': 'Not reached' };

/**
 * options: { runs: {state: StateRun} (execution view), transitions: [{from,to}], selected, onSelect(state),
 *            maxHeight (px of the viewport), legend: 'edges' | 'outcomes' }
 * Returns { element, select(state) }.
 */
export function graphViewer(layout, options = {}) {
  const runs = options.runs ?? null;
  // A transition lights its Catch edges when it went through a Catch, its other edges otherwise.
  const traversed = new Set((options.transitions ?? []).map((t) => `${t.from}→${t.to}:${t.caught ? 'catch' : 'flow'}`));
  const nodeEls = new Map();

  const root = svg('svg', {
    testid: 'graph',
    class: `graph ${runs ? 'graph-execution' : ''}`,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: 'img',
    'aria-label': 'State machine graph',
  });
  root.append(markers());

  const containers = layout.nodes.filter((n) => n.container);
  const plain = layout.nodes.filter((n) => !n.container);
  for (const n of containers) root.append(nodeElement(n, runs, nodeEls, options));
  for (const e of layout.terminalEdges ?? []) root.append(svg('path', { class: 'edge edge-terminal', d: pathOf(e.points), 'marker-end': 'url(#arrow-terminal)' }));
  for (const e of layout.edges) {
    const on = !runs || traversed.has(`${e.from}→${e.to}:${e.kind === 'catch' ? 'catch' : 'flow'}`) || e.kind === 'branch';
    const path = svg('path', {
      testid: 'graph-edge',
      'data-kind': e.kind,
      'data-from': e.from,
      'data-to': e.to,
      class: `edge edge-${e.kind} ${runs ? (on ? 'edge-taken' : 'edge-idle') : ''}`,
      d: pathOf(e.points),
      'marker-end': `url(#arrow-${e.kind})`,
    });
    if (e.label) path.append(svg('title', {}, `${KIND_LABEL[e.kind]}: ${e.label}`));
    root.append(path);
  }
  for (const t of layout.terminals ?? []) root.append(terminal(t));
  for (const n of plain) root.append(nodeElement(n, runs, nodeEls, options));

  const scroll = h('div', { class: 'graph-scroll' }, root);
  if (options.maxHeight) scroll.style.maxHeight = `${options.maxHeight}px`;
  let scale = 1;
  /** Zooms, keeping the point at the frame's centre where it is. */
  const setScale = (s) => {
    const cx = (scroll.scrollLeft + scroll.clientWidth / 2) / scale;
    const cy = (scroll.scrollTop + scroll.clientHeight / 2) / scale;
    scale = Math.min(2, Math.max(0.15, s));
    root.setAttribute('width', String(Math.round(layout.width * scale)));
    root.setAttribute('height', String(Math.round(layout.height * scale)));
    zoomLabel.textContent = `${Math.round(scale * 100)}%`;
    scroll.scrollLeft = cx * scale - scroll.clientWidth / 2;
    scroll.scrollTop = cy * scale - scroll.clientHeight / 2;
  };
  const fit = () => {
    const width = scroll.clientWidth || 1000;
    const height = options.maxHeight ?? Infinity;
    setScale(Math.min(1, (width - 2) / layout.width, Math.max(0.5, (height - 2) / layout.height)));
  };
  const zoomLabel = h('span', { class: 'zoom-label' }, '100%');
  const toolbar = h(
    'div',
    { class: 'graph-toolbar' },
    h('div', { class: 'legend' }, runs ? outcomeLegend() : edgeLegend()),
    h(
      'div',
      { class: 'zoom' },
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Zoom out', onclick: () => setScale(scale / 1.25) }, '−'),
      zoomLabel,
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Zoom in', onclick: () => setScale(scale * 1.25) }, '+'),
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Fit to the frame', onclick: fit }, 'Fit'),
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Actual size', onclick: () => setScale(1) }, '1:1'),
    ),
  );
  panWithMouse(scroll);
  // Ctrl/⌘ + wheel zooms (a plain wheel scrolls the page, as usual).
  scroll.addEventListener(
    'wheel',
    (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      setScale(scale * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    },
    { passive: false },
  );
  setScale(1);
  // Fit once the viewer is in the document and has a width.
  requestAnimationFrame(() => fit());

  const select = (state) => {
    for (const [name, el] of nodeEls) el.classList.toggle('selected', name === state);
    const el = nodeEls.get(state);
    if (el && options.scrollIntoView !== false) {
      const box = layout.nodes.find((n) => n.state === state);
      if (box) scroll.scrollTo({ left: box.x * scale - scroll.clientWidth / 2 + (box.width * scale) / 2, top: box.y * scale - 80, behavior: 'smooth' });
    }
  };
  if (options.selected) requestAnimationFrame(() => select(options.selected));
  return { element: h('div', { class: 'graph-viewer' }, toolbar, scroll), select };
}

function nodeElement(n, runs, nodeEls, options) {
  const run = runs?.[n.state];
  const outcome = runs ? run?.outcome ?? 'not-reached' : undefined;
  const pillShape = n.type === 'Succeed' || n.type === 'Fail';
  const g = svg('g', {
    testid: 'graph-node',
    'data-state': n.state,
    'data-type': n.type,
    'data-outcome': outcome,
    class: `node node-${n.type.toLowerCase()} ${n.container ? 'node-container' : ''} ${outcome ? `outcome-${outcome}` : ''}`,
    transform: `translate(${n.x},${n.y})`,
    tabindex: options.onSelect ? 0 : undefined,
  });
  g.append(svg('title', {}, [n.state, n.type, n.resource, n.comment].filter(Boolean).join(' · ')));
  g.append(svg('rect', { class: 'node-box', width: n.width, height: n.height, rx: pillShape ? n.height / 2 : n.container ? 10 : 7 }));
  if (n.container) {
    g.append(svg('rect', { class: 'node-header', width: n.width, height: 26, rx: 10 }));
    g.append(svg('text', { class: 'node-name', x: 12, y: 17 }, n.state));
    g.append(svg('text', { class: 'node-sub node-sub-right', x: n.width - 12, y: 17, 'text-anchor': 'end' }, n.type));
  } else {
    const textX = pillShape ? n.width / 2 : 12;
    const anchor = pillShape ? 'middle' : 'start';
    g.append(svg('text', { class: 'node-name', x: textX, y: 20, 'text-anchor': anchor }, fitText(n.state, n.width - 24, 7.4)));
    const retries = run?.retries?.length ?? 0;
    if (retries > 0) g.append(svg('text', { class: 'node-sub node-retries', x: textX, y: 36, 'text-anchor': anchor }, `retried ${retries}×`));
    else g.append(svg('text', { class: 'node-sub', x: textX, y: 36, 'text-anchor': anchor }, fitText(n.resource ?? n.type, n.width - 24, 6.3)));
    if (run?.visits > 1) g.append(svg('text', { class: 'node-visits', x: n.width - 8, y: 14, 'text-anchor': 'end' }, `×${run.visits}`));
  }
  if (options.onSelect) {
    g.addEventListener('click', (event) => {
      event.stopPropagation();
      options.onSelect(n.state);
    });
    g.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        options.onSelect(n.state);
      }
    });
  }
  nodeEls.set(n.state, g);
  return g;
}

function terminal(t) {
  const cx = t.x + t.width / 2;
  const cy = t.y + t.height / 2;
  return svg(
    'g',
    { class: `terminal terminal-${t.id}` },
    svg('circle', { cx, cy, r: t.width / 2 }),
    svg('text', { x: cx, y: cy + t.height / 2 + 13, 'text-anchor': 'middle' }, t.id === 'start' ? 'Start' : 'End'),
  );
}

function markers() {
  const defs = svg('defs');
  for (const kind of [...EDGE_KINDS, 'terminal']) {
    defs.append(
      svg('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', class: `marker marker-${kind}` }, svg('path', { d: 'M0,0 L10,5 L0,10 z' })),
    );
  }
  return defs;
}

/** A smooth path through dagre's points. */
function pathOf(points) {
  if (!points?.length) return '';
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mx = (points[i].x + points[i + 1].x) / 2;
    const my = (points[i].y + points[i + 1].y) / 2;
    d += ` Q${points[i].x},${points[i].y} ${mx},${my}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

function fitText(text, width, charWidth) {
  const max = Math.max(4, Math.floor(width / charWidth));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function edgeLegend() {
  return ['next', 'choice', 'default', 'catch'].map((kind) =>
    h('span', { class: 'legend-item' }, svg('svg', { class: `legend-line legend-${kind}`, width: 26, height: 8, 'aria-hidden': 'true' }, svg('line', { x1: 1, y1: 4, x2: 25, y2: 4 })), KIND_LABEL[kind]),
  );
}

function outcomeLegend() {
  return ['succeeded', 'retried', 'caught', 'failed', 'not-reached'].map((o) => h('span', { class: 'legend-item' }, h('span', { class: `swatch outcome-${o}` }), OUTCOME_LABEL[o]));
}

/** Drag the frame to pan (mouse or pen), like a map. */
function panWithMouse(scroll) {
  let start;
  scroll.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || e.pointerType === 'touch' || e.target.closest?.('.node')) return;
    start = { x: e.clientX, y: e.clientY, left: scroll.scrollLeft, top: scroll.scrollTop };
    scroll.setPointerCapture(e.pointerId);
    scroll.classList.add('panning');
  });
  scroll.addEventListener('pointermove', (e) => {
    if (!start) return;
    scroll.scrollLeft = start.left - (e.clientX - start.x);
    scroll.scrollTop = start.top - (e.clientY - start.y);
  });
  const stop = () => {
    start = undefined;
    scroll.classList.remove('panning');
  };
  scroll.addEventListener('pointerup', stop);
  scroll.addEventListener('pointercancel', stop);
}
