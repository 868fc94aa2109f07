// Status icons, drawn as small inline SVGs so that they look the same with
// any font. The word next to an icon carries the meaning; icons are hidden
// from screen readers.
import { h, svg } from './dom.js';
import { tone as toneOf } from './format.js';

const shapes = {
  good: () => svg('path', { d: 'M3.5 8.5 6.5 11.5 12.5 4.5', fill: 'none', 'stroke-width': 2 }),
  busy: () => svg('circle', { cx: 8, cy: 8, r: 5, fill: 'none', 'stroke-width': 2, 'stroke-dasharray': '3 2.2' }),
  waiting: () => [svg('rect', { x: 4, y: 3.5, width: 2.6, height: 9, rx: 0.6 }),
    svg('rect', { x: 9.4, y: 3.5, width: 2.6, height: 9, rx: 0.6 })],
  bad: () => svg('path', { d: 'M4 4 12 12M12 4 4 12', fill: 'none', 'stroke-width': 2.2 }),
  warn: () => [svg('path', { d: 'M8 2 14.5 13.5H1.5Z', fill: 'none', 'stroke-width': 1.6, 'stroke-linejoin': 'round' }),
    svg('path', { d: 'M8 6.5V9.5M8 11.2V11.8', fill: 'none', 'stroke-width': 1.8 })],
  faint: () => svg('circle', { cx: 8, cy: 8, r: 3 }),
  unknown: () => svg('circle', { cx: 8, cy: 8, r: 5, fill: 'none', 'stroke-width': 1.6 }),
};

/** icon is the icon of a tone (good, busy, waiting, bad, warn, faint). */
export function icon(tone) {
  return svg('svg', { class: 'icon', viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
    (shapes[tone] || shapes.unknown)());
}

/** badge is a status: an icon and the word, coloured by its tone. */
export function badge(word, tone = toneOf(word)) {
  return h('span', { class: ['badge', `tone-${tone}`] }, icon(tone), word || 'Unknown');
}
