// Tiny DOM helpers: elements are built with h()/svg(), text is always set as text (never as HTML).

const PROPERTIES = new Set(['checked', 'value', 'disabled', 'selected', 'indeterminate']);

function apply(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'testid') el.setAttribute('data-testid', value);
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h('a', { href, class, testid, onclick }, ...children). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** An SVG element. */
export function svg(tag, props, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  apply(el, props);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Local time, with milliseconds; the date too when it is not today. */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  const today = new Date().toDateString() === d.toDateString();
  return today ? time : `${d.toLocaleDateString()} ${time}`;
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "5 s ago", "3 min ago"… */
export function formatAgo(iso) {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/** JSON text pretty-printed (left as is when it is not JSON). */
export function pretty(text) {
  if (text === undefined || text === null) return '';
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A <pre> of JSON with a copy button. */
export function codeBlock(text, { label, maxHeight } = {}) {
  const body = pretty(text);
  const pre = h('pre', { class: 'code', style: maxHeight ? `max-height:${maxHeight}px` : undefined }, body);
  const copy = h('button', { class: 'btn btn-ghost btn-xs copy', type: 'button', title: 'Copy' }, 'Copy');
  copy.addEventListener('click', () => {
    navigator.clipboard?.writeText(body).then(
      () => flash(copy, 'Copied'),
      () => flash(copy, 'Select and copy'),
    );
  });
  return h('div', { class: 'code-block' }, label ? h('div', { class: 'code-label' }, label, copy) : copy, pre);
}

function flash(button, text) {
  const before = button.textContent;
  button.textContent = text;
  setTimeout(() => (button.textContent = before), 1200);
}

/**
 * An identifier that may wrap only after its dots, never inside a word:
 * DynamoDB.ProvisionedThroughputExceededException breaks as "DynamoDB." / "ProvisionedThroughput…".
 */
export function breakAfterDots(name) {
  return String(name)
    .split(/(?<=\.)/)
    .flatMap((part, i) => (i ? [h('wbr'), part] : [part]));
}

/** Status pill for an execution status, a state outcome or a request status (`title`: its tooltip). */
export function pill(value, extraClass = '', title) {
  const key = String(value ?? '').toLowerCase().replace(/_/g, '-');
  return h('span', { class: `pill pill-${key} ${extraClass}`.trim(), title }, String(value ?? '').replace(/_/g, ' '));
}

/** The page's empty/loading/error placeholder. */
export function placeholder(kind, title, detail) {
  return h('div', { class: `placeholder placeholder-${kind}` }, h('div', { class: 'placeholder-title' }, title), detail ? h('div', { class: 'placeholder-detail' }, detail) : null);
}
