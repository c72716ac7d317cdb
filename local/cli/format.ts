/** Small text helpers shared by the commands: tables, abbreviations, durations. Pure functions. */

/** Compact one-line text of a JSON value or JSON text, cut to `max` characters with an ellipsis. */
export function abbreviate(value: unknown, max = 80): string {
  let text: string;
  if (typeof value === 'string') {
    try {
      text = JSON.stringify(JSON.parse(value));
    } catch {
      text = value;
    }
  } else {
    text = value === undefined ? '' : JSON.stringify(value);
  }
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

/** "+1.234s" from milliseconds. */
export function offset(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}

/** "850 ms", "1.2 s", "3 min 4 s", "2 h 5 min". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  // Rounded before it is split, so that 119.9 s reads "2 min 0 s", not "1 min 60 s".
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** ISO time without milliseconds noise: 2026-11-23T15:50:46.938Z → 2026-11-23 15:50:46Z. */
export function when(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return '';
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** "how long ago": 5 s ago, 3 min ago, 2 h ago, 4 d ago. */
export function ago(date: Date | undefined, now = Date.now()): string {
  if (!date) return '';
  const s = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Left-aligned columns with a header; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/**
 * A duration option: "90s", "15m", "2h", "7d" (or plain seconds) → milliseconds; undefined when the
 * text is not one.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return Number(m[1]) * unit;
}
