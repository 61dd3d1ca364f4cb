// Tiny DOM helpers: the dashboard builds each view's skeleton once and then only updates text and
// attributes, so focus, selection and in-flight button states survive live updates.

/** h('div', {class: 'x', onclick: f}, child, 'text', ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Sets textContent only when it changed (keeps screen readers and selection calm). */
export function setText(el, text) {
  const t = String(text);
  if (el.textContent !== t) el.textContent = t;
}

/** Replaces all children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Sets data-dir="profit|loss|flat" for colouring (the text itself carries sign and arrow). */
export function setDir(el, dir) {
  if (el.dataset.dir !== dir) el.dataset.dir = dir;
}
