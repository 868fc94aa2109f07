// Helpers that build DOM nodes without HTML strings: every value that comes
// from the server ends up as a text node or an attribute value, never as
// markup, so a rollout name or an event message cannot inject anything.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** h creates an HTML element with attributes and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** svg creates an SVG element with attributes and children. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// setAttrs sets attributes; a function under a name starting with "on"
// becomes an event listener, and null, undefined and false are left out.
function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'style') throw new Error('inline styles are forbidden by the CSP');
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class' && Array.isArray(value)) {
      el.setAttribute('class', value.filter(Boolean).join(' '));
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** append adds children: nodes as they are, strings and numbers as text. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** replace swaps all children of el for new ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** debounce calls fn once, delay ms after the last call. */
export function debounce(fn, delay) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), delay);
  };
}
