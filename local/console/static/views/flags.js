// #/flags: the feature flags deployed to each environment. A toggle (or an attribute edit) publishes a
// new hosted configuration version and deploys it; the flags Lambda sees it on its next AppConfig poll.
// Each row says which: the flag changed by the latest version reads "version N deployed at T, in effect since
// T2 (first poll)" or "… waiting for the next poll"; the others read "unchanged since version M".

import { api } from '../lib/api.js';
import { formatTime, h, placeholder } from '../lib/dom.js';
import { on, throttle } from '../lib/live.js';

export function renderFlags(main) {
  const list = h('div', { class: 'stack' }, placeholder('loading', 'Loading the flags…'));
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Feature flags'),
        h('p', { class: 'lead' }, 'AppConfig feature flags, per environment. A change is a new configuration version, deployed at once; it takes effect when the flags Lambda next polls AppConfig (every 15 s).'),
      ),
    ),
    list,
  );
  let alive = true;
  const busy = new Set();
  let message;
  let environments = [];

  const show = () => {
    list.replaceChildren(...(environments.length ? environments.map((env) => card(env, busy, change)) : [placeholder('empty', 'No feature flags', 'The template has no AppConfig feature-flags profile.')]));
    if (message) list.prepend(message);
  };
  const load = async () => {
    try {
      const result = await api.flags();
      if (!alive) return;
      environments = result.environments;
      show();
    } catch (error) {
      if (alive) list.replaceChildren(placeholder('error', 'Could not load the flags', error.message));
    }
  };
  const change = async (env, flag, update) => {
    const key = `${env.environment.id}/${flag.key}`;
    busy.add(key);
    message = undefined;
    try {
      const result = await api.setFlag({ application: env.application.id, environment: env.environment.id, configurationProfile: env.configurationProfile.id, flag: flag.key, ...update });
      // The view as deployed (pending until the next poll); live events bring the rest.
      environments = environments.map((e) => (e.environment.id === result.environment.environment.id && e.configurationProfile.id === result.environment.configurationProfile.id ? result.environment : e));
    } catch (error) {
      message = h('div', { class: 'callout callout-error', role: 'alert' }, h('div', { class: 'callout-title' }, `Could not change ${flag.key}`), h('div', {}, error.message));
    }
    busy.delete(key);
    if (alive) show();
    refresh();
  };
  const refresh = throttle(load, 250);
  load();
  const off = on('flags', refresh);
  // "waiting for the next poll (expected in N s)" counts down.
  const tick = setInterval(() => list.querySelectorAll('[data-countdown]').forEach((el) => (el.textContent = countdown(el.dataset.countdown))), 1000);
  return () => {
    alive = false;
    off();
    clearInterval(tick);
  };
}

function card(env, busy, change) {
  return h(
    'section',
    { class: 'card card-flush flags', 'data-environment': env.environment.name },
    h(
      'header',
      { class: 'card-head' },
      h(
        'div',
        { class: 'card-title' },
        h('h2', {}, env.environment.name, h('span', { class: 'tag' }, env.configurationProfile.name)),
        h(
          'details',
          { class: 'ids' },
          h('summary', { class: 'muted small' }, env.application.name),
          h(
            'dl',
            { class: 'ids-list mono small' },
            h('dt', {}, 'Application'),
            h('dd', {}, env.application.id),
            h('dt', {}, 'Environment'),
            h('dd', {}, env.environment.id),
            h('dt', {}, 'Profile'),
            h('dd', {}, env.configurationProfile.id),
          ),
        ),
      ),
      h('div', { class: 'card-actions deploy-summary' }, deploymentSummary(env)),
    ),
    h(
      'table',
      { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'toggle-col' }, 'Enabled'), h('th', {}, 'Flag'), h('th', {}, 'Status'))),
      h('tbody', {}, env.flags.map((flag) => row(env, flag, busy.has(`${env.environment.id}/${flag.key}`), change))),
    ),
  );
}

function row(env, flag, busy, change) {
  const toggle = h('input', {
    type: 'checkbox',
    testid: 'flag-toggle',
    role: 'switch',
    'aria-label': `${flag.key} enabled`,
    checked: flag.enabled,
    disabled: busy,
    onchange: () => {
      toggle.disabled = true;
      change(env, flag, { enabled: toggle.checked });
    },
  });
  const hasAttributes = Object.keys(flag.attributeDefinitions ?? {}).length > 0 || Object.keys(flag.attributes ?? {}).length > 0;
  return h(
    'tr',
    { testid: 'flag-row', 'data-flag': flag.key, 'data-enabled': String(flag.enabled) },
    h('td', { class: 'toggle-col' }, h('label', { class: 'switch' }, toggle, h('span', { class: 'slider', 'aria-hidden': 'true' }))),
    h(
      'td',
      {},
      h('div', { class: 'flag-name mono' }, flag.key, flag.name && flag.name !== flag.key ? h('span', { class: 'muted' }, ` ${flag.name}`) : null),
      flag.description ? h('div', { class: 'muted small' }, flag.description) : null,
      hasAttributes ? attributesEditor(env, flag, busy, change) : null,
    ),
    h('td', { class: 'status-col' }, status(env, flag, busy)),
  );
}

function status(env, flag, busy) {
  if (busy) return h('span', { testid: 'flag-status', 'data-state': 'pending', class: 'flag-status pending' }, h('span', { class: 'dot' }), 'Deploying…');
  const effective = flag.state === 'effective';
  // The deployment that set this flag's value: the latest one only for the flag it changed.
  const d = flag.since ?? (effective ? env.effective : env.deployment);
  if (!d) return h('span', { testid: 'flag-status', 'data-state': 'pending', class: 'flag-status pending' }, h('span', { class: 'dot' }), 'Not deployed yet');
  const deployed = `Version ${d.version} deployed at ${formatTime(d.deployedAt)}`;
  if (effective) {
    const changedNow = flag.changed && d.deploymentNumber === env.deployment?.deploymentNumber;
    return h(
      'span',
      { testid: 'flag-status', 'data-state': 'effective', class: 'flag-status effective' },
      h('span', { class: 'dot' }),
      !changedNow
        ? `Unchanged since version ${d.version}`
        : d.effectiveSince
          ? `${deployed}, in effect since ${formatTime(d.effectiveSince)} (first poll)`
          : `${deployed}; the version in effect has the same value`,
    );
  }
  const cold = !env.lastPollAt;
  return h(
    'span',
    { testid: 'flag-status', 'data-state': 'pending', class: 'flag-status pending' },
    h('span', { class: 'dot' }),
    `${deployed}, waiting for the next poll`,
    cold ? h('span', { class: 'muted small' }, ' (the flags Lambda has not polled yet: its first request reads it)') : h('span', { class: 'muted small', 'data-countdown': env.nextPollAt }, countdown(env.nextPollAt)),
  );
}

function countdown(iso) {
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  return s > 0 ? ` (due in ${s} s)` : ' (due now)';
}

function deploymentSummary(env) {
  if (!env.deployment) return h('span', { class: 'muted' }, 'Nothing deployed');
  const d = env.deployment;
  const live = env.effective?.deploymentNumber === d.deploymentNumber;
  return h(
    'div',
    { class: 'deploy' },
    h('div', {}, h('strong', {}, `Version ${d.version}`), h('span', { class: 'muted' }, ` · deployment #${d.deploymentNumber} · ${formatTime(d.deployedAt)}`)),
    h('div', { class: `small ${live ? 'text-ok' : 'text-warn'}` }, live ? `In effect since ${formatTime(d.effectiveSince)} (first poll)` : env.effective ? `Version ${env.effective.version} still in effect; waiting for the next poll` : 'Waiting for the first poll'),
    env.lastPollAt ? h('div', { class: 'muted small' }, `Last poll ${formatTime(env.lastPollAt)}`) : null,
  );
}

function attributesEditor(env, flag, busy, change) {
  const text = h('textarea', { class: 'mono attributes', rows: 3, spellcheck: 'false', disabled: busy }, JSON.stringify(flag.attributes ?? {}, null, 2));
  const error = h('span', { class: 'text-error small' });
  const save = () => {
    let attributes;
    try {
      attributes = JSON.parse(text.value);
    } catch (e) {
      error.textContent = `Not JSON: ${e.message}`;
      return;
    }
    change(env, flag, { attributes });
  };
  return h(
    'details',
    { class: 'attributes-editor' },
    h('summary', {}, `Attributes (${Object.keys(flag.attributeDefinitions ?? {}).join(', ') || 'none declared'})`),
    text,
    h('div', {}, h('button', { class: 'btn btn-sm', type: 'button', disabled: busy, onclick: save }, 'Deploy attributes'), ' ', error),
  );
}
