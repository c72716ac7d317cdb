// Draws a laid-out state machine graph (from /console/api/state-machines or an execution) as SVG,
// in a viewer with zoom (opening at a readable one), fit and drag-to-pan. Layout comes from the server (dagre); nothing is measured here.

import { h, svg } from './dom.js';

const EDGE_KINDS = ['next', 'choice', 'default', 'catch', 'branch'];
const KIND_LABEL = { next: 'Next', choice: 'Choice rule', default: 'Default', catch: 'Catch', branch: 'Branch' };
const OUTCOME_LABEL = { succeeded: 'Succeeded', retried: 'Retried', caught: 'Caught error', failed: 'Failed', running: 'In progress', aborted: 'Aborted', 'not-reached': 'Not reached' };

/** The smallest zoom the viewer opens at: state names stay legible (13 px text drawn at ≥ 10 px). */
const READABLE_SCALE = 0.8;
const MIN_SCALE = 0.15;
const MAX_SCALE = 2;
/** Height of the thumbnail a collapsed viewer shows. */
const PREVIEW_HEIGHT = 230;

/**
 * options: { runs: {state: StateRun} (execution view), transitions: [{from,to}], selected, onSelect(state),
 *            maxHeight (px of the viewport), collapsed: {title, detail} (a thumbnail until expanded),
 *            view: {} (kept up to date with the zoom and scroll, restored by the next viewer given it) }
 * Opens at the zoom that fits the frame when that is readable, else at READABLE_SCALE, scrolled to the
 * selected state (or the Start); drag to pan, Ctrl/⌘ + wheel or − / + to zoom, Fit shows the whole graph.
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
  const reached = (state) => !!runs?.[state] && runs[state].outcome !== 'not-reached';
  for (const e of layout.terminalEdges ?? []) {
    const on = runs && (e.from === 'start' ? reached(e.to) : reached(e.from));
    root.append(svg('path', { class: `edge edge-terminal ${runs ? (on ? 'edge-taken' : 'edge-idle') : ''}`, d: pathOf(e.points), 'marker-end': `url(#arrow-${on ? 'taken' : 'terminal'})` }));
  }
  // Taken edges last: drawn over the faded ones.
  const edges = layout.edges.map((e) => ({ e, on: !runs || traversed.has(`${e.from}→${e.to}:${e.kind === 'catch' ? 'catch' : 'flow'}`) || (e.kind === 'branch' && reached(e.to)) }));
  if (runs) edges.sort((a, b) => Number(a.on) - Number(b.on));
  for (const { e, on } of edges) {
    const taken = runs && on;
    const path = svg('path', {
      testid: 'graph-edge',
      'data-kind': e.kind,
      'data-from': e.from,
      'data-to': e.to,
      'data-taken': runs ? String(on) : undefined,
      class: `edge edge-${e.kind} ${runs ? (on ? 'edge-taken' : 'edge-idle') : ''}`,
      d: pathOf(e.points),
      'marker-end': `url(#arrow-${taken ? (e.kind === 'catch' ? 'taken-catch' : 'taken') : e.kind})`,
    });
    if (e.label) path.append(svg('title', {}, `${KIND_LABEL[e.kind]}: ${e.label}`));
    root.append(path);
  }
  for (const t of layout.terminals ?? []) {
    const ends = (layout.terminalEdges ?? []).filter((e) => (t.id === 'start' ? e.from === 'start' : e.to === 'end'));
    root.append(terminal(t, runs && ends.some((e) => reached(t.id === 'start' ? e.to : e.from))));
  }
  for (const n of plain) root.append(nodeElement(n, runs, nodeEls, options));

  const scroll = h('div', { class: 'graph-scroll' });
  // A page that redraws the graph (a running execution) hands the same `view` over: zoom and scroll survive.
  const view = options.view;
  if (options.maxHeight) scroll.style.maxHeight = `${options.maxHeight}px`;
  let scale = 1;
  const size = (s) => {
    root.setAttribute('width', String(Math.round(layout.width * s)));
    root.setAttribute('height', String(Math.round(layout.height * s)));
  };
  /** Zooms, keeping the point at the frame's centre where it is. */
  const setScale = (s) => {
    const cx = (scroll.scrollLeft + scroll.clientWidth / 2) / scale;
    const cy = (scroll.scrollTop + scroll.clientHeight / 2) / scale;
    scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));
    size(scale);
    zoomLabel.textContent = `${Math.round(scale * 100)}%`;
    scroll.scrollLeft = cx * scale - scroll.clientWidth / 2;
    scroll.scrollTop = cy * scale - scroll.clientHeight / 2;
    if (view) view.scale = scale;
  };
  scroll.addEventListener('scroll', () => {
    if (view?.scale) Object.assign(view, { left: scroll.scrollLeft, top: scroll.scrollTop });
  });
  /** The zoom at which the whole graph fits the frame. */
  const fitScale = () => {
    const width = scroll.clientWidth || 1000;
    const height = options.maxHeight ?? Infinity;
    return Math.min(1, (width - 2) / layout.width, (height - 2) / layout.height);
  };
  const zoomLabel = h('span', { class: 'zoom-label' }, '100%');
  const toolbar = h(
    'div',
    { class: 'graph-toolbar' },
    h('div', { class: 'legend' }, runs ? outcomeLegend() : edgeLegend()),
    h(
      'div',
      { class: 'zoom' },
      h('span', { class: 'zoom-hint' }, 'Drag to pan · Ctrl + wheel to zoom'),
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Zoom out', 'aria-label': 'Zoom out', onclick: () => setScale(scale / 1.25) }, '−'),
      zoomLabel,
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Zoom in', 'aria-label': 'Zoom in', onclick: () => setScale(scale * 1.25) }, '+'),
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Show the whole graph', onclick: () => setScale(fitScale()) }, 'Fit'),
      h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Actual size', onclick: () => setScale(1) }, '1:1'),
    ),
  );
  panWithMouse(scroll);
  // Ctrl/⌘ + wheel zooms (a plain wheel scrolls, as usual).
  scroll.addEventListener(
    'wheel',
    (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      setScale(scale * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    },
    { passive: false },
  );

  /** Scrolls the frame to a layout box: centred, unless it is already in view (`always` to centre anyway). */
  const reveal = (box, { always = false, smooth = false } = {}) => {
    const left = box.x * scale;
    const top = box.y * scale;
    const inView = left >= scroll.scrollLeft && top >= scroll.scrollTop && left + box.width * scale <= scroll.scrollLeft + scroll.clientWidth && top + box.height * scale <= scroll.scrollTop + scroll.clientHeight;
    if (inView && !always) return;
    scroll.scrollTo({ left: left + (box.width * scale) / 2 - scroll.clientWidth / 2, top: top + (box.height * scale) / 2 - scroll.clientHeight / 2, behavior: smooth ? 'smooth' : 'auto' });
  };
  let selected = options.selected;
  /** Opens readable (the whole graph when it fits at a readable zoom), on the selected state or the Start. */
  const open = () => {
    if (view?.scale) {
      setScale(view.scale);
      scroll.scrollTo({ left: view.left ?? 0, top: view.top ?? 0 });
      return;
    }
    const fit = fitScale();
    setScale(fit >= READABLE_SCALE ? fit : READABLE_SCALE);
    const box = (selected && layout.nodes.find((n) => n.state === selected)) || layout.terminals?.find((t) => t.id === 'start');
    if (box) reveal(selected ? box : { ...box, x: 0, width: 1 }, { always: true });
  };

  const select = (state) => {
    selected = state;
    for (const [name, el] of nodeEls) el.classList.toggle('selected', name === state);
    const box = layout.nodes.find((n) => n.state === state);
    if (box && scroll.isConnected && options.scrollIntoView !== false) reveal(box, { smooth: true });
  };
  if (selected) for (const [name, el] of nodeEls) el.classList.toggle('selected', name === selected);

  const viewer = h('div', { class: 'graph-viewer' });
  const expand = () => {
    scroll.append(root);
    viewer.classList.remove('graph-viewer-collapsed');
    viewer.replaceChildren(toolbar, scroll);
    // Once in the document and laid out: the frame's width decides the zoom.
    requestAnimationFrame(open);
  };
  if (options.collapsed) {
    // A thumbnail of the whole graph; the full viewer on demand.
    const thumb = PREVIEW_HEIGHT / layout.height;
    size(Math.min(1, thumb));
    viewer.classList.add('graph-viewer-collapsed');
    viewer.append(
      h('button', { class: 'graph-preview', type: 'button', title: 'Show the graph', onclick: expand }, root),
      h(
        'div',
        { class: 'graph-collapsed-text' },
        h('div', { class: 'graph-collapsed-title' }, options.collapsed.title),
        options.collapsed.detail ? h('div', { class: 'muted small' }, options.collapsed.detail) : null,
        h('button', { class: 'btn btn-sm', type: 'button', testid: 'graph-expand', onclick: expand }, 'Show the graph'),
      ),
    );
  } else {
    expand();
  }
  return { element: viewer, select };
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
    g.append(svg('text', { class: 'node-name', x: textX, y: 21, 'text-anchor': anchor }, fitText(n.state, n.width - 22, 7.9)));
    g.append(svg('text', { class: 'node-sub', x: textX, y: 38, 'text-anchor': anchor }, fitText(n.resource ?? n.type, n.width - 22, 7)));
    if (run?.visits > 1) g.append(svg('text', { class: 'node-visits', x: n.width - 8, y: 15, 'text-anchor': 'end' }, `×${run.visits}`));
    const retries = run?.retries?.length ?? 0;
    if (retries > 0) g.append(badge(`retried ${retries}×`, n.width, run.outcome));
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

/** A pill on the node's top-right corner (e.g. "retried 3×"), big enough to read at the opening zoom. */
function badge(text, nodeWidth, outcome) {
  const width = Math.round(text.length * 7.4 + 16);
  const x = Math.max(6, nodeWidth - width + 10);
  return svg(
    'g',
    { class: `node-badge node-badge-${outcome}`, transform: `translate(${x},-12)` },
    svg('rect', { width, height: 22, rx: 11 }),
    svg('text', { x: width / 2, y: 15.5, 'text-anchor': 'middle' }, text),
  );
}

function terminal(t, taken) {
  const cx = t.x + t.width / 2;
  const cy = t.y + t.height / 2;
  return svg(
    'g',
    { class: `terminal terminal-${t.id} ${taken ? 'terminal-taken' : ''}` },
    svg('circle', { cx, cy, r: t.width / 2 }),
    svg('text', { x: cx, y: cy + t.height / 2 + 13, 'text-anchor': 'middle' }, t.id === 'start' ? 'Start' : 'End'),
  );
}

/** Arrowheads in user units (the same size whatever the stroke width), one per edge kind and for taken edges. */
function markers() {
  const defs = svg('defs');
  for (const kind of [...EDGE_KINDS, 'terminal', 'taken', 'taken-catch']) {
    const size = kind.startsWith('taken') ? 13 : 11;
    defs.append(
      svg(
        'marker',
        { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: size, markerHeight: size, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse', class: `marker marker-${kind}` },
        svg('path', { d: 'M0,0 L10,5 L0,10 z' }),
      ),
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
  return [
    ...['succeeded', 'retried', 'caught', 'failed', 'not-reached'].map((o) => h('span', { class: 'legend-item' }, h('span', { class: `swatch outcome-${o}` }), OUTCOME_LABEL[o])),
    h('span', { class: 'legend-item' }, svg('svg', { class: 'legend-line legend-taken', width: 26, height: 8, 'aria-hidden': 'true' }, svg('line', { x1: 1, y1: 4, x2: 25, y2: 4 })), 'Taken'),
    h('span', { class: 'legend-item' }, svg('svg', { class: 'legend-line legend-taken-catch', width: 26, height: 8, 'aria-hidden': 'true' }, svg('line', { x1: 1, y1: 4, x2: 25, y2: 4 })), 'Taken Catch'),
  ];
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
