// #/executions?status=&resource=&requestId=: the executions, newest first, filtered; new ones appear live.

import { api } from '../lib/api.js';
import { formatAgo, formatDuration, formatTime, h, pill, placeholder } from '../lib/dom.js';
import { on, throttle } from '../lib/live.js';

const STATUSES = ['', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING'];

export function renderExecutions(main, params) {
  const query = { status: params.get('status') ?? '', resource: params.get('resource') ?? '', requestId: params.get('requestId') ?? '' };
  const go = (change) => {
    const next = new URLSearchParams(Object.entries({ ...query, ...change }).filter(([, v]) => v));
    const text = next.toString();
    const hash = `#/executions${text ? `?${text}` : ''}`;
    if (location.hash === hash) load();
    else location.hash = hash;
  };

  const status = h('select', { testid: 'filter-status', 'aria-label': 'Status', onchange: () => go({ status: status.value }) }, STATUSES.map((s) => h('option', { value: s, selected: s === query.status }, s ? s.replace('_', ' ') : 'All statuses')));
  const resource = h('select', { testid: 'filter-resource', 'aria-label': 'Resource', onchange: () => go({ resource: resource.value }) }, h('option', { value: '' }, 'All resources'));
  const search = h('input', { testid: 'search-request-id', type: 'search', placeholder: 'Request id (X-Request-Id) or execution ARN', value: query.requestId, 'aria-label': 'Request id', spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'toolbar', onsubmit: (e) => (e.preventDefault(), go({ requestId: search.value.trim() })) },
    h('div', { class: 'field' }, h('label', {}, 'Status'), status),
    h('div', { class: 'field' }, h('label', {}, 'Resource'), resource),
    h('div', { class: 'field field-grow' }, h('label', {}, 'Find by request id'), h('div', { class: 'search' }, search, h('button', { testid: 'search-button', class: 'btn btn-primary', type: 'submit' }, 'Search'))),
    query.status || query.resource || query.requestId ? h('a', { class: 'btn btn-ghost clear-filters', href: '#/executions' }, 'Clear filters') : null,
  );

  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'table table-click table-fixed executions', testid: 'executions-table' },
    // Fixed column widths: the same with rows, without rows, and whatever the rows hold.
    h('colgroup', {}, ['status', 'id', 'method', 'resource', 'http', 'started', 'duration'].map((c) => h('col', { class: `col-${c}` }))),
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Status'), h('th', {}, 'Request id'), h('th', {}, 'Method'), h('th', {}, 'Resource'), h('th', { class: 'num' }, 'HTTP'), h('th', {}, 'Started'), h('th', { class: 'num' }, 'Duration')),
    ),
    tbody,
  );
  const footer = h('div', { class: 'table-foot muted small' });
  const empty = h('div');
  main.append(
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Executions'), h('p', { class: 'lead' }, 'Every API request runs one execution, named after its X-Request-Id.'))),
    form,
    h('div', { class: 'card card-flush' }, table, empty, footer),
  );

  let alive = true;
  api.outputs().then(({ resources }) => {
    if (!alive) return;
    for (const r of resources) resource.append(h('option', { value: r.name, selected: r.name === query.resource }, r.name));
  });

  const load = async () => {
    try {
      const { executions, total, truncated } = await api.executions({ ...query, limit: 200, include: 'method' });
      if (!alive) return;
      tbody.replaceChildren(...executions.map(row));
      empty.replaceChildren(executions.length ? '' : emptyState(query));
      footer.textContent = executions.length ? `${truncated ? `Newest ${executions.length} of ${total}` : `${total} execution${total === 1 ? '' : 's'}`} · updates live` : '';
    } catch (error) {
      if (alive) empty.replaceChildren(placeholder('error', 'Could not load the executions', error.message));
    }
  };
  empty.replaceChildren(placeholder('loading', 'Loading…'));
  load();
  const refresh = throttle(load, 400);
  const off = on('execution', refresh);
  const tick = setInterval(() => tbody.querySelectorAll('[data-ago]').forEach((el) => (el.textContent = formatAgo(el.dataset.ago))), 5000);
  return () => {
    alive = false;
    off();
    clearInterval(tick);
  };
}

function row(e) {
  const open = () => (location.hash = `#/executions/${encodeURIComponent(e.executionArn)}`);
  return h(
    'tr',
    {
      testid: 'execution-row',
      'data-request-id': e.name,
      'data-status': e.status,
      'data-resource': e.resource ?? '',
      tabindex: 0,
      onclick: open,
      onkeydown: (ev) => ev.key === 'Enter' && open(),
    },
    h('td', {}, pill(e.status)),
    h(
      'td',
      { class: 'id-cell' },
      h(
        'div',
        { class: 'one-line' },
        h('a', { class: 'mono', href: `#/executions/${encodeURIComponent(e.executionArn)}`, title: e.name, onclick: (ev) => ev.stopPropagation() }, e.name),
        e.redrive ? h('span', { class: 'tag tag-soft', title: `Replay of ${e.requestId} by the redrive` }, 'redrive') : null,
      ),
      // A failed execution answered nothing: its error goes here, the HTTP column says so with a dash.
      e.error ? h('div', { class: 'row-error one-line mono', title: e.cause ? `${e.error}: ${e.cause}` : e.error }, e.error) : null,
    ),
    h('td', {}, e.method ? h('span', { class: `method method-${e.method.toLowerCase()}` }, e.method) : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'one-line' }, e.resource ?? e.stateMachineName),
    h('td', { class: 'num' }, e.statusCode ? h('span', { class: `http http-${String(e.statusCode)[0]}xx` }, String(e.statusCode)) : h('span', { class: 'muted', title: e.status === 'RUNNING' ? 'Still running' : 'No HTTP response: the execution did not succeed' }, '—')),
    h('td', { class: 'nowrap' }, formatTime(e.startDate), h('span', { class: 'muted small ago', 'data-ago': e.startDate }, formatAgo(e.startDate))),
    h('td', { class: 'num' }, e.status === 'RUNNING' ? h('span', { class: 'muted' }, 'running…') : formatDuration(e.durationMs)),
  );
}

function emptyState(query) {
  if (query.requestId) return placeholder('empty', 'No matching executions', `Nothing has the request id "${query.requestId}"${query.status || query.resource ? ' with these filters' : ''}. Executions are kept in memory or in the data folder (the 10,000 newest).`);
  if (query.status || query.resource) return placeholder('empty', 'No matching executions', 'Try other filters, or clear them.');
  return placeholder('empty', 'No executions yet', 'Call the API (e.g. curl -X POST …/orders) and they appear here live.');
}
