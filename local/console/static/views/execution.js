// #/executions/<ARN>: one execution — what failed and why first, then the graph coloured by outcome with
// the selected state's input/output/retries, then the full event history in GetExecutionHistory order.

import { api } from '../lib/api.js';
import { breakAfterDots, codeBlock, formatDuration, formatTime, h, pill, placeholder } from '../lib/dom.js';
import { graphViewer } from '../lib/graph.js';
import { on, throttle } from '../lib/live.js';
import { historyTable } from './history.js';

const ENDED_BADLY = { FAILED: 'Failed', TIMED_OUT: 'Timed out', ABORTED: 'Aborted' };

export function renderExecution(main, executionArn) {
  const root = h('div', {}, placeholder('loading', 'Loading the execution…'));
  main.append(root);
  let alive = true;
  let selected;
  let poll;
  /** The graph's zoom and scroll, kept across redraws (a running execution is redrawn every second). */
  const view = {};

  const load = async () => {
    let detail;
    try {
      detail = await api.execution(executionArn);
    } catch (error) {
      if (alive) root.replaceChildren(backLink(), placeholder('error', 'Execution not found', `${error.message}. Executions are kept in memory or in the data folder (the 10,000 newest).`));
      return;
    }
    if (!alive) return;
    selected ??= defaultState(detail);
    root.replaceChildren(...page(detail, () => selected, (s) => (selected = s), view));
    clearTimeout(poll);
    // A running execution's history grows between its start and end events: follow it.
    if (detail.status === 'RUNNING') poll = setTimeout(load, 1000);
  };
  load();
  const refresh = throttle(load, 300);
  const off = on('execution', (e) => e.executionArn === executionArn && refresh());
  return () => {
    alive = false;
    clearTimeout(poll);
    off();
  };
}

function page(d, getSelected, setSelected, view) {
  const states = d.analysis.states;
  const panel = h('section', { class: 'card state-card', testid: 'state-panel' });
  let viewer;
  const render = (name) => panel.replaceChildren(...statePanel(name, states[name], d).filter(Boolean));
  /** Selects a state: highlighted in the graph, its details below it. From outside the graph, scrolls there. */
  const showState = (name, fromGraph) => {
    setSelected(name);
    render(name);
    viewer?.select(name);
    if (!fromGraph) panel.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  };
  if (d.graph) viewer = graphViewer(d.graph, { runs: states, transitions: d.analysis.transitions, selected: getSelected(), onSelect: (name) => showState(name, true), maxHeight: 640, view });
  render(getSelected());

  return [
    h(
      'div',
      { testid: 'execution-detail', 'data-status': d.status, 'data-execution-arn': d.executionArn, class: 'stack' },
      header(d),
      failureBox(d, showState),
      caughtBoxes(d, showState),
      h(
        'section',
        { class: 'card card-graph' },
        h('div', { class: 'section-title' }, h('h2', {}, 'Graph'), h('span', { class: 'muted small' }, 'Click a state for its input, output, error and retries.')),
        viewer ? viewer.element : placeholder('empty', 'The state machine is gone'),
      ),
      panel,
      h(
        'details',
        { class: 'card card-details', open: true },
        h('summary', { class: 'section-title' }, 'Execution input and output'),
        h('div', { class: 'io-grid' }, codeBlock(d.input, { label: 'Input', maxHeight: 280 }), d.output !== undefined ? codeBlock(d.output, { label: 'Output', maxHeight: 280 }) : h('div', { class: 'muted no-output' }, 'No output: the execution did not succeed.')),
      ),
      h('section', { class: 'card card-flush' }, h('div', { class: 'card-head' }, h('h2', { class: 'section-title' }, 'Event history', h('span', { class: 'muted small' }, `${d.events.length} events, in GetExecutionHistory order`))), historyTable(d, showState)),
    ),
  ];
}

function backLink() {
  return h('nav', { class: 'crumbs' }, h('a', { href: '#/executions' }, 'Executions'), h('span', {}, '›'));
}

function header(d) {
  return h(
    'div',
    { class: 'page-head' },
    h(
      'div',
      {},
      h('nav', { class: 'crumbs' }, h('a', { href: '#/executions' }, 'Executions'), h('span', {}, '›'), d.resource ? h('a', { href: `#/executions?resource=${encodeURIComponent(d.resource)}` }, d.resource) : null, d.resource ? h('span', {}, '›') : null),
      h('h1', { class: 'mono title-id' }, d.name, ' ', pill(d.status)),
      h(
        'div',
        { class: 'facts facts-inline' },
        d.requestId !== d.name ? fact('Request id', h('span', { class: 'mono' }, d.requestId)) : null,
        d.resource ? fact('Resource', `/${d.resource}`) : null,
        fact('HTTP response', d.statusCode ? h('span', { class: `http http-${String(d.statusCode)[0]}xx` }, String(d.statusCode)) : '—'),
        fact('Started', formatTime(d.startDate)),
        fact('Duration', d.status === 'RUNNING' ? 'running…' : formatDuration(d.durationMs)),
        fact('State machine', h('span', { class: 'mono small' }, d.stateMachineName)),
        d.redrive ? fact('Redrive', h('a', { href: `#/executions?requestId=${encodeURIComponent(d.requestId)}` }, `replay #${d.redrive} of ${d.requestId}`)) : null,
      ),
      arnLine(d.executionArn),
    ),
  );
}

/** The execution ARN on one monospace line, cut with an ellipsis when too long (whole in its tooltip), and a copy button. */
function arnLine(arn) {
  const copy = h('button', { class: 'btn btn-ghost btn-xs', type: 'button', title: 'Copy the execution ARN' }, 'Copy');
  copy.addEventListener('click', () => {
    navigator.clipboard?.writeText(arn).then(
      () => flashText(copy, 'Copied'),
      () => flashText(copy, 'Select and copy'),
    );
  });
  return h('div', { class: 'arn' }, h('span', { class: 'arn-label' }, 'ARN'), h('span', { class: 'arn-value mono', title: arn }, arn), copy);
}

function flashText(button, text) {
  button.textContent = text;
  setTimeout(() => (button.textContent = 'Copy'), 1200);
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('span', { class: 'fact-label' }, label), h('span', { class: 'fact-value' }, value));
}

/** FAILED / TIMED_OUT / ABORTED: the error, the cause and the state, before anything else. */
function failureBox(d, showState) {
  const verb = ENDED_BADLY[d.status];
  if (!verb) return null;
  const failure = d.analysis.failure ?? {};
  const state = failure.state;
  const run = state ? d.analysis.states[state] : undefined;
  return h(
    'section',
    { class: 'callout callout-error', testid: 'execution-error', role: 'alert' },
    h('div', { class: 'callout-title' }, `${verb}${state ? ' in state ' : ''}`, state ? h('button', { class: 'link', type: 'button', onclick: () => showState(state) }, state) : null, run?.retries?.length ? h('span', { class: 'muted' }, ` after retried ${run.retries.length}×`) : null),
    h('div', { class: 'callout-row' }, h('span', { class: 'callout-label' }, 'Error'), h('code', { class: 'error-code' }, d.error ?? failure.error ?? '(none)')),
    h('div', { class: 'callout-row' }, h('span', { class: 'callout-label' }, 'Cause'), h('pre', { class: 'cause' }, d.cause ?? failure.cause ?? '(none)')),
  );
}

/** Errors caught on the way: the execution succeeded, but not by the happy path (e.g. queued to the DLQ). */
function caughtBoxes(d, showState) {
  if (ENDED_BADLY[d.status] || !d.analysis.caught.length) return null;
  const queued = d.statusCode === 202;
  return h(
    'section',
    { class: 'callout callout-caught' },
    h('div', { class: 'callout-title' }, queued ? 'The write failed and was queued to the dead-letter queue (202 Accepted)' : 'Errors were caught on the way'),
    d.analysis.caught.map((c) => {
      const run = d.analysis.states[c.state];
      return h(
        'div',
        { class: 'callout-line' },
        h('button', { class: 'link mono', type: 'button', onclick: () => showState(c.state) }, c.state),
        h('span', {}, ' failed with '),
        h('code', { class: 'error-code' }, c.error ?? 'an error'),
        run?.retries?.length ? h('span', {}, ` (retried ${run.retries.length}×)`) : null,
        c.next ? h('span', {}, ', caught → ', h('button', { class: 'link mono', type: 'button', onclick: () => showState(c.next) }, c.next)) : null,
        c.cause ? h('div', { class: 'cause-line muted small' }, c.cause) : null,
      );
    }),
    queued
      ? h(
          'div',
          { class: 'callout-row' },
          h('a', { class: 'btn btn-sm', href: `#/dlq?requestId=${encodeURIComponent(d.requestId)}` }, 'Open the dead-letter queues'),
          h('a', { class: 'btn btn-sm', href: `#/requests/${encodeURIComponent(d.requestId)}` }, 'Follow the request'),
        )
      : null,
  );
}

/** The state the panel opens on: where it failed, else where an error was caught, else the last state entered. */
function defaultState(d) {
  const a = d.analysis;
  if (a.failure?.state && a.states[a.failure.state]) return a.failure.state;
  if (a.caught.length) return a.caught[a.caught.length - 1].state;
  const failed = Object.values(a.states).find((s) => s.outcome === 'failed' || s.outcome === 'caught');
  if (failed) return failed.state;
  for (let i = d.events.length - 1; i >= 0; i--) {
    const name = d.events[i].stateEnteredEventDetails?.name;
    if (name && a.states[name]) return name;
  }
  return undefined;
}

function statePanel(name, run, d) {
  if (!name || !run) return [h('h2', { class: 'section-title' }, 'State'), h('p', { class: 'muted' }, 'Select a state in the graph.')];
  const node = d.graph?.nodes.find((n) => n.state === name);
  const parts = [
    h('div', { class: 'panel-head' }, h('h2', { class: 'section-title' }, h('span', { class: 'muted' }, 'State'), h('span', { class: 'mono' }, name), pill(run.outcome))),
    h('div', { class: 'muted small' }, [node?.type, node?.resource].filter(Boolean).join(' · ')),
    node?.comment ? h('p', { class: 'state-comment' }, node.comment) : null,
  ];
  if (run.outcome === 'not-reached') return [...parts, h('p', { class: 'muted' }, 'This execution did not enter this state.')];
  // Facts on one line; the error and the retries side by side; then input and output side by side.
  const problems = [];
  if (run.error || run.cause) {
    problems.push(h('div', { class: `mini-callout ${run.outcome === 'failed' ? 'callout-error' : 'callout-caught'}` }, h('code', { class: 'error-code' }, breakAfterDots(run.error ?? '')), run.cause ? h('pre', { class: 'cause' }, run.cause) : null));
  }
  if (run.retries.length) problems.push(retriesList(run.retries));
  const io = [
    run.input !== undefined ? codeBlock(run.input, { label: 'Input', maxHeight: 320 }) : h('div', { class: 'muted no-output' }, 'No input recorded.'),
    run.output !== undefined ? codeBlock(run.output, { label: 'Output', maxHeight: 320 }) : h('div', { class: 'muted no-output' }, run.outcome === 'running' ? 'Still running: no output yet.' : 'No output: the state did not complete.'),
  ];
  return [...parts, stateFacts(run), problems.length ? h('div', { class: `state-problems ${problems.length > 1 ? 'two' : ''}` }, problems) : null, h('div', { class: 'io-grid' }, io)];
}

function stateFacts(run) {
  return h(
    'div',
    { class: 'facts facts-inline state-facts' },
    fact('Entered', formatTime(run.enteredAt)),
    fact('Duration', run.durationMs !== undefined ? formatDuration(run.durationMs) : '—'),
    run.attempts ? fact('Attempts', String(run.attempts)) : null,
    run.visits > 1 ? fact('Entered', `${run.visits} times`) : null,
    run.caughtBy ? fact('Caught by', h('span', { class: 'mono' }, `Catch → ${run.caughtBy}`)) : null,
  );
}

function retriesList(retries) {
  return h(
    'div',
    { class: 'retries' },
    h('div', { class: 'retries-title' }, `retried ${retries.length}×`),
    h(
      'ol',
      {},
      retries.map((r) =>
        h(
          'li',
          {},
          h('div', {}, h('strong', {}, `Attempt ${r.attempt}`), ` after ${formatDuration(r.delayMs)}`, r.rule ? h('span', { class: 'muted' }, ` — ${ruleText(r.rule)}`) : null),
          r.error ? h('div', { class: 'muted small mono' }, r.error) : null,
        ),
      ),
    ),
  );
}

function ruleText(rule) {
  const upTo = rule.jitterStrategy === 'FULL' ? 'up to ' : '';
  return `Retry[${rule.index}] allows ${upTo}${rule.nominalDelaySeconds} s (interval ${rule.intervalSeconds} s, backoff ×${rule.backoffRate}${rule.maxDelaySeconds !== undefined ? `, max ${rule.maxDelaySeconds} s` : ''}${rule.jitterStrategy ? `, ${rule.jitterStrategy} jitter` : ''}; max ${rule.maxAttempts} retries)`;
}
