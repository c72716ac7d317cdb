// #/requests?status=&resource=: the request records (a 202's Location: /v1/requests/{id}), newest first,
// filtered; refreshed live whenever an execution ends (only executions write the records).

import { api } from '../lib/api.js';
import { breakAfterDots, formatAgo, formatTime, h, pill, placeholder } from '../lib/dom.js';
import { on, throttle } from '../lib/live.js';

const STATUSES = ['', 'queued', 'applied', 'rejected'];
export const STATUS_TEXT = {
  queued: 'Queued: waiting in the dead-letter queue for a replay',
  applied: 'Applied: a replay stored it (2xx)',
  rejected: 'Rejected: a replay answered 4xx, it can never succeed',
};

export function renderRequests(main, params) {
  const query = { status: params.get('status') ?? '', resource: params.get('resource') ?? '' };
  const go = (change) => {
    const next = new URLSearchParams(Object.entries({ ...query, ...change }).filter(([, v]) => v));
    const text = next.toString();
    const hash = `#/requests${text ? `?${text}` : ''}`;
    if (location.hash === hash) load();
    else location.hash = hash;
  };

  const status = h('select', { testid: 'filter-request-status', 'aria-label': 'Status', onchange: () => go({ status: status.value }) }, STATUSES.map((s) => h('option', { value: s, selected: s === query.status }, s || 'All statuses')));
  const resource = h('select', { testid: 'filter-request-resource', 'aria-label': 'Resource', onchange: () => go({ resource: resource.value }) }, h('option', { value: '' }, 'All resources'));
  const form = h(
    'form',
    { class: 'toolbar', onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'field' }, h('label', {}, 'Status'), status),
    h('div', { class: 'field' }, h('label', {}, 'Resource'), resource),
    query.status || query.resource ? h('a', { class: 'btn btn-ghost clear-filters', href: '#/requests' }, 'Clear filters') : null,
  );

  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'table table-click table-fixed requests', testid: 'requests-table' },
    h('colgroup', {}, ['id', 'resource', 'request', 'status', 'reason', 'attempts', 'received', 'finished'].map((c) => h('col', { class: `col-${c}` }))),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Request id'),
        h('th', {}, 'Resource'),
        h('th', {}, 'Request'),
        h('th', {}, 'Status'),
        h('th', {}, 'Reason'),
        h('th', { class: 'num' }, 'Attempts'),
        h('th', {}, 'Received'),
        h('th', {}, 'Finished'),
      ),
    ),
    tbody,
  );
  const footer = h('div', { class: 'table-foot muted small' });
  const empty = h('div');
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Requests'),
        h('p', { class: 'lead' }, 'A write that cannot be applied at once answers 202 Accepted with Location: /v1/requests/{id}, and is recorded here: queued until a replay applies or rejects it.'),
      ),
    ),
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
      const { requests, total, truncated, capped } = await api.requests({ ...query, limit: 200 });
      if (!alive) return;
      tbody.replaceChildren(...requests.map(row));
      empty.replaceChildren(requests.length ? '' : emptyState(query));
      const count = truncated ? `Newest ${requests.length} of ${total}` : `${total} request${total === 1 ? '' : 's'}`;
      footer.textContent = requests.length ? `${count}${capped ? ' (the scan stopped after the first 5,000 records: older ones may be missing)' : ''} · updates live` : '';
    } catch (error) {
      if (alive) empty.replaceChildren(placeholder('error', 'Could not load the requests', error.message));
    }
  };
  empty.replaceChildren(placeholder('loading', 'Loading…'));
  load();
  const refresh = throttle(load, 400);
  // A record changes only when an execution writes it: the first one (queued) or a replay (applied, rejected…).
  const off = on('execution', (e) => e.status !== 'RUNNING' && refresh());
  const tick = setInterval(() => tbody.querySelectorAll('[data-ago]').forEach((el) => (el.textContent = formatAgo(el.dataset.ago))), 5000);
  return () => {
    alive = false;
    off();
    clearInterval(tick);
  };
}

function row(r) {
  const href = `#/requests/${encodeURIComponent(r.requestId)}`;
  const open = () => (location.hash = href);
  return h(
    'tr',
    {
      testid: 'request-row',
      'data-request-id': r.requestId,
      'data-status': r.status,
      'data-resource': r.resource ?? '',
      tabindex: 0,
      onclick: open,
      onkeydown: (ev) => ev.key === 'Enter' && open(),
    },
    h('td', { class: 'id-cell' }, h('div', { class: 'one-line' }, h('a', { class: 'mono', href, title: r.requestId, onclick: (ev) => ev.stopPropagation() }, r.requestId)), r.idempotencyKey ? h('div', { class: 'muted small one-line', title: `Idempotency-Key: ${r.idempotencyKey}` }, `key ${r.idempotencyKey}`) : null),
    h('td', { class: 'one-line' }, r.resource ?? '—'),
    h('td', {}, requestCell(r)),
    h('td', {}, pill(r.status, '', STATUS_TEXT[r.status]), r.statusCode ? h('span', { class: `http http-${String(r.statusCode)[0]}xx status-http`, title: r.status === 'queued' ? 'The last replay answered this; it will be tried again' : 'The answer it got' }, String(r.statusCode)) : null),
    h('td', { class: 'reason-cell' }, r.reason ? h('code', { class: 'reason', title: r.reason }, breakAfterDots(r.reason)) : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num' }, String(r.attempts ?? 0)),
    h('td', { class: 'nowrap' }, r.receivedAt ? [formatTime(r.receivedAt), h('div', { class: 'muted small', 'data-ago': r.receivedAt }, formatAgo(r.receivedAt))] : '—'),
    h('td', { class: 'nowrap' }, r.finishedAt ? formatTime(r.finishedAt) : h('span', { class: 'muted' }, r.status === 'queued' ? 'waiting…' : '—')),
  );
}

export function requestCell(r) {
  if (!r.method && !r.path) return h('span', { class: 'muted' }, '—');
  return h('div', { class: 'mono one-line', title: `${r.method ?? ''} ${r.path ?? ''}` }, r.method ? h('span', { class: `method method-${r.method.toLowerCase()}` }, r.method) : null, ' ', r.path ?? '');
}

function emptyState(query) {
  if (query.status || query.resource) return placeholder('empty', 'No matching requests', 'Try other filters, or clear them.');
  return placeholder('empty', 'No requests recorded yet', 'Only writes answered 202 Accepted have a record: e.g. with readOnly on, or while DynamoDB throttles (a fault injected with POST /_local/faults).');
}
