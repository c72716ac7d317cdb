// The console's shell: hash routes → views, the nav, the Live indicator and the DLQ badge.
//   #/machines   #/executions?status=&resource=&requestId=   #/executions/<encoded ARN>
//   #/requests?status=&resource=   #/requests/<request id>   #/dlq?requestId=   #/circuits   #/flags

import { clear, placeholder } from './lib/dom.js';
import { connect, on } from './lib/live.js';
import { renderCircuits } from './views/circuits.js';
import { renderDlq } from './views/dlq.js';
import { renderExecution } from './views/execution.js';
import { renderExecutions } from './views/executions.js';
import { renderFlags } from './views/flags.js';
import { renderMachines } from './views/machines.js';
import { renderRequest } from './views/request.js';
import { renderRequests } from './views/requests.js';

const main = document.getElementById('view');
let dispose = () => {};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, params: new URLSearchParams(query) };
}

function route() {
  const { parts, params } = parseHash();
  const [view = 'machines', arg] = parts;
  dispose();
  dispose = () => {};
  clear(main);
  document.querySelectorAll('.tabs a').forEach((a) => a.classList.toggle('active', a.dataset.view === view));
  const mount = {
    machines: () => renderMachines(main),
    executions: () => (arg ? renderExecution(main, decodePart(parts.slice(1).join('/'))) : renderExecutions(main, params)),
    requests: () => (arg ? renderRequest(main, decodePart(parts.slice(1).join('/'))) : renderRequests(main, params)),
    dlq: () => renderDlq(main, params),
    circuits: () => renderCircuits(main),
    flags: () => renderFlags(main),
  }[view];
  if (!mount) {
    main.append(placeholder('empty', 'Nothing here', `No view "${view}". Pick one above.`));
    return;
  }
  document.title = `${{ machines: 'State machines', executions: arg ? 'Execution' : 'Executions', requests: arg ? 'Request' : 'Requests', dlq: 'Dead-letter queues', circuits: 'Circuits', flags: 'Feature flags' }[view]} · Local cloud console`;
  const result = mount();
  if (typeof result === 'function') dispose = result;
  window.scrollTo(0, 0);
}

function decodePart(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function setLive(connected) {
  const live = document.getElementById('live');
  live.classList.toggle('connected', connected);
  live.querySelector('.live-text').textContent = connected ? 'Live' : 'Reconnecting…';
}

const dlqCounts = {};
function showDlqCount() {
  const total = Object.values(dlqCounts).reduce((a, b) => a + b, 0);
  const badge = document.getElementById('dlq-badge');
  badge.hidden = total === 0;
  badge.textContent = String(total);
}
on('hello', (hello) => {
  Object.assign(dlqCounts, hello.dlq ?? {});
  showDlqCount();
});
on('dlq', ({ resource, count }) => {
  dlqCounts[resource] = count;
  showDlqCount();
});

window.addEventListener('hashchange', route);
if (!location.hash) history.replaceState(null, '', '#/machines');
connect(setLive);
route();
