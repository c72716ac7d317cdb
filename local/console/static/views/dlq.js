// #/dlq: each resource's dead-letter queue, read without receiving (peek); redrive one message or all of
// them through the redrive Lambda's own code, and see each message's outcome. New messages appear live.
// #/dlq?requestId=<id> (from a request's page) highlights that request's message and scrolls to it.

import { api } from '../lib/api.js';
import { breakAfterDots, codeBlock, formatAgo, formatTime, h, pill, placeholder } from '../lib/dom.js';
import { on, throttle } from '../lib/live.js';

const OUTCOME_TEXT = {
  applied: 'Applied: replayed, answered 2xx, deleted from the queue',
  rejected: 'Rejected: replayed, answered 4xx (can never succeed), deleted',
  kept: 'Kept: the replay failed again, the message stays for a later redrive',
  poison: 'Poison: unreadable or received too often, not replayed, kept',
};

export function renderDlq(main, params = new URLSearchParams()) {
  const wanted = params.get('requestId') ?? '';
  let revealed = false;
  const list = h('div', { class: 'stack' }, placeholder('loading', 'Loading the queues…'));
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Dead-letter queues'),
        h('p', { class: 'lead' }, 'Writes that could not be stored wait here with the original request. A redrive replays them through the resource’s state machine (idempotent), as the 5-minute redrive Lambda does.'),
      ),
    ),
    list,
  );
  let alive = true;
  /** Per resource: the last redrive's outcomes and whether one runs (kept across live refreshes). */
  const state = {};

  const load = async () => {
    try {
      const { queues } = await api.dlq();
      if (!alive) return;
      list.replaceChildren(...queues.map((q) => section(q, state[q.resource] ??= { outcomes: [], busy: false, expanded: new Set() }, redrive, wanted)));
      const highlighted = wanted ? list.querySelector('tr.highlight') : null;
      if (highlighted && !revealed) {
        revealed = true;
        highlighted.scrollIntoView({ block: 'center' });
      }
    } catch (error) {
      if (alive) list.replaceChildren(placeholder('error', 'Could not load the queues', error.message));
    }
  };
  const redrive = async (resource, messageIds) => {
    const s = state[resource];
    s.busy = true;
    s.error = undefined;
    s.scope = messageIds ? 'one' : 'all';
    await load();
    try {
      const { outcomes } = await api.redrive(resource, messageIds);
      s.outcomes = outcomes;
      s.at = new Date().toISOString();
    } catch (error) {
      s.error = error.message;
    }
    s.busy = false;
    if (alive) await load();
  };
  load();
  const refresh = throttle(load, 300);
  const off = on('dlq', refresh);
  return () => {
    alive = false;
    off();
  };
}

function section(q, s, redrive, wanted) {
  const count = q.messages.length;
  return h(
    'section',
    { class: 'card card-flush dlq', testid: 'dlq-section', 'data-resource': q.resource, 'data-count': String(q.count) },
    h(
      'header',
      { class: 'card-head' },
      h('div', { class: 'card-title' }, h('h2', {}, `/${q.resource}`, h('span', { class: `count ${count ? 'count-warn' : ''}` }, `${q.count} message${q.count === 1 ? '' : 's'}`)), h('div', { class: 'muted mono small' }, q.queueName)),
      h(
        'div',
        { class: 'card-actions' },
        s.busy ? h('span', { class: 'spinner-text' }, 'Redriving…') : null,
        h('button', { testid: 'redrive-all', class: 'btn btn-primary', type: 'button', disabled: s.busy || count === 0, onclick: () => redrive(q.resource) }, 'Redrive all'),
      ),
    ),
    count ? messagesTable(q, s, redrive, wanted) : h('div', { class: 'empty-row muted' }, 'No messages waiting.'),
    results(q, s),
  );
}

function messagesTable(q, s, redrive, wanted) {
  return h(
    'table',
    { class: 'table table-fixed' },
    h('colgroup', {}, ['request', 'id', 'error', 'when', 'receives', 'action'].map((c) => h('col', { class: `col-${c}` }))),
    h('thead', {}, h('tr', {}, h('th', {}, 'Request'), h('th', {}, 'Request id'), h('th', {}, 'Error'), h('th', {}, 'Queued'), h('th', { class: 'num' }, 'Receives'), h('th', {}))),
    h(
      'tbody',
      {},
      q.messages.map((m) =>
        h(
          'tr',
          { testid: 'dlq-message', 'data-message-id': m.messageId, 'data-request-id': m.requestId ?? '', class: [m.visible ? '' : 'in-flight', wanted && m.requestId === wanted ? 'highlight' : ''].join(' ').trim() || undefined },
          h('td', {}, requestCell(m, s.expanded)),
          h(
            'td',
            {},
            m.requestId ? h('a', { class: 'request-id mono one-line', href: `#/executions?requestId=${encodeURIComponent(m.requestId)}`, title: `${m.requestId}: find its executions` }, m.requestId) : '—',
            h(
              'div',
              { class: 'small links' },
              m.executionArn ? h('a', { href: `#/executions/${encodeURIComponent(m.executionArn)}` }, 'execution →') : null,
              m.requestId ? h('a', { href: `#/requests/${encodeURIComponent(m.requestId)}`, title: 'Its request record (GET /v1/requests/{id})' }, 'request →') : null,
            ),
          ),
          h(
            'td',
            { class: 'error-cell' },
            m.unreadable
              ? h('span', { class: 'text-error' }, `Unreadable: ${m.unreadable}`)
              : [h('code', { class: 'error-code', title: m.error }, m.error ? breakAfterDots(m.error) : '—'), m.cause ? h('div', { class: 'muted small clamp-2', title: m.cause }, m.cause) : null],
          ),
          h('td', { class: 'nowrap' }, h('div', {}, formatTime(m.queuedAt)), h('div', { class: 'muted small' }, formatAgo(m.queuedAt))),
          h('td', { class: 'num' }, String(m.receiveCount), m.visible ? null : h('div', { class: 'muted small' }, 'in flight')),
          h('td', { class: 'num' }, h('button', { testid: 'redrive-one', class: 'btn btn-sm', type: 'button', disabled: s.busy, onclick: () => redrive(q.resource, [m.messageId]) }, 'Redrive')),
        ),
      ),
    ),
  );
}

/** Method and path, then the body: its first two lines, and the whole of it (pretty-printed) on demand. */
function requestCell(m, expanded) {
  if (m.event) return h('div', { class: 'mono one-line', testid: 'dlq-event', title: m.event.detail ?? '' }, h('span', { class: 'muted' }, 'event '), m.event.detailType ?? '?', h('div', { class: 'muted small' }, 'deferred: the redrive publishes it'));
  if (!m.request) return h('span', { class: 'muted' }, 'not a request');
  const body = m.request.body === undefined || m.request.body === null || m.request.body === '' ? '' : JSON.stringify(m.request.body);
  const full = h('div', { class: 'request-body', hidden: !expanded.has(m.messageId) }, body ? codeBlock(body, { maxHeight: 280 }) : null);
  const toggle = h('button', { class: 'link body-toggle', type: 'button', 'aria-expanded': String(!full.hidden) }, full.hidden ? 'Show the whole body' : 'Hide the body');
  toggle.addEventListener('click', () => {
    full.hidden = !full.hidden;
    if (full.hidden) expanded.delete(m.messageId);
    else expanded.add(m.messageId);
    toggle.textContent = full.hidden ? 'Show the whole body' : 'Hide the body';
    toggle.setAttribute('aria-expanded', String(!full.hidden));
    preview.hidden = !full.hidden;
  });
  const preview = h('div', { class: 'mono small body-preview', title: body, hidden: !full.hidden }, body);
  return h(
    'div',
    {},
    h('div', { class: 'mono one-line', title: `${m.request.method} ${m.request.path}` }, h('span', { class: `method method-${String(m.request.method).toLowerCase()}` }, m.request.method), ' ', m.request.path),
    body ? [preview, full, toggle] : null,
  );
}

function results(q, s) {
  if (!s.at && !s.error) return null;
  return h(
    'div',
    { class: 'results' },
    h('div', { class: 'results-title' }, `Last redrive${s.at ? ` at ${formatTime(s.at)}` : ''}`, s.error ? h('span', { class: 'text-error' }, ` failed: ${s.error}`) : ` · ${summary(s.outcomes)}`),
    s.outcomes.length === 0 && !s.error ? h('div', { class: 'muted small' }, 'Nothing was replayed.') : null,
    h(
      'ul',
      { class: 'outcomes' },
      s.outcomes.map((o) =>
        h(
          'li',
          { testid: 'redrive-outcome', 'data-message-id': o.messageId, 'data-outcome': o.outcome, title: OUTCOME_TEXT[o.outcome] },
          pill(o.outcome),
          h('span', { class: 'mono small' }, o.requestId ?? o.messageId),
          o.statusCode ? h('span', { class: `http http-${String(o.statusCode)[0]}xx` }, String(o.statusCode)) : null,
          o.executionArn ? h('a', { class: 'small', href: `#/executions/${encodeURIComponent(o.executionArn)}` }, 'replay execution →') : null,
          o.error ? h('span', { class: 'muted small' }, o.error) : null,
          h('span', { class: 'muted small' }, `receive #${o.receiveCount}`),
        ),
      ),
    ),
  );
}

function summary(outcomes) {
  const counts = {};
  for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
  return Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing to replay';
}
