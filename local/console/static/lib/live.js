// Live updates: one EventSource on /console/api/stream, fanned out to the views that subscribe.

const listeners = new Map();
let source;

/** Calls fn(data) for each `event` (execution, dlq, flags, redrive, circuit, hello); returns the unsubscribe function. */
export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(fn);
  return () => listeners.get(event)?.delete(fn);
}

function emit(event, data) {
  for (const fn of listeners.get(event) ?? []) {
    try {
      fn(data);
    } catch (error) {
      console.error(`live ${event} listener failed`, error);
    }
  }
}

/** Opens the stream (reconnects by itself); `onState(connected)` drives the Live indicator. */
export function connect(onState) {
  if (source) return;
  source = new EventSource('api/stream');
  source.addEventListener('open', () => onState(true));
  source.addEventListener('error', () => onState(false));
  for (const event of ['hello', 'execution', 'dlq', 'flags', 'redrive', 'circuit']) {
    source.addEventListener(event, (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      emit(event, data);
    });
  }
}

/** Runs fn at most once per `ms`, trailing call included (live refreshes under load). */
export function throttle(fn, ms) {
  let timer;
  let last = 0;
  return (...args) => {
    const wait = Math.max(0, last + ms - Date.now());
    clearTimeout(timer);
    timer = setTimeout(() => {
      last = Date.now();
      fn(...args);
    }, wait);
  };
}
