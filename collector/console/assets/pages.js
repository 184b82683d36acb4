// The console's pages. Each renders into view from the REST API only.
import { api, qs } from './api.js';
import { h, table, tags, fmtTime, num, yes, errorBox, field, select, download, csv, fill } from './dom.js';

const PAGE = 50;

export function link(href, text) { return h('a', { href }, text); }
export function assetLink(id, text) { return link('#/assets/' + encodeURIComponent(id), text || id); }
function principalLink(id, text) { return link('#/principals/' + encodeURIComponent(id), text || id); }

// formValues reads a filter form into an object (checkboxes as true/'').
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === 'checkbox' ? (el.checked ? 'true' : '') : el.value.trim();
  }
  return out;
}

// pager renders previous/next around a listing with total.
function pager(total, offset, go) {
  const last = offset + PAGE >= total;
  return h('div', { class: 'pager' },
    h('button', { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => go(Math.max(0, offset - PAGE)) }, 'Previous'),
    h('span', { role: 'status' }, total === 0 ? 'none' : `${num(offset + 1)}–${num(Math.min(total, offset + PAGE))} of ${num(total)}`),
    h('button', { type: 'button', class: 'secondary', disabled: last, onclick: () => go(offset + PAGE) }, 'Next'));
}

// ---------- Overview / data map ----------
async function overview(view) {
  view.append(h('h1', {}, 'Overview'));
  const [sum, map, changes] = await Promise.all([api('GET', '/api/v1/inventory/summary'), api('GET', '/api/v1/datamap'),
    api('GET', '/api/v1/inventory/changes')]);
  const systems = map.systems || [];
  view.append(h('div', { class: 'cards' },
    card('Assets with personal data', sum.assets, 'total-assets'),
    card('Hosts', sum.hosts, 'total-hosts'),
    card('Systems', systems.length, 'total-systems'),
    card('Public or world-readable systems', systems.filter(s => s.public || s.world_readable_assets > 0).length)));
  view.append(h('h2', {}, 'Data map by system'));
  view.append(table('Each system: what personal data it holds, how much, where, and who can reach it', [
    { label: 'System', get: s => s.system },
    { label: 'Source', get: s => s.source },
    { label: 'Jurisdiction', get: s => s.jurisdiction || '—' },
    { label: 'Categories', get: s => tags(s.categories) },
    { label: 'Types', get: s => tags(s.types) },
    { label: 'Assets', get: s => num(s.assets), num: true },
    { label: 'Occurrences', get: s => num(s.occurrences), num: true },
    { label: 'People at most', get: s => num(s.people_at_most), num: true },
    { label: 'Public', get: s => s.public ? h('span', { class: 'tag bad' }, 'public') : 'no' },
    { label: 'World-readable assets', get: s => num(s.world_readable_assets), num: true },
    { label: 'Most readers', get: s => num(s.max_readers), num: true },
  ], systems, 'No system holds personal data yet (no agent has reported findings).'));
  view.append(h('h2', {}, 'By category and type'));
  view.append(table(null, [
    { label: 'Category', get: r => r.category },
    { label: 'Type', get: r => r.type },
    { label: 'Assets', get: r => num(r.assets), num: true },
    { label: 'Findings', get: r => num(r.findings), num: true },
    { label: 'Occurrences', get: r => num(r.occurrences), num: true },
  ], sum.by_type));
  view.append(h('h2', { id: 'changes-h' }, 'Change since the previous scans'));
  view.append(table('Each scanner\'s latest scan against the one before: its counters, and how much each moved', [
    { label: 'Host', get: c => c.host },
    { label: 'Scanner', get: c => c.scanner },
    { label: 'Latest scan', get: c => `${fmtTime(c.latest.finished_at)} (${c.latest.status})` },
    { label: 'Previous scan', get: c => c.previous ? `${fmtTime(c.previous.finished_at)} (${c.previous.status})` : 'first scan' },
    { label: 'Counters (change)', get: c => counters(c) },
  ], changes.items || [], 'No scan has been reported yet.'));
}

// counters shows a scan's counters with the change since the previous
// scan: "files 12 (+3)"; a moved counter is tagged so it stands out.
function counters(c) {
  const stats = c.latest.stats || {};
  const change = c.change || {};
  const keys = [...new Set([...Object.keys(stats), ...Object.keys(change)])].sort();
  if (!keys.length) return '—';
  return keys.map(k => {
    const d = change[k] || 0;
    const text = `${k} ${num(stats[k] || 0)}` + (c.previous ? ` (${d > 0 ? '+' : d < 0 ? '−' : '±'}${num(Math.abs(d))})` : '');
    return h('span', { class: d !== 0 ? 'tag bad' : 'tag' }, text);
  });
}

function card(label, n, id) {
  return h('div', { class: 'card', id }, h('div', { class: 'n' }, num(n)), h('div', {}, label));
}

// ---------- Assets ----------
async function assets(view, id, ctx) {
  if (id) return assetPage(view, id);
  view.append(h('h1', {}, 'Assets'));
  const form = h('form', { class: 'filters', 'aria-label': 'Asset filters' },
    field('Type', select('type', ['', 'file', 'bucket', 'object', 'host'])),
    field('Source', h('input', { name: 'source', size: 8 })),
    field('Host', h('input', { name: 'host', size: 14 })),
    field('With personal data', h('input', { type: 'checkbox', name: 'with_pii', checked: true }), true),
    field('Public', h('input', { type: 'checkbox', name: 'public' }), true),
    field('World-readable', h('input', { type: 'checkbox', name: 'world_readable' }), true),
    field('Sort by', select('sort', ['people', 'occurrences', 'readers', 'size', 'modified_at', 'location'])),
    field('Order', select('order', [['desc', 'descending'], ['asc', 'ascending']])),
    h('button', { type: 'submit' }, 'Apply'));
  const out = h('div', { 'aria-live': 'polite' });
  view.append(form, out);
  const load = async offset => {
    const f = formValues(form);
    try {
      const r = await api('GET', '/api/v1/assets' + qs({ ...f, limit: PAGE, offset }));
      if (!ctx.current()) return;
      fill(out, pager(r.total, offset, load), table(null, [
        { label: 'Location', get: a => assetLink(a.asset_id, a.location) },
        { label: 'Type', get: a => a.asset_type },
        { label: 'Host', get: a => a.host },
        { label: 'Owner', get: a => a.owner || '—' },
        { label: 'Personal data', get: a => tags(a.types) },
        { label: 'Occurrences', get: a => num(a.occurrences), num: true },
        { label: 'People at most', get: a => num(a.people_at_most), num: true },
        { label: 'Readers', get: a => num(a.readers), num: true },
        { label: 'Modified', get: a => fmtTime(a.modified_at) },
      ], r.items, 'No asset matches these filters.'));
    } catch (e) {
      fill(out, errorBox(e));
    }
  };
  form.addEventListener('submit', ev => { ev.preventDefault(); load(0); });
  await load(0);
}

async function assetPage(view, id) {
  const a = await api('GET', '/api/v1/assets/' + encodeURIComponent(id));
  view.append(h('p', {}, link('#/assets', '← All assets')), h('h1', {}, a.location || a.asset_id));
  view.append(h('dl', { class: 'kv' },
    h('dt', {}, 'Type'), h('dd', {}, a.asset_type),
    h('dt', {}, 'Host'), h('dd', {}, a.host || '—'),
    h('dt', {}, 'Owner'), h('dd', {}, a.owner || '—'),
    h('dt', {}, 'Source'), h('dd', {}, a.source || '—'),
    h('dt', {}, 'Size'), h('dd', {}, num(a.size)),
    h('dt', {}, 'Modified'), h('dd', {}, fmtTime(a.modified_at)),
    h('dt', {}, 'Asset id'), h('dd', { class: 'mono' }, a.asset_id)));
  view.append(h('h2', {}, 'Risk'));
  if (a.risk) {
    view.append(h('p', {}, 'Score ', h('strong', { id: 'risk-score' }, String(a.risk.score)), ' of 100'),
      table(null, [{ label: 'Factor', get: f => f.factor }, { label: 'Points', get: f => num(f.points), num: true }], a.risk.factors));
  } else view.append(h('p', { class: 'muted' }, 'No risk score (the asset holds no current personal data).'));
  view.append(h('h2', {}, 'Personal data found (masked)'));
  view.append(table(null, [
    { label: 'Type', get: f => f.type },
    { label: 'Category', get: f => f.category },
    { label: 'Count', get: f => num(f.count), num: true },
    { label: 'Distinct', get: f => num(f.distinct), num: true },
    { label: 'Confidence', get: f => f.confidence },
    { label: 'Masked samples', get: f => (f.samples || []).map(s => h('div', { class: 'mono' }, s)) },
    { label: 'Where', get: f => (f.where || []).slice(0, 10).map(w => h('div', { class: 'mono' }, typeof w === 'string' ? w : JSON.stringify(w))) },
  ], a.findings, 'No current findings.'));
  view.append(h('h2', {}, 'Who can read it'));
  view.append(table(null, [
    { label: 'Principal', get: r => principalLink(r.principal_id, r.name) },
    { label: 'Type', get: r => r.principal_type },
    { label: 'Privileged', get: r => yes(r.privileged) },
    { label: 'Through', get: r => tags(Array.isArray(r.via) ? r.via : [r.via]) },
  ], a.readers, 'Nobody is known to read it.'));
}

// ---------- Data-subject search ----------
// What is typed here lives only in the form's inputs: it is sent in a
// POST body, never put in the URL, history or browser storage, and the
// inputs are emptied when the page is left.
async function subjects(view, _arg, ctx) {
  view.append(h('h1', {}, 'Data-subject search'),
    h('p', { class: 'muted' }, 'Enter a person\'s identifiers. They are sent once to the collector, which compares keyed tokens; nothing typed here is stored in the browser or the address bar.'));
  const { rows, addRow } = await identifierRows();
  const out = h('div', { 'aria-live': 'polite' });
  let last = null;
  const exportBtn = h('button', { type: 'button', class: 'secondary', disabled: true, onclick: () => {
    const lines = [['asset_id', 'location', 'host', 'source', 'type', 'count', 'last_seen', 'identifiers']];
    for (const m of last.matches) lines.push([m.asset_id, m.location, m.host, m.source, m.type, m.count, m.last_seen, (m.identifiers || []).map(i => i + 1).join(' ')]);
    download(new Blob([csv(lines)], { type: 'text/csv' }), 'subject-search.csv');
  } }, 'Export CSV');
  const form = h('form', { method: 'post', autocomplete: 'off', onsubmit: async ev => {
    ev.preventDefault();
    const ids = identifiersOf(rows);
    if (!ids.length) { fill(out, h('p', { class: 'error', role: 'alert' }, 'Enter at least one identifier.')); return; }
    try {
      last = await api('POST', '/api/v1/subjects/search', { identifiers: ids });
      exportBtn.disabled = false;
      fill(out, h('p', { role: 'status' }, `${num(last.total)} asset(s) hold these identifiers.`),
        last.note ? h('p', { class: 'muted' }, last.note) : null,
        table(null, [
          { label: 'Location', get: m => assetLink(m.asset_id, m.location) },
          { label: 'Host', get: m => m.host },
          { label: 'Source', get: m => m.source },
          { label: 'Type', get: m => m.type },
          { label: 'Occurrences', get: m => num(m.count), num: true },
          { label: 'Identifiers (#)', get: m => (m.identifiers || []).map(i => i + 1).join(', ') },
          { label: 'Last seen', get: m => fmtTime(m.last_seen) },
        ], last.matches, 'No asset holds these identifiers.'));
    } catch (e) {
      fill(out, errorBox(e));
    }
  } }, rows,
  h('div', { class: 'bar' },
    h('button', { type: 'button', class: 'secondary', onclick: addRow }, 'Add identifier'),
    h('button', { type: 'submit', id: 'subject-search' }, 'Search'), exportBtn,
    h('button', { type: 'button', class: 'secondary', onclick: () => { form.reset(); for (const i of rows.querySelectorAll('input')) i.value = ''; last = null; exportBtn.disabled = true; fill(out); } }, 'Clear')));
  view.append(form, out);
  clearOnLeave(rows);
  void ctx;
}

// identifierRows is the identifier inputs of a subject search or a
// data-subject request: a type and a value per row, the types those the
// inventory holds first. What is typed stays in these inputs only.
export async function identifierRows() {
  let types = ['email', 'phone', 'ssn', 'iban', 'credit_card'];
  try {
    const sum = await api('GET', '/api/v1/inventory/summary');
    const found = (sum.by_type || []).map(t => t.type);
    if (found.length) types = [...new Set([...found, ...types])];
  } catch { /* keep the defaults */ }
  const rows = h('div', {});
  let n = 0;
  const addRow = () => {
    n++;
    rows.append(h('div', { class: 'bar' },
      field('Identifier type', select('type', types, 'email')),
      field('Value', h('input', { name: 'value', autocomplete: 'off', spellcheck: 'false', size: 36, 'aria-label': `Identifier ${n} value` }))));
  };
  addRow();
  return { rows, addRow };
}

// identifiersOf reads the rows' non-empty identifiers.
export function identifiersOf(rows) {
  return [...rows.children].map(r => ({ type: r.querySelector('select').value, value: r.querySelector('input').value.trim() })).filter(i => i.value);
}

// clearOnLeave empties the rows' inputs when the page is left (the DOM
// goes too, but a bfcache restore would bring values back).
export function clearOnLeave(rows) {
  const clear = () => { for (const i of rows.querySelectorAll('input')) i.value = ''; };
  window.addEventListener('hashchange', clear, { once: true });
  window.addEventListener('pagehide', clear, { once: true });
}

// ---------- Identities ----------
async function identities(view, _arg, ctx) {
  view.append(h('h1', {}, 'Identities'));
  const form = h('form', { class: 'filters', 'aria-label': 'Identity filters' },
    field('Type', select('type', ['', 'user', 'group', 'service', 'role', 'computer'])),
    field('Host', h('input', { name: 'host', size: 12 })),
    field('Source', h('input', { name: 'source', size: 8 })),
    field('Privileged', select('privileged', [['', 'any'], ['true', 'yes'], ['false', 'no']])),
    field('Stale', select('stale', [['', 'any'], ['true', 'yes'], ['false', 'no']])),
    field('Disabled', select('disabled', [['', 'any'], ['true', 'yes'], ['false', 'no']])),
    field('MFA', select('mfa', [['', 'any'], ['false', 'without MFA'], ['true', 'with MFA']])),
    field('Hygiene flag', h('input', { name: 'hygiene', size: 14, placeholder: 'e.g. kerberoastable' })),
    h('button', { type: 'submit' }, 'Apply'));
  const out = h('div', { 'aria-live': 'polite' });
  view.append(form, out);
  const load = async offset => {
    try {
      const r = await api('GET', '/api/v1/principals' + qs({ ...formValues(form), limit: PAGE, offset }));
      if (!ctx.current()) return;
      fill(out, pager(r.total, offset, load), table(null, [
        { label: 'Name', get: p => principalLink(p.principal_id, p.name) },
        { label: 'Type', get: p => p.principal_type },
        { label: 'Host / source', get: p => p.host || p.source },
        { label: 'Privileged', get: p => p.privileged ? h('span', { class: 'tag bad' }, 'privileged') : 'no' },
        { label: 'Enabled', get: p => yes(p.enabled) },
        { label: 'Stale', get: p => yes(p.stale) },
        { label: 'MFA', get: p => yes(p.mfa) },
        { label: 'Last login', get: p => fmtTime(p.last_login) },
        { label: 'Hygiene', get: p => tags(p.hygiene, true) },
      ], r.items, 'No identity matches these filters.'));
    } catch (e) {
      fill(out, errorBox(e));
    }
  };
  form.addEventListener('submit', ev => { ev.preventDefault(); load(0); });
  await load(0);
}

async function principalPage(view, id) {
  const p = await api('GET', '/api/v1/principals/' + encodeURIComponent(id));
  view.append(h('p', {}, link('#/identities', '← All identities')), h('h1', {}, p.name || p.principal_id));
  view.append(h('dl', { class: 'kv' },
    h('dt', {}, 'Type'), h('dd', {}, p.principal_type),
    h('dt', {}, 'Host / source'), h('dd', {}, p.host || p.source || '—'),
    h('dt', {}, 'Privileged'), h('dd', {}, yes(p.privileged)),
    h('dt', {}, 'Principal id'), h('dd', { class: 'mono' }, p.principal_id)));
  view.append(h('h2', {}, 'Why privileged'));
  const via = p.privileged_via || [];
  view.append(via.length ? h('ul', {}, via.map(v => h('li', {}, typeof v === 'string' ? v : Object.entries(v).map(([k, x]) => `${k}: ${x}`).join(', ')))) : h('p', { class: 'muted' }, 'Not privileged.'));
  view.append(h('h2', {}, 'Entitlements'));
  view.append(table(null, [
    { label: 'Resource', get: e => e.resource_id },
    { label: 'Type', get: e => e.resource_type },
    { label: 'Permission', get: e => e.permission },
    { label: 'Through', get: e => tags(e.via) },
    { label: 'Privileged', get: e => yes(e.privileged) },
  ], p.entitlements));
  view.append(h('h2', {}, 'Personal data it can reach'));
  view.append(table(null, [
    { label: 'Location', get: a => assetLink(a.asset_id, a.location) },
    { label: 'Type', get: a => a.asset_type },
    { label: 'Host', get: a => a.host },
  ], p.reachable_assets_with_pii, 'No asset with personal data within reach.'));
}

// ---------- Access reviews ----------
async function reviews(view, id, ctx) {
  view.append(h('h1', {}, 'Access reviews'));
  const idInput = h('input', { name: 'campaign', size: 40, value: id || '', required: true });
  view.append(h('form', { class: 'bar', onsubmit: ev => { ev.preventDefault(); location.hash = '#/reviews/' + encodeURIComponent(idInput.value.trim()); } },
    field('Campaign id', idInput), h('button', { type: 'submit' }, 'Open')));
  if (ctx.me.role === 'admin' || ctx.me.role === 'security') view.append(newCampaignForm());
  if (!id) {
    // The campaigns the API lets this person open: a reviewer's are those
    // with items assigned to them, counted as theirs.
    const list = await api('GET', '/api/v1/reviews');
    if (!ctx.current()) return;
    view.append(h('h2', { id: 'campaigns-h' }, ctx.me.role === 'reviewer' ? 'Your campaigns' : 'Campaigns'),
      table(null, [
        { label: 'Campaign', get: c => link('#/reviews/' + encodeURIComponent(c.campaign_id), c.name || c.campaign_id) },
        { label: 'Due', get: c => c.due && !c.due.startsWith('0001-') ? fmtTime(c.due) : '—' },
        { label: 'Created by', get: c => c.created_by },
        { label: 'Created', get: c => fmtTime(c.created_at) },
        { label: ctx.me.role === 'reviewer' ? 'Your items' : 'Items', get: c => num(c.items), num: true },
        { label: 'Pending', get: c => num(c.pending), num: true },
      ], list.items || [], ctx.me.role === 'reviewer' ? 'No campaign has items for you.' : 'No campaign yet.'));
    return;
  }
  const body = h('div', { 'aria-live': 'polite' });
  view.append(body);
  const load = async () => {
    const [st, items] = await Promise.all([
      api('GET', `/api/v1/reviews/${encodeURIComponent(id)}`),
      api('GET', `/api/v1/reviews/${encodeURIComponent(id)}/items`)]);
    if (!ctx.current()) return;
    const decided = st.decided || {};
    const progress = h('p', { id: 'review-progress', role: 'status' },
      `${st.name}: ${num(st.items)} item(s), ${num(st.pending)} pending`,
      Object.keys(decided).length ? ', ' + Object.entries(decided).map(([k, v]) => `${num(v)} ${k}`).join(', ') : '',
      st.due && !st.due.startsWith('0001-') ? ` · due ${fmtTime(st.due)}` : '');
    const pendingOnly = h('input', { type: 'checkbox', checked: true });
    const rowsBox = h('div', {});
    const selected = new Set();
    const draw = () => {
      const list = (items.items || []).filter(it => !pendingOnly.checked || !it.decision);
      fill(rowsBox, table(null, [
        { label: 'Select', get: it => it.decision ? '' : h('input', { type: 'checkbox', 'aria-label': `Select ${it.principal} on ${it.resource_id}`, checked: selected.has(it.item_id), onchange: ev => { ev.target.checked ? selected.add(it.item_id) : selected.delete(it.item_id); } }) },
        { label: 'Principal', get: it => principalLink(it.principal_id, it.principal) },
        { label: 'Resource', get: it => h('span', { class: 'mono' }, it.resource_id) },
        { label: 'Permission', get: it => it.permission },
        { label: 'Through', get: it => tags(it.via) },
        { label: 'Privileged', get: it => yes(it.privileged) },
        { label: 'Reviewer', get: it => it.reviewer },
        { label: 'Decision', get: it => it.decision ? [h('span', { class: it.decision === 'revoke' ? 'tag bad' : 'tag' }, it.decision), it.comment ? ' ' + it.comment : ''] : decideControls(it) },
      ], list, pendingOnly.checked ? 'Nothing left to decide.' : 'No items.'));
    };
    const decideControls = it => {
      const comment = h('input', { size: 18, placeholder: 'comment', 'aria-label': `Comment on ${it.principal} ${it.resource_id}` });
      const msg = h('span', { 'aria-live': 'polite' });
      const decide = async (decision, reassignTo) => {
        try {
          const body = { decision, comment: comment.value };
          if (reassignTo !== undefined) body.reassign_to = reassignTo;
          await api('POST', `/api/v1/reviews/${encodeURIComponent(id)}/items/${encodeURIComponent(it.item_id)}/decision`, body);
          await load();
        } catch (e) {
          fill(msg, errorBox(e));
        }
      };
      const to = h('input', { size: 12, placeholder: 'reassign to', 'aria-label': `Reassign ${it.principal} ${it.resource_id} to` });
      return h('div', {}, comment,
        h('button', { type: 'button', onclick: () => decide('certify'), 'data-action': 'certify' }, 'Certify'), ' ',
        h('button', { type: 'button', class: 'danger', onclick: () => decide('revoke'), 'data-action': 'revoke' }, 'Revoke'), ' ',
        to, h('button', { type: 'button', class: 'secondary', onclick: () => decide('reassign', to.value.trim()), 'data-action': 'reassign' }, 'Reassign'), msg);
    };
    const bulkMsg = h('span', { 'aria-live': 'polite' });
    const bulk = h('button', { type: 'button', onclick: async () => {
      const ids = [...selected];
      if (!ids.length) { bulkMsg.textContent = 'Select items first.'; return; }
      for (const item of ids) {
        try {
          await api('POST', `/api/v1/reviews/${encodeURIComponent(id)}/items/${encodeURIComponent(item)}/decision`, { decision: 'certify', comment: 'bulk certified' });
        } catch (e) {
          fill(bulkMsg, errorBox(e));
          return;
        }
      }
      await load();
    } }, 'Certify selected');
    pendingOnly.addEventListener('change', draw);
    const exportBtn = (ctx.me.role === 'admin' || ctx.me.role === 'security') ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
      const r = await api('GET', `/api/v1/reviews/${encodeURIComponent(id)}/export`, undefined, { raw: true });
      download(await r.blob(), `review-${id}.csv`);
    } }, 'Export evidence (CSV)') : null;
    draw();
    fill(body, progress, h('div', { class: 'bar' }, field('Pending only', pendingOnly, true), bulk, exportBtn, bulkMsg), rowsBox,
      st.revoked_but_still_present?.length ? [h('h2', {}, 'Revoked but still present in the latest scans'), table(null, [
        { label: 'Principal', get: x => x.principal }, { label: 'Resource', get: x => x.resource_id }, { label: 'Permission', get: x => x.permission },
        { label: 'Revoked by', get: x => x.revoked_by }, { label: 'At', get: x => fmtTime(x.revoked_at) }], st.revoked_but_still_present)] : null);
  };
  try {
    await load();
  } catch (e) {
    fill(body, errorBox(e));
  }
}

function newCampaignForm() {
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', 'aria-label': 'New campaign', onsubmit: async ev => {
    ev.preventDefault();
    const f = formValues(form);
    const req = { name: f.name, reviewer: f.reviewer, fallback_reviewer: f.fallback_reviewer,
      scope: { privileged_only: f.privileged_only === 'true', personal_data_only: f.personal_data_only === 'true', source: f.source, resource_type: f.resource_type } };
    if (f.due) req.due = new Date(f.due + 'T23:59:59Z').toISOString();
    try {
      const r = await api('POST', '/api/v1/reviews', req);
      fill(msg, h('p', { class: 'notice', role: 'status' }, `Campaign created with ${num(r.items)} item(s): `, link('#/reviews/' + encodeURIComponent(r.campaign_id), r.campaign_id)));
    } catch (e) {
      fill(msg, errorBox(e));
    }
  } },
  h('strong', {}, 'New campaign'),
  field('Name', h('input', { name: 'name', required: true })),
  field('Reviewer (token name, @owner or @manager)', h('input', { name: 'reviewer', required: true })),
  field('Fallback reviewer', h('input', { name: 'fallback_reviewer' })),
  field('Source', h('input', { name: 'source', size: 8 })),
  field('Resource type', h('input', { name: 'resource_type', size: 8 })),
  field('Privileged only', h('input', { type: 'checkbox', name: 'privileged_only' }), true),
  field('On personal data only', h('input', { type: 'checkbox', name: 'personal_data_only' }), true),
  field('Due', h('input', { type: 'date', name: 'due' })),
  h('button', { type: 'submit' }, 'Create'));
  return h('div', {}, form, msg);
}

// ---------- Breach impact ----------
async function impact(view) {
  view.append(h('h1', {}, 'Breach impact'));
  const area = (name, label) => field(label, h('textarea', { name, rows: 4, cols: 40, spellcheck: 'false' }));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', onsubmit: async ev => {
    ev.preventDefault();
    const f = formValues(form);
    const lines = s => s.split('\n').map(x => x.trim()).filter(Boolean);
    const req = { hosts: lines(f.hosts), locations: lines(f.locations), principals: lines(f.principals), assets: lines(f.assets) };
    try {
      const r = await api('POST', '/api/v1/incidents/impact', req);
      fill(out, 
        h('h2', {}, 'Impact report'),
        h('p', {}, `Scope: ${[...req.hosts.map(x => 'host ' + x), ...req.locations.map(x => 'location ' + x), ...req.principals.map(x => 'principal ' + x), ...req.assets.map(x => 'asset ' + x)].join('; ')}`),
        h('p', {}, 'Occurrences exposed: ', h('strong', {}, num(r.occurrences)), ` · generated ${new Date().toISOString()}`),
        table(null, [
          { label: 'Category', get: t => t.category }, { label: 'Type', get: t => t.type },
          { label: 'Assets', get: t => num(t.assets), num: true }, { label: 'Hosts', get: t => num(t.hosts), num: true },
          { label: 'Occurrences', get: t => num(t.occurrences), num: true },
          { label: 'People at least', get: t => num(t.people_at_least), num: true }, { label: 'People at most', get: t => num(t.people_at_most), num: true },
          { label: 'Issuing countries', get: t => tags(t.issuing_countries) },
        ], r.types, 'No personal data within this scope.'),
        h('h2', {}, 'Notification rules that may apply'),
        table(null, [{ label: 'Rule', get: n => n.name }, { label: 'Action', get: n => n.action }, { label: 'Because', get: n => n.because }], r.notification_rules, 'None.'),
        h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Print report'));
    } catch (e) {
      fill(out, errorBox(e));
    }
  } },
  area('hosts', 'Hosts (one per line)'), area('locations', 'Location prefixes (one per line)'),
  area('principals', 'Principals (ids, one per line)'), area('assets', 'Asset ids (one per line)'),
  h('button', { type: 'submit' }, 'Assess'));
  view.append(form, out);
}

// ---------- Risk register ----------
async function risk(view, _arg, ctx) {
  view.append(h('h1', {}, 'Risk register'));
  const form = h('form', { class: 'filters', 'aria-label': 'Register filters' },
    field('Status', select('status', ['', 'open', 'accepted', 'mitigating', 'resolved'])),
    field('Kind', select('kind', ['', 'asset', 'principal', 'pia'])),
    h('button', { type: 'submit' }, 'Apply'));
  const out = h('div', { 'aria-live': 'polite' });
  view.append(form, out);
  const load = async () => {
    try {
      const r = await api('GET', '/api/v1/risk/register' + qs({ ...formValues(form), limit: 200 }));
      if (!ctx.current()) return;
      fill(out, table(null, [
        { label: 'Score', get: i => num(i.score), num: true },
        { label: 'Kind', get: i => i.kind },
        { label: 'Item', get: i => registerLink(i) },
        { label: 'Factors', get: i => tags((i.factors || []).map(f => typeof f === 'string' ? f : `${f.factor} +${f.points}`)) },
        { label: 'Owner', get: i => i.owner || '—' },
        { label: 'Status', get: i => i.status },
        { label: 'Last change', get: i => i.changed_by ? `${i.changed_by}, ${fmtTime(i.changed_at)}` : '—' },
        // A rated impact assessment is changed on its own page (the
        // register's PUT takes assets and principals only).
        { label: 'Change', get: i => i.kind === 'pia' ? h('a', { href: '#/pias/' + encodeURIComponent(i.id), 'aria-label': `On the assessment: ${i.title}` }, 'On the assessment') : editor(i, load) },
      ], r.items, 'The register is empty.'));
    } catch (e) {
      fill(out, errorBox(e));
    }
  };
  form.addEventListener('submit', ev => { ev.preventDefault(); load(); });
  await load();
}

function registerLink(i) {
  if (i.kind === 'asset') return assetLink(i.id, i.title);
  if (i.kind === 'pia') return link('#/pias/' + encodeURIComponent(i.id), i.title);
  return principalLink(i.id, i.title);
}

function editor(item, reload) {
  const box = h('div', {});
  const open = h('button', { type: 'button', class: 'secondary', 'data-action': 'edit', 'aria-label': `Edit ${item.title}`, onclick: () => {
    const owner = h('input', { size: 12, value: item.owner, 'aria-label': 'Owner' });
    const status = select('status', ['open', 'accepted', 'mitigating', 'resolved'], item.status);
    status.setAttribute('aria-label', 'Status');
    const comment = h('input', { size: 16, 'aria-label': 'Comment', name: 'comment' });
    const msg = h('div', { 'aria-live': 'polite' });
    const hist = h('div', { class: 'history' });
    fill(box, owner, status, comment,
      h('button', { type: 'button', onclick: async () => {
        try {
          await api('PUT', `/api/v1/risk/register/${encodeURIComponent(item.kind)}/${encodeURIComponent(item.id)}`, { owner: owner.value, status: status.value, comment: comment.value });
          await reload();
        } catch (e) { fill(msg, errorBox(e)); }
      }, 'data-action': 'save' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        try {
          const r = await api('GET', `/api/v1/risk/register/${encodeURIComponent(item.kind)}/${encodeURIComponent(item.id)}/history`);
          fill(hist, table('History', [
            { label: 'When', get: x => fmtTime(x.changed_at) }, { label: 'By', get: x => x.changed_by },
            { label: 'Owner', get: x => x.owner }, { label: 'Status', get: x => x.status }, { label: 'Comment', get: x => x.comment },
          ], r.history, 'No changes yet.'));
        } catch (e) { fill(hist, errorBox(e)); }
      }, 'data-action': 'history' }, 'History'), msg, hist);
    owner.focus();
  } }, 'Edit');
  box.append(open);
  return box;
}

// ---------- Admin: fleet, tokens, audit ----------
async function admin(view, _arg, ctx) {
  view.append(h('h1', {}, 'Fleet, tokens and audit log'));
  const fleet = h('section', { 'aria-labelledby': 'fleet-h' }, h('h2', { id: 'fleet-h' }, 'Fleet'));
  const tokens = h('section', { 'aria-labelledby': 'tokens-h' }, h('h2', { id: 'tokens-h' }, 'Tokens'));
  const audit = h('section', { 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, 'Audit log'));
  view.append(fleet, tokens, audit);
  const show = async (box, f) => { try { await f(); } catch (e) { box.append(errorBox(e)); } };
  await Promise.all([
    show(fleet, async () => {
      const list = h('div', {});
      fleet.append(list);
      const draw = async () => {
      const r = await api('GET', '/api/v1/agents');
      fill(list, table(null, [
        { label: 'Agent', get: a => h('span', { class: 'mono' }, a.agent_id) }, { label: 'Host', get: a => hostCell(a, fleet, draw) },
        { label: 'OS', get: a => a.os }, { label: 'Version', get: a => a.version }, { label: 'Last seen', get: a => fmtTime(a.last_seen) },
        { label: 'Stale', get: a => a.stale ? h('span', { class: 'tag bad' }, 'stale') : 'no' },
        { label: 'Latest scans', get: a => tags((a.scans || []).map(s => `${s.scanner}: ${s.status}`)) },
        { label: 'Labels', get: a => tags(Object.entries(a.labels || {}).map(([k, v]) => `${k}=${v}`)) },
        { label: 'Policy', get: a => !a.policy ? '—' : a.policy.rejected_reason
          ? h('span', { class: 'tag bad', title: a.policy.rejected_reason }, 'refused: ' + a.policy.rejected_reason)
          : `${a.policy.revisions || 'none'} since ${fmtTime(a.policy.applied_at)}` + ((a.policy.conflicts || []).length ? ` (pinned: ${a.policy.conflicts.join(', ')})` : '') },
        { label: '', get: a => h('button', { type: 'button', class: 'secondary', onclick: async ev => {
          try {
            await api('POST', '/api/v1/commands/scan', { agent_id: a.agent_id });
            ev.target.replaceWith(h('span', { role: 'status' }, 'scan requested'));
          } catch (e) { fleet.append(errorBox(e)); }
        } }, 'Scan now') },
      ], r.items, 'No agent has enrolled.'));
      };
      await draw();
    }),
    show(tokens, () => tokenSection(tokens, ctx)),
    show(audit, async () => {
      const r = await api('GET', '/api/v1/audit' + qs({ limit: 100 }));
      audit.append(table(`Latest ${num(r.items?.length || 0)} of ${num(r.total)}`, [
        { label: 'At', get: e => fmtTime(e.at) }, { label: 'Who', get: e => `${e.token_name || '—'} (${e.token_role})` },
        { label: 'Call', get: e => h('span', { class: 'mono' }, `${e.method} ${e.route}`) }, { label: 'Parameters', get: e => h('span', { class: 'mono' }, e.params) },
        { label: 'Status', get: e => String(e.status) },
      ], r.items));
    }),
  ]);
}

// hostCell is an agent's host name and, when another agent enrolled with
// the same name, which of them speaks for the host's files and accounts
// (the collector refuses the other's). Moving the name to this agent (a
// reinstalled host) retires the former agent's rows at once, so it takes
// a second click.
function hostCell(a, box, redraw) {
  if (!a.hostname_conflict) return a.hostname;
  if (a.speaks_for_host) {
    return h('span', {}, a.hostname, ' ', h('span', { class: 'tag', title: 'Other agents enrolled with this host name; this one speaks for its files and accounts.' }, 'speaks for this host'));
  }
  const move = h('button', { type: 'button', class: 'secondary', 'data-move-host': a.agent_id, onclick: () => {
    move.replaceWith(h('button', { type: 'button', class: 'danger', 'data-confirm-move': a.agent_id, onclick: async ev => {
      try {
        await api('PUT', '/api/v1/authorities/host/' + encodeURIComponent(a.hostname), { agent_id: a.agent_id });
        await redraw();
      } catch (e) { box.append(errorBox(e)); }
    } }, `Confirm: retire the other agent's rows of ${a.hostname}`));
  } }, 'Make this agent speak for the host');
  return h('span', {}, a.hostname, ' ',
    h('span', { class: 'tag bad', title: 'Another agent enrolled with this host name speaks for its files and accounts: this agent\'s are refused.' }, 'name in use'), ' ', move);
}

async function tokenSection(box, ctx) {
  const msg = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const form = h('form', { class: 'filters', 'aria-label': 'New token', onsubmit: async ev => {
    ev.preventDefault();
    const f = formValues(form);
    try {
      const r = await api('POST', '/api/v1/tokens', { role: f.role, name: f.name, ttl: f.ttl || undefined });
      fill(msg, h('div', { class: 'notice', role: 'status' }, 'New token (shown once, copy it now): ', h('code', { id: 'new-token' }, r.token)));
      form.reset();
      await draw();
    } catch (e) {
      fill(msg, errorBox(e));
    }
  } },
  field('Role', select('role', ['reviewer', 'privacy', 'security', 'admin', 'agent-enroll'])),
  field('Name', h('input', { name: 'name', required: true })),
  field('Lifetime (e.g. 720h)', h('input', { name: 'ttl', size: 8 })),
  h('button', { type: 'submit', id: 'create-token' }, 'Create token'));
  const draw = async () => {
    const r = await api('GET', '/api/v1/tokens');
    if (!ctx.current()) return;
    fill(list, table(null, [
      { label: 'Id', get: t => h('span', { class: 'mono' }, t.id) }, { label: 'Name', get: t => t.name || '—' }, { label: 'Role', get: t => t.role },
      { label: 'Created', get: t => fmtTime(t.created_at) }, { label: 'Expires', get: t => fmtTime(t.expires_at) },
      { label: 'State', get: t => t.revoked ? 'revoked' : t.live ? 'live' : 'expired' },
      { label: '', get: t => t.live ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        try { await api('DELETE', '/api/v1/tokens/' + encodeURIComponent(t.id)); await draw(); } catch (e) { fill(msg, errorBox(e)); }
      } }, 'Revoke') : '' },
    ], r.items));
  };
  box.append(form, msg, list);
  await draw();
}

// ---------- Fleet policies ----------
// selectorText and parseSelector move a label selector between
// {"role":"web"} and "role=web, env=prod".
function selectorText(sel) { return Object.entries(sel || {}).map(([k, v]) => `${k}=${v}`).join(', '); }
function parseSelector(text) {
  const out = {};
  for (const part of text.split(',').map(x => x.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`selector: "${part}" is not key=value`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

async function policies(view, _arg, ctx) {
  view.append(h('h1', {}, 'Fleet policies'));
  const msg = h('div', { 'aria-live': 'polite' });
  const result = h('div', { 'aria-live': 'polite' });
  const list = h('div', {});
  const form = h('form', { class: 'filters', 'aria-label': 'Policy', onsubmit: ev => ev.preventDefault() },
    h('strong', {}, 'Create or change a policy'),
    field('Id', h('input', { name: 'id', required: true, size: 16, pattern: '[a-z0-9][a-z0-9_-]{0,62}' })),
    field('Description', h('input', { name: 'description', size: 24 })),
    field('Agents with labels (k=v, …)', h('input', { name: 'selector', size: 20 })),
    field('Priority', h('input', { name: 'priority', type: 'number', value: '0', size: 4 })),
    field('Settings (JSON, shaped like agent.yaml\'s scans section)', h('textarea', { name: 'settings', rows: 6, cols: 48, spellcheck: 'false' }, '{"fs": {"enabled": true, "paths": ["/srv"]}}')));
  const input = () => {
    const f = formValues(form);
    let settings;
    try { settings = JSON.parse(f.settings || '{}'); } catch (e) { throw new Error('settings: not JSON: ' + e.message); }
    return { id: f.id, description: f.description, selector: parseSelector(f.selector), priority: Number(f.priority || 0), settings };
  };
  const exists = id => (ctx.policies || []).some(p => p.id === id && !p.deleted);
  const dry = h('button', { type: 'button', id: 'policy-dry-run', onclick: async () => {
    try {
      const r = await api('POST', '/api/v1/policies/dry-run', { policy: input() });
      fill(result, table(`This change reaches ${num(r.agents.length)} agent(s)`, [
        { label: 'Agent', get: a => a.hostname || a.agent_id },
        { label: 'What changes', get: a => a.changes.length ? tags(a.changes.map(c => `${c.field}: ${c.before || '—'} → ${c.after || '—'}`)) : 'nothing' },
      ], r.agents, 'No agent matches.'));
      fill(msg);
    } catch (e) { fill(msg, errorBox(e)); }
  } }, 'Dry run');
  const save = h('button', { type: 'button', id: 'policy-save', onclick: async () => {
    try {
      const p = input();
      const r = exists(p.id) ? await api('PUT', '/api/v1/policies/' + encodeURIComponent(p.id), p) : await api('POST', '/api/v1/policies', p);
      fill(msg, h('p', { class: 'notice', role: 'status' }, `Policy ${r.id} saved as revision ${r.revision}.`));
      await draw();
    } catch (e) { fill(msg, errorBox(e)); }
  } }, 'Save');
  form.append(dry, save);
  const draw = async () => {
    const r = await api('GET', '/api/v1/policies');
    if (!ctx.current()) return;
    ctx.policies = r.items;
    fill(list, table('Live policies, in merge order', [
      { label: 'Id', get: p => h('span', { class: 'mono' }, p.id) }, { label: 'Description', get: p => p.description || '—' },
      { label: 'Agents with labels', get: p => selectorText(p.selector) || 'every agent' },
      { label: 'Priority', get: p => String(p.priority), num: true }, { label: 'Revision', get: p => String(p.revision), num: true },
      { label: 'Settings', get: p => h('code', {}, JSON.stringify(p.settings)) },
      { label: 'Changed', get: p => `${fmtTime(p.changed_at)} by ${p.changed_by || '—'}` },
      { label: '', get: p => h('button', { type: 'button', class: 'secondary', onclick: () => {
        form.elements.id.value = p.id; form.elements.description.value = p.description;
        form.elements.selector.value = selectorText(p.selector); form.elements.priority.value = String(p.priority);
        form.elements.settings.value = JSON.stringify(p.settings, null, 2);
      } }, 'Edit') },
    ], r.items, 'No policy: agents run their agent.yaml.'));
  };
  view.append(form, msg, result, list);
  await draw();
}

export const pages = {
  overview, assets, subjects, identities, reviews, impact, risk, admin, policies,
  principals: (view, id, ctx) => id ? principalPage(view, id) : identities(view, '', ctx),
};
