// An execution's event history, one row per event in GetExecutionHistory order; a row opens on its details.

import { codeBlock, formatDuration, h } from '../lib/dom.js';

const FAILURE = /(Failed|TimedOut|Aborted)$/;
const SUCCESS = /(Succeeded)$/;

export function historyTable(d, showState) {
  const notes = d.analysis.events;
  const rows = d.events.map((event) => eventRow(event, notes[event.id] ?? {}, showState));
  return h(
    'table',
    { class: 'table history', testid: 'history' },
    h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'ID'), h('th', {}, 'Type'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Elapsed'), h('th', {}, 'Details'))),
    h('tbody', {}, rows),
  );
}

function eventRow(event, note, showState) {
  const details = detailsOf(event);
  const kind = FAILURE.test(event.type) ? 'fail' : SUCCESS.test(event.type) ? 'ok' : /Scheduled|Started$/.test(event.type) ? 'run' : 'neutral';
  const more = h('div', { class: 'event-details', hidden: true }, Object.keys(details).length ? detailBlocks(details) : h('span', { class: 'muted' }, 'No details.'));
  const summary = h('div', { class: 'event-summary' }, summarize(event.type, details, note));
  const toggle = () => {
    more.hidden = !more.hidden;
    tr.classList.toggle('open', !more.hidden);
  };
  const tr = h(
    'tr',
    { testid: 'history-event', 'data-type': event.type, 'data-id': event.id, class: `event event-${kind}`, onclick: (e) => !e.target.closest('a,button,pre,.code-block') && toggle() },
    h('td', { class: 'num muted' }, String(event.id)),
    h('td', {}, h('span', { class: `event-type event-type-${kind}` }, event.type)),
    h('td', {}, note.state ? h('button', { class: 'link mono', type: 'button', onclick: () => showState(note.state) }, note.state) : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num muted mono' }, `+${formatDuration(note.elapsedMs ?? 0)}`),
    h('td', { class: 'event-cell' }, summary, more),
  );
  return tr;
}

/** One line per event: what went in or out, what failed, and for a retried task its attempt and wait. */
function summarize(type, d, note) {
  const parts = [];
  if (note.attempt) parts.push(h('span', { class: 'retry-tag' }, `retry ${note.attempt - 1} · attempt ${note.attempt} · waited ${formatDuration(note.retryDelayMs)}`));
  if (d.error !== undefined || d.cause !== undefined) {
    parts.push(h('code', { class: 'error-code' }, d.error ?? ''), d.cause ? h('span', { class: 'cause-inline' }, ` ${oneLine(d.cause, 160)}`) : null);
    return parts;
  }
  if (type === 'TaskScheduled' || type === 'TaskStarted') parts.push(h('span', { class: 'mono' }, `${d.resourceType ?? ''}:${d.resource ?? ''}`));
  else if (type === 'LambdaFunctionScheduled') parts.push(h('span', { class: 'mono' }, d.resource ?? ''));
  if (d.input !== undefined) parts.push(h('span', { class: 'muted' }, ' input '), h('span', { class: 'mono preview' }, oneLine(d.input, 120)));
  if (d.output !== undefined) parts.push(h('span', { class: 'muted' }, ' output '), h('span', { class: 'mono preview' }, oneLine(d.output, 120)));
  if (d.assignedVariables) parts.push(h('span', { class: 'muted' }, ` assigns ${Object.keys(d.assignedVariables).map((k) => `$${k}`).join(', ')}`));
  if (d.length !== undefined) parts.push(h('span', {}, `${d.length} items`));
  if (d.index !== undefined) parts.push(h('span', {}, `iteration ${d.index}`));
  return parts;
}

function detailBlocks(d) {
  const blocks = [];
  const rest = {};
  for (const [k, v] of Object.entries(d)) {
    if (typeof v === 'string' && (k === 'input' || k === 'output' || k === 'parameters' || k === 'cause')) blocks.push(codeBlock(v, { label: k, maxHeight: 260 }));
    else rest[k] = v;
  }
  if (Object.keys(rest).length) blocks.unshift(codeBlock(JSON.stringify(rest), { label: 'details', maxHeight: 260 }));
  return blocks;
}

function detailsOf(event) {
  for (const [k, v] of Object.entries(event)) if (k.endsWith('EventDetails') && v && typeof v === 'object') return v;
  return {};
}

function oneLine(text, max) {
  const s = String(text).replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
