// #/requests/<requestId>: one request record — where it stands and why it was queued, the answer it finally
// got, its executions (the first named after the request id, the replays <id>-redrive-<n>), its message in
// the dead-letter queue while it waits, and every field of the record. Follows its replays live.

import { api } from '../lib/api.js';
import { breakAfterDots, codeBlock, formatAgo, formatDuration, formatTime, h, pill, placeholder } from '../lib/dom.js';
import { on, throttle } from '../lib/live.js';
import { STATUS_TEXT, requestCell } from './requests.js';

export function renderRequest(main, requestId) {
  const root = h('div', {}, placeholder('loading', 'Loading the request…'));
  main.append(root);
  let alive = true;

  const load = async () => {
    let r;
    try {
      r = await api.request(requestId);
    } catch (error) {
      if (alive) root.replaceChildren(crumbs(), notFound(requestId, error));
      return;
    }
    if (alive) root.replaceChildren(page(r));
  };
  load();
  const refresh = throttle(load, 300);
  // The record changes when one of its executions ends; its DLQ message when the redrive takes or deletes it.
  const offExecution = on('execution', (e) => e.requestId === requestId && refresh());
  const offDlq = on('dlq', refresh);
  return () => {
    alive = false;
    offExecution();
    offDlq();
  };
}

function crumbs(r) {
  return h(
    'nav',
    { class: 'crumbs' },
    h('a', { href: '#/requests' }, 'Requests'),
    h('span', {}, '›'),
    r?.resource ? [h('a', { href: `#/requests?resource=${encodeURIComponent(r.resource)}` }, r.resource), h('span', {}, '›')] : null,
  );
}

function notFound(requestId, error) {
  const unknown = /no request record/i.test(error.message);
  return h(
    'div',
    { class: 'stack', testid: 'request-not-found' },
    placeholder(
      unknown ? 'empty' : 'error',
      unknown ? 'No record of this request (yet)' : 'Could not load the request',
      unknown
        ? `${requestId}: a request answered 202 is recorded when it is queued or, if the table was what failed, by its first replay; a request that was never answered 202 has no record.`
        : error.message,
    ),
    h('div', { class: 'center' }, h('a', { class: 'btn btn-sm', href: `#/executions?requestId=${encodeURIComponent(requestId)}` }, 'Find its executions')),
  );
}

function page(r) {
  return h(
    'div',
    { class: 'stack', testid: 'request-detail', 'data-request-id': r.requestId, 'data-status': r.status },
    header(r),
    reasonBox(r),
    deadLetterBox(r),
    outcomeCard(r),
    executionsCard(r),
    h(
      'details',
      { class: 'card card-details' },
      h('summary', { class: 'section-title' }, 'The record, every field'),
      h('p', { class: 'muted small' }, 'As GET /v1/requests/{id} reads it from the requests table (DynamoDB item pk = request#<id>; lastAttempt and outcome are stored as JSON text).'),
      codeBlock(recordOnly(r), { maxHeight: 420 }),
    ),
  );
}

function header(r) {
  const last = r.lastAttempt;
  return h(
    'div',
    { class: 'page-head' },
    h(
      'div',
      {},
      crumbs(r),
      h('h1', { class: 'mono title-id' }, r.requestId, ' ', pill(r.status, '', STATUS_TEXT[r.status])),
      h(
        'div',
        { class: 'facts facts-inline' },
        fact('Request', requestCell(r)),
        r.resource ? fact('Resource', `/${r.resource}`) : null,
        fact('HTTP response', r.statusCode ? h('span', { class: `http http-${String(r.statusCode)[0]}xx`, testid: 'request-http' }, String(r.statusCode)) : r.status === 'queued' ? 'not yet' : '—'),
        fact('Received', r.receivedAt ? formatTime(r.receivedAt) : '—'),
        fact('Queued', r.queuedAt ? formatTime(r.queuedAt) : '—'),
        fact('Attempts', h('span', { testid: 'request-attempts' }, String(r.attempts ?? 0))),
        r.finishedAt ? fact('Finished', `${formatTime(r.finishedAt)}${r.queuedAt ? ` (${formatDuration(new Date(r.finishedAt) - new Date(r.queuedAt))} after it was queued)` : ''}`) : null,
        last ? fact('Last attempt', [formatTime(last.at ?? r.lastAttemptAt), last.statusCode ? ` → ${last.statusCode}` : '', last.final ? ' (final)' : ' (will be retried)']) : null,
        r.idempotency ? fact('Idempotency-Key', h('span', { class: 'mono', title: r.idempotency.fingerprint ? `fingerprint ${r.idempotency.fingerprint}` : undefined }, `${r.idempotency.key} (${r.idempotency.status ?? '?'})`)) : r.idempotencyKey ? fact('Idempotency-Key', h('span', { class: 'mono' }, r.idempotencyKey)) : null,
        r.expiresAt ? fact('Expires', `${formatTime(r.expiresAt)} (TTL)`) : null,
      ),
    ),
  );
}

/** Why it was queued: the reason (error name or ReadOnlyMode…) and its cause. */
function reasonBox(r) {
  if (!r.reason && !r.cause) return null;
  return h(
    'section',
    { class: `callout ${r.status === 'queued' ? 'callout-caught' : 'callout-quiet'}`, testid: 'request-reason' },
    h('div', { class: 'callout-title' }, r.status === 'queued' ? 'Queued, waiting for a replay' : `Queued, then ${r.status}`),
    h('div', { class: 'callout-row' }, h('span', { class: 'callout-label' }, 'Reason'), h('code', { class: 'error-code' }, breakAfterDots(r.reason ?? '(none)'))),
    r.cause ? h('div', { class: 'callout-row' }, h('span', { class: 'callout-label' }, 'Cause'), h('pre', { class: 'cause' }, r.cause)) : null,
  );
}

/** While it waits: its message in the dead-letter queue, with a link there. */
function deadLetterBox(r) {
  if (r.status !== 'queued') return null;
  const m = r.deadLetter;
  if (!m) {
    return h(
      'section',
      { class: 'card', testid: 'request-dlq' },
      h('div', { class: 'muted' }, 'No message of this request in the dead-letter queues right now: a redrive may hold it (in flight), or it was requeued under another message id.'),
    );
  }
  return h(
    'section',
    { class: 'card dlq-box', testid: 'request-dlq' },
    h(
      'div',
      {},
      h('strong', {}, `Waiting in the ${m.resource} dead-letter queue`),
      h('div', { class: 'muted small' }, `message ${m.messageId} · queued ${formatTime(m.queuedAt)} (${formatAgo(m.queuedAt)}) · received ${m.receiveCount} time${m.receiveCount === 1 ? '' : 's'}${m.visible ? '' : ' · in flight'}`),
    ),
    h('a', { class: 'btn btn-sm', testid: 'request-dlq-link', href: `#/dlq?requestId=${encodeURIComponent(r.requestId)}` }, 'Open the message'),
  );
}

/** The answer the request finally got (what the client would have received), pretty-printed. */
function outcomeCard(r) {
  const unreadable = r.unreadable?.outcome;
  if (!r.outcome && !unreadable) {
    if (r.status !== 'queued') return null;
    return h('section', { class: 'card' }, h('h2', { class: 'section-title' }, 'Outcome'), h('p', { class: 'muted' }, 'None yet: a replay that applies or rejects the request records the answer here.'));
  }
  const o = r.outcome ?? {};
  return h(
    'section',
    { class: 'card', testid: 'request-outcome' },
    h('h2', { class: 'section-title' }, 'Outcome', o.statusCode ? h('span', { class: `http http-${String(o.statusCode)[0]}xx` }, String(o.statusCode)) : null, h('span', { class: 'muted small' }, 'the answer the request got, as the client would have received it')),
    unreadable
      ? codeBlock(unreadable, { label: 'Stored outcome (not JSON)', maxHeight: 320 })
      : h('div', { class: 'io-grid' }, codeBlock(o.headers ?? {}, { label: 'Headers', maxHeight: 320 }), codeBlock(o.body === undefined || o.body === null ? 'null' : o.body, { label: 'Body', maxHeight: 320 })),
  );
}

function executionsCard(r) {
  const all = `#/executions?requestId=${encodeURIComponent(r.requestId)}`;
  const lastName = r.lastAttempt?.execution;
  return h(
    'section',
    { class: 'card card-flush' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { class: 'section-title' }, 'Executions', h('span', { class: 'muted small' }, 'the request’s own, then each replay (<id>-redrive-<n>)')),
      h('a', { class: 'btn btn-sm', testid: 'request-executions-link', href: all }, 'In the executions list'),
    ),
    r.executions?.length
      ? h(
          'table',
          { class: 'table table-click' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Execution'), h('th', {}, 'Status'), h('th', { class: 'num' }, 'HTTP'), h('th', {}, 'Started'), h('th', { class: 'num' }, 'Duration'))),
          h(
            'tbody',
            {},
            r.executions.map((e) => {
              const href = `#/executions/${encodeURIComponent(e.executionArn)}`;
              return h(
                'tr',
                { testid: 'request-execution', 'data-name': e.name, tabindex: 0, onclick: () => (location.hash = href), onkeydown: (ev) => ev.key === 'Enter' && (location.hash = href) },
                h('td', {}, h('a', { class: 'mono', href, onclick: (ev) => ev.stopPropagation() }, e.name), e.redrive ? h('span', { class: 'tag tag-soft' }, `replay #${e.redrive}`) : h('span', { class: 'tag tag-soft' }, 'original'), e.name === lastName ? h('span', { class: 'tag tag-soft' }, 'last attempt') : null),
                h('td', {}, pill(e.status)),
                h('td', { class: 'num' }, e.statusCode ? h('span', { class: `http http-${String(e.statusCode)[0]}xx` }, String(e.statusCode)) : h('span', { class: 'muted' }, '—')),
                h('td', { class: 'nowrap' }, formatTime(e.startDate)),
                h('td', { class: 'num' }, e.status === 'RUNNING' ? h('span', { class: 'muted' }, 'running…') : formatDuration(e.durationMs)),
              );
            }),
          ),
        )
      : h('div', { class: 'empty-row muted' }, 'No executions of this request are kept any more (the local cloud keeps the 10,000 newest).'),
  );
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('span', { class: 'fact-label' }, label), h('span', { class: 'fact-value' }, value));
}

/** The record's own fields (not what the console adds: executions, the DLQ message). */
function recordOnly(r) {
  const { executions, deadLetter, ...record } = r;
  return record;
}
