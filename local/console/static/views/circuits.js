// #/circuits: each resource's write circuit (storage first + circuit breaker): its state, since when, the
// failures counted in the current window, the cool-down, the probe in progress and the last transition; a row
// opens its recent transitions. Open and Close do what `crud-ops circuit open|close` does (a close also starts
// the resource's redrive). Refreshed live when an execution ends (only executions and operators move a
// circuit) or an operator moves one; relative times tick every second. Under the state, the resource's events
// circuit (publishEvents: while OPEN, change events wait in the dead-letter queue); `crud-ops circuit open|close
// <resource> --circuit events` moves it.

import { api } from '../lib/api.js';
import { breakAfterDots, formatTime, h, pill, placeholder } from '../lib/dom.js';
import { on, throttle } from '../lib/live.js';

export const STATE_TEXT = {
  CLOSED: 'Closed: writes go to the table',
  OPEN: 'Open: writes are queued at once (202, CircuitOpen) without calling the table, until the cool-down ends',
  HALF_OPEN: 'Half-open: one write is probing the table; the others are queued',
};
const DURATIONS = [
  [60, '1 min'],
  [300, '5 min'],
  [900, '15 min'],
  [3600, '1 h'],
];
const SOURCE_TEXT = {
  execution: 'written by this execution',
  operator: 'an operator’s open or close through this console',
  item: 'the item’s last transition',
};

export function renderCircuits(main) {
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'table table-click table-fixed circuits', testid: 'circuits-table' },
    h('colgroup', {}, ['resource', 'state', 'since', 'failures', 'cooldown', 'probe', 'last', 'actions'].map((c) => h('col', { class: `col-${c}` }))),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Resource'),
        h('th', {}, 'State'),
        h('th', {}, 'Since'),
        h('th', { class: 'num', title: 'Writes that exhausted their retries in the current window (60 s by default)' }, 'Failures'),
        h('th', {}, 'Cool-down until'),
        h('th', {}, 'Probe'),
        h('th', {}, 'Last transition'),
        h('th', {}),
      ),
    ),
    tbody,
  );
  const message = h('div', { testid: 'circuit-message' });
  const footer = h('div', { class: 'table-foot muted small' });
  const empty = h('div');
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Circuits'),
        h(
          'p',
          { class: 'lead' },
          'Each resource’s write circuit. CLOSED: writes go to the table. OPEN: they are queued at once (202, CircuitOpen) without calling the table; after the cool-down one write probes it (HALF_OPEN) and, if it succeeds, closes the circuit and starts the redrive. Click a row for its recent transitions.',
        ),
      ),
    ),
    message,
    h('div', { class: 'card card-flush' }, table, empty, footer),
  );

  let alive = true;
  const expanded = new Set();
  const busy = new Set();
  /** Open durations chosen per resource (kept across refreshes). */
  const chosen = {};
  let circuits = [];
  /** The local cloud's clock minus the page's (the cloud's clock can be advanced): relative times use the cloud's. */
  let skew = 0;
  const now = () => Date.now() + skew;

  const show = () => {
    tbody.replaceChildren(...circuits.flatMap((c) => rows(c, { expanded, busy, chosen, now, toggle, act })));
  };
  const load = async () => {
    try {
      const result = await api.circuits();
      if (!alive) return;
      circuits = result.circuits;
      if (result.now) skew = new Date(result.now).getTime() - Date.now();
      show();
      empty.replaceChildren(circuits.length ? '' : placeholder('empty', 'No resources', 'The template declares no resources.'));
      footer.textContent = circuits.length ? `Circuit table ${result.tableName} · updates live` : '';
    } catch (error) {
      if (alive) empty.replaceChildren(placeholder('error', 'Could not load the circuits', error.message));
    }
  };
  const toggle = (resource) => {
    if (expanded.has(resource)) expanded.delete(resource);
    else expanded.add(resource);
    show();
  };
  const act = async (resource, action) => {
    busy.add(resource);
    show();
    try {
      const change = action === 'open' ? await api.openCircuit(resource, chosen[resource] ?? 300) : await api.closeCircuit(resource);
      message.replaceChildren(changeCallout(change));
    } catch (error) {
      message.replaceChildren(h('div', { class: 'callout callout-error', role: 'alert' }, h('div', { class: 'callout-title' }, `Could not ${action} the ${resource} circuit`), h('div', {}, error.message)));
    }
    busy.delete(resource);
    if (alive) await load();
  };

  empty.replaceChildren(placeholder('loading', 'Loading…'));
  load();
  const refresh = throttle(load, 400);
  const offExecution = on('execution', (e) => e.status !== 'RUNNING' && refresh());
  const offCircuit = on('circuit', refresh);
  const tick = setInterval(() => {
    tbody.querySelectorAll('[data-ago]').forEach((el) => (el.textContent = ago(el.dataset.ago, now())));
    tbody.querySelectorAll('[data-until]').forEach((el) => (el.textContent = until(el.dataset.until, now())));
  }, 1000);
  return () => {
    alive = false;
    offExecution();
    offCircuit();
    clearInterval(tick);
  };
}

function rows(c, ctx) {
  const open = ctx.expanded.has(c.resource);
  const busy = ctx.busy.has(c.resource);
  const seconds = ctx.chosen[c.resource] ?? 300;
  const select = h(
    'select',
    { testid: 'circuit-open-for', 'aria-label': `Open ${c.resource} for`, disabled: busy, onchange: () => (ctx.chosen[c.resource] = Number(select.value)) },
    DURATIONS.map(([value, label]) => h('option', { value, selected: value === seconds }, `for ${label}`)),
  );
  const stop = (ev) => ev.stopPropagation();
  const row = h(
    'tr',
    {
      testid: 'circuit-row',
      class: open ? 'expanded' : undefined,
      'data-resource': c.resource,
      'data-state': c.state,
      'aria-expanded': String(open),
      tabindex: 0,
      onclick: () => ctx.toggle(c.resource),
      onkeydown: (ev) => ev.key === 'Enter' && ev.target === row && ctx.toggle(c.resource),
    },
    h('td', { class: 'one-line' }, h('span', { class: 'caret', 'aria-hidden': 'true' }, open ? '▾' : '▸'), ` /${c.resource}`),
    h('td', {}, pill(c.state, 'circuit-state', STATE_TEXT[c.state]), c.recorded ? null : h('div', { class: 'muted small' }, 'never opened'), eventsLine(c.events, ctx.now())),
    h('td', { class: 'nowrap' }, c.since ? [formatTime(c.since), h('div', { class: 'muted small', 'data-ago': c.since }, ago(c.since, ctx.now()))] : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num', testid: 'circuit-failures', title: c.windowStart ? `In the window that started at ${formatTime(c.windowStart)}` : 'No failure in the current window' }, String(c.failures ?? 0)),
    h('td', { class: 'nowrap', testid: 'circuit-cooldown' }, coolDownCell(c, ctx.now())),
    h('td', { testid: 'circuit-probe' }, probeCell(c, ctx.now())),
    h('td', { class: 'reason-cell' }, c.lastTransition ? transitionCell(c.lastTransition, ctx.now()) : h('span', { class: 'muted' }, '—')),
    h(
      'td',
      { class: 'actions-cell', onclick: stop, onkeydown: stop },
      h(
        'div',
        { class: 'circuit-actions' },
        select,
        h('button', { testid: 'circuit-open', class: 'btn btn-sm', type: 'button', disabled: busy, title: 'Queue every write at once until the cool-down ends (as the breaker does after repeated failures)', onclick: () => ctx.act(c.resource, 'open') }, 'Open'),
        h(
          'button',
          { testid: 'circuit-close', class: 'btn btn-sm btn-primary', type: 'button', disabled: busy || (c.state === 'CLOSED' && !c.failures), title: 'Close it: writes go to the table again, and the redrive of the queued writes starts now', onclick: () => ctx.act(c.resource, 'close') },
          'Close',
        ),
      ),
    ),
  );
  return open ? [row, detailRow(c, ctx.now())] : [row];
}

/** The events circuit in one line: "events: CLOSED", "events: OPEN · in 25 s". */
function eventsLine(e, now) {
  if (!e) return null;
  const open = e.state === 'OPEN' && e.coolDownUntil;
  return h(
    'div',
    { class: e.state === 'CLOSED' ? 'muted small' : 'small text-warn', testid: 'circuit-events', 'data-state': e.state, title: 'The events circuit: while OPEN, change events wait in the dead-letter queue and EventBridge is not called' },
    `events: ${e.state}`,
    open ? [' · ', h('span', { 'data-until': e.coolDownUntil }, until(e.coolDownUntil, now))] : null,
  );
}

function coolDownCell(c, now) {
  if (c.state !== 'OPEN' || !c.coolDownUntil) return h('span', { class: 'muted' }, '—');
  return [formatTime(c.coolDownUntil), h('div', { class: c.coolDownOver ? 'small text-warn' : 'muted small', 'data-until': c.coolDownUntil }, until(c.coolDownUntil, now))];
}

function probeCell(c, now) {
  if (!c.probe) return h('span', { class: 'muted' }, c.state === 'HALF_OPEN' ? 'none' : '—');
  return h(
    'div',
    {},
    h('span', { class: c.probe.abandoned ? 'text-warn' : 'text-ok' }, c.probe.abandoned ? 'abandoned' : 'in progress'),
    c.probe.startedAt ? h('span', { class: 'muted small', 'data-ago': c.probe.startedAt }, ` ${ago(c.probe.startedAt, now)}`) : null,
    c.probe.requestId ? h('div', { class: 'mono small one-line' }, h('a', { href: `#/executions?requestId=${encodeURIComponent(c.probe.requestId)}`, title: 'The probing request: its execution' }, c.probe.requestId)) : null,
  );
}

function transitionCell(t, now) {
  return h(
    'div',
    { testid: 'circuit-last-transition' },
    h('div', { class: 'one-line' }, h('span', { class: 'mono small' }, `${t.from ?? '?'} → ${t.to}`), h('span', { class: 'muted small', 'data-ago': t.at }, ` ${ago(t.at, now)}`)),
    h('div', { class: 'muted small clamp-2', title: t.reason ?? '' }, t.reason ? breakAfterDots(t.reason) : '', t.by ? ` (${t.by})` : ''),
  );
}

function detailRow(c, now) {
  const list = c.transitions ?? [];
  return h(
    'tr',
    { class: 'detail-row', testid: 'circuit-detail', 'data-resource': c.resource },
    h(
      'td',
      { colspan: 8 },
      h('div', { class: 'circuit-detail' }, h('div', { class: 'results-title' }, `Recent transitions of /${c.resource}`), list.length ? transitionsTable(list, now) : h('div', { class: 'muted small' }, 'None recorded: this circuit has not moved since the executions kept here began.')),
      h(
        'div',
        { class: 'muted small' },
        'From the executions’ histories (the OpenCircuit, ReopenCircuit, ClaimProbe and CloseCircuit tasks that succeeded), the operators’ moves made through this console since it started, and the item’s last transition.',
      ),
    ),
  );
}

function transitionsTable(list, now) {
  return h(
    'table',
    { class: 'table transitions' },
    h('thead', {}, h('tr', {}, h('th', {}, 'At'), h('th', {}, 'From → to'), h('th', {}, 'Reason'), h('th', {}, 'By'))),
    h(
      'tbody',
      {},
      list.map((t) =>
        h(
          'tr',
          { testid: 'circuit-transition', 'data-from': t.from ?? '', 'data-to': t.to, 'data-source': t.source },
          h('td', { class: 'nowrap' }, formatTime(t.at), h('div', { class: 'muted small', 'data-ago': t.at }, ago(t.at, now))),
          h('td', { class: 'nowrap' }, pill(t.from ?? '?', 'circuit-state'), ' → ', pill(t.to, 'circuit-state')),
          h('td', {}, t.reason ? breakAfterDots(t.reason) : '—'),
          h('td', { title: SOURCE_TEXT[t.source] ?? '' }, byCell(t)),
        ),
      ),
    ),
  );
}

function byCell(t) {
  if (t.source === 'execution' && t.executionArn) {
    return h('div', {}, h('a', { class: 'mono small one-line', href: `#/executions/${encodeURIComponent(t.executionArn)}`, title: `${t.execution}: its ${t.state} task` }, t.execution), h('div', { class: 'muted small' }, t.state));
  }
  if (t.by) return h('span', { title: `An operator, through ${t.by}` }, t.by);
  return h('span', { class: 'muted' }, t.requestId ? t.requestId : SOURCE_TEXT[t.source] ?? '—');
}

function changeCallout(change) {
  const { resource, before, after, redrive } = change;
  const moved = before.state !== after.state;
  const lines = [];
  if (after.state === 'OPEN') lines.push(`Writes are queued at once until ${formatTime(after.coolDownUntil)}; then one write probes the table.`);
  if (after.state === 'CLOSED') lines.push(moved ? 'Writes go to the table again.' : 'It was already closed.');
  if (redrive) {
    lines.push(redrive.started ? `The redrive of /${resource} started (${redrive.functionName}, asynchronous invocation): the queued writes are replayed now.` : `The redrive could not be started: ${redrive.error ?? 'unknown reason'}. Use the Dead-letter queues view to replay them.`);
  }
  return h(
    'div',
    { class: `callout ${redrive && !redrive.started ? 'callout-caught' : 'callout-ok'}`, role: 'status' },
    h('div', { class: 'callout-title' }, `/${resource}: ${moved ? `${before.state} → ${after.state}` : after.state}`),
    lines.map((l) => h('div', {}, l)),
  );
}

/** "12 s ago", "3 min ago" on the cloud's clock. */
function ago(iso, now) {
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** "in 4 min 10 s", or "over: the next write probes". */
function until(iso, now) {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  if (s <= 0) return 'over: the next write probes';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.floor(s / 60)} min ${s % 60} s`;
  return `in ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
