// Keeps relative times fresh without refetching: every <time> with a
// data-since attribute shows the time since then, with data-format
// "age" (5m) or "span" (5m 12s).
import { h } from './dom.js';
import { age, span } from './format.js';

/** startTicker updates the relative times on the page every second. */
export function startTicker() {
  setInterval(tick, 1000);
}

/** tick updates the relative times under root. */
export function tick(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-since]')) {
    const since = el.getAttribute('data-since');
    const text = el.dataset.format === 'span' ? span(now - Date.parse(since)) : age(since, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** since is a <time> that shows the age of time (format "age") or the span since it ("span"). */
export function since(time, format = 'age') {
  if (!time) return '–';
  const text = format === 'span' ? span(Date.now() - Date.parse(time)) : age(time);
  return h('time', { datetime: time, 'data-since': time, 'data-format': format, title: new Date(time).toLocaleString() }, text);
}
