// Tiny DOM helpers. Every value from the API is set as text or an
// attribute, never parsed as HTML, so data cannot inject markup.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  // A form the script fails to handle must never put what was typed in
  // the URL (history, logs): forms post unless told otherwise.
  if (tag === 'form') el.setAttribute('method', 'post');
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

// fill replaces el's children, skipping null, undefined and false (the
// DOM's own replaceChildren would print them as text).
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// table renders rows with columns [{label, get(row) → node|text, num}].
export function table(caption, columns, rows, empty = 'Nothing to show.') {
  if (!rows || rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.map(r => h('tr', {}, columns.map(c => h('td', { class: c.num ? 'num' : null }, c.get(r)))))));
}

export function tags(list, bad) {
  return (list || []).map(t => h('span', { class: bad ? 'tag bad' : 'tag' }, t));
}

export function fmtTime(s) {
  if (!s || s.startsWith('0001-')) return '—';
  const d = new Date(s);
  return isNaN(d) ? s : d.toISOString().replace('T', ' ').slice(0, 16) + 'Z';
}

export function num(n) {
  return n === undefined || n === null ? '—' : Number(n).toLocaleString('en');
}

export function yes(b) { return b === true ? 'yes' : b === false ? 'no' : '—'; }

// errorBox shows an API error with its HTTP status, e.g. "403 Forbidden".
export function errorBox(err) {
  const status = err.status ? `${err.status} ${statusText(err.status)}: ` : '';
  return h('div', { class: 'error', role: 'alert' }, status + (err.message || String(err)));
}

function statusText(s) {
  return { 400: 'Bad request', 401: 'Not logged in', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 429: 'Too many requests', 503: 'Unavailable' }[s] || 'Error';
}

// field is a labelled control.
export function field(label, control, inline) {
  return h('label', { class: inline ? 'inline' : null }, inline ? [control, label] : [label, control]);
}

export function select(name, options, value) {
  return h('select', { name }, options.map(o => {
    const [v, l] = Array.isArray(o) ? o : [o, o === '' ? 'any' : o];
    return h('option', { value: v, selected: v === value }, l);
  }));
}

// download saves a Blob as a file without a URL anyone else could open.
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// csv quotes cells and neutralises ones a spreadsheet would run as a
// formula, by the collector's rule (internal/csvsafe): after any leading
// spaces, a first =, +, -, @, tab or CR, unless the cell is a plain
// number such as -12 or +3.5.
export function csv(rows) {
  return rows.map(r => r.map(c => {
    let s = c === undefined || c === null ? '' : String(c);
    const t = s.replace(/^ +/, '');
    if (/^[=+\-@\t\r]/.test(t) && !/^[+-]?\d+(\.\d+)?$/.test(t)) s = "'" + s;
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }).join(',')).join('\r\n') + '\r\n';
}
