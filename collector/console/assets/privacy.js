// The privacy office's pages: data-subject request cases, records of
// processing, privacy impact assessments, and the alerts' rules, events
// and deliveries. Like pages.js, each renders into view from the REST API
// only.
import { api, qs } from './api.js';
import { h, table, tags, fmtTime, num, errorBox, field, select, download, fill } from './dom.js';
import { link, assetLink, formValues, identifierRows, identifiersOf, clearOnLeave } from './pages.js';

function when(t) { return t && !t.startsWith('0001-') ? fmtTime(t) : '—'; }
function bad(text) { return h('span', { class: 'tag bad' }, text); }
function kv(pairs) { return h('dl', { class: 'kv' }, pairs.map(([k, v, id]) => [h('dt', {}, k), h('dd', { id }, v)])); }

// saveFile downloads what the API answers at path (CSV, a report): the
// API wants the session's CSRF header, which a plain link cannot send.
async function saveFile(path, filename, msg) {
  try {
    const r = await api('GET', path, undefined, { raw: true });
    download(await r.blob(), filename);
  } catch (e) {
    fill(msg, errorBox(e));
  }
}

// ---------- Data-subject request cases ----------
// A case keeps its identifiers as keyed tokens only; what is typed in the
// new-case form is sent once in a POST body, never put in the URL,
// history or browser storage, and emptied when the page is left.
const dsrNext = { open: ['searching', 'closed'], searching: ['responded', 'closed'], responded: ['searching', 'closed'], closed: [] };

function caseLink(c) { return link('#/dsr/' + encodeURIComponent(c.id), c.reference || c.id); }
function due(c) { return c.overdue ? [when(c.due_at), ' ', bad('overdue')] : when(c.due_at); }
function idTypes(c) { return tags((c.identifiers || []).map(i => `#${i.index + 1} ${i.type}`)); }

async function dsr(view, id, ctx) {
  if (id) return dsrCase(view, id, ctx);
  view.append(h('h1', {}, 'Data-subject requests'));
  const filters = h('form', { class: 'filters', 'aria-label': 'Case filters' },
    field('Status', select('status', ['', 'open', 'searching', 'responded', 'closed'])),
    h('button', { type: 'submit' }, 'Apply'));
  const out = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    try {
      const r = await api('GET', '/api/v1/dsr/cases' + qs(formValues(filters)));
      if (!ctx.current()) return;
      const overdue = (r.items || []).filter(c => c.overdue).length;
      fill(out, h('p', { id: 'dsr-count', role: 'status' }, `${num(r.total)} case(s), ${num(overdue)} overdue.`),
        table('Cases, with their deadline under their regulation', [
          { label: 'Reference', get: caseLink },
          { label: 'Regulation', get: c => c.regulation },
          { label: 'Status', get: c => c.status },
          { label: 'Received', get: c => when(c.received_at) },
          { label: 'Due', get: due },
          { label: 'Owner', get: c => c.owner || '—' },
          { label: 'Identifiers', get: idTypes },
          { label: 'Created by', get: c => c.created_by },
        ], r.items, 'No case yet.'));
    } catch (e) {
      fill(out, errorBox(e));
    }
  };
  filters.addEventListener('submit', ev => { ev.preventDefault(); load(); });
  view.append(filters, out, h('h2', { id: 'dsr-new-h' }, 'New case'), await newCaseForm(load));
  await load();
}

async function newCaseForm(reload) {
  const { rows, addRow } = await identifierRows();
  const msg = h('div', { 'aria-live': 'polite', id: 'dsr-created' });
  const form = h('form', { autocomplete: 'off', 'aria-labelledby': 'dsr-new-h', onsubmit: async ev => {
    ev.preventDefault();
    const f = formValues(form);
    const req = { reference: f.reference, regulation: f.regulation, owner: f.owner, identifiers: identifiersOf(rows) };
    if (!req.identifiers.length) { fill(msg, h('p', { class: 'error', role: 'alert' }, 'Enter at least one identifier.')); return; }
    if (f.received_at) req.received_at = new Date(f.received_at + 'T00:00:00Z').toISOString();
    try {
      const c = await api('POST', '/api/v1/dsr/cases', req);
      form.reset();
      for (const i of rows.querySelectorAll('input')) i.value = '';
      fill(msg, h('p', { class: 'notice', role: 'status' }, `Case created, due ${when(c.due_at)}: `, caseLink(c)));
      await reload();
    } catch (e) {
      fill(msg, errorBox(e));
    }
  } },
  h('div', { class: 'bar' },
    field('Reference', h('input', { name: 'reference', size: 16 })),
    field('Regulation', select('regulation', [['gdpr', 'GDPR (one month)'], ['ccpa', 'CCPA (45 days)']], 'gdpr')),
    field('Received (default today)', h('input', { type: 'date', name: 'received_at' })),
    field('Owner', h('input', { name: 'owner', size: 14 }))),
  rows,
  h('div', { class: 'bar' },
    h('button', { type: 'button', class: 'secondary', onclick: addRow }, 'Add identifier'),
    h('button', { type: 'submit', id: 'dsr-create' }, 'Create case')));
  clearOnLeave(rows);
  return h('div', {}, form, msg);
}

async function dsrCase(view, id, ctx) {
  view.append(h('p', {}, link('#/dsr', '← All cases')));
  const head = h('div', {});
  const body = h('div', { 'aria-live': 'polite' });
  view.append(head, body);
  const base = '/api/v1/dsr/cases/' + encodeURIComponent(id);
  const load = async () => {
    const [c, ss] = await Promise.all([api('GET', base), api('GET', base + '/searches')]);
    if (!ctx.current()) return;
    const searches = ss.items || [];
    const msg = h('div', { 'aria-live': 'polite' });
    const status = select('status', dsrNext[c.status] || []);
    status.setAttribute('aria-label', 'New status');
    const change = dsrNext[c.status]?.length ? h('form', { class: 'bar', 'aria-label': 'Case status', onsubmit: async ev => {
      ev.preventDefault();
      try { await api('PATCH', base, { status: status.value }); await load(); } catch (e) { fill(msg, errorBox(e)); }
    } }, field('Move to', status), h('button', { type: 'submit', id: 'dsr-status' }, 'Change status')) : null;
    const search = h('button', { type: 'button', id: 'dsr-search', disabled: c.status === 'closed', onclick: async () => {
      try { await api('POST', base + '/searches'); await load(); } catch (e) { fill(msg, errorBox(e)); }
    } }, 'Search now');
    fill(head, h('h1', {}, `Request ${c.reference || c.id}`),
      kv([['Status', c.status, 'dsr-case-status'], ['Regulation', c.regulation], ['Received', when(c.received_at)],
        ['Due', due(c)], ['Owner', c.owner || '—'], ['Identifiers (values are not kept)', idTypes(c)],
        ['Created', `${when(c.created_at)} by ${c.created_by}`], ['Last change', `${when(c.updated_at)} by ${c.updated_by || '—'}`],
        ['Responded', when(c.responded_at)], ['Closed', when(c.closed_at)], ['Case id', h('span', { class: 'mono' }, c.id)]]),
      change, h('div', { class: 'bar' }, search,
        searches.length ? h('button', { type: 'button', class: 'secondary', onclick: () => saveFile(base + '/package?format=csv', `dsr-${c.id}.csv`, msg) }, 'Export package (CSV)') : null),
      msg);
    const parts = [h('h2', {}, 'Searches'), table('Each search of the read index for this person, oldest first', [
      { label: 'Searched', get: s => when(s.searched_at) }, { label: 'By', get: s => s.searched_by },
      { label: 'Index as of', get: s => when(s.index_as_of) },
      { label: 'Locations', get: s => num(s.matches), num: true }, { label: 'Sources covered', get: s => num(s.sources), num: true },
    ], searches, 'No search yet: “Search now” looks for the person in the latest scans.')];
    if (searches.length) {
      const p = await api('GET', base + '/package');
      if (!ctx.current()) return;
      parts.push(h('h2', {}, 'Latest search'), h('p', { id: 'dsr-statement' }, p.statement),
        p.note ? h('p', { class: 'muted' }, p.note) : null,
        h('h3', {}, 'Where the person was found'),
        h('div', { id: 'dsr-locations' }, table(null, [
          { label: 'Location', get: m => assetLink(m.asset_id, m.location) }, { label: 'Host', get: m => m.host },
          { label: 'Source', get: m => m.source }, { label: 'Type', get: m => m.type },
          { label: 'Occurrences', get: m => num(m.count), num: true },
          { label: 'Identifiers (#)', get: m => (m.identifiers || []).map(i => i + 1).join(', ') },
          { label: 'Last seen', get: m => when(m.last_seen) },
        ], p.locations, 'Not found in any source covered.')),
        h('h3', {}, 'Coverage: the scans the search read'),
        h('div', { id: 'dsr-coverage' }, table(null, [
          { label: 'Host', get: v => v.host }, { label: 'Source', get: v => v.source }, { label: 'Scanner', get: v => v.scanner },
          { label: 'Scan', get: v => h('span', { class: 'mono' }, v.scan_id) }, { label: 'Status', get: v => v.status },
          { label: 'Started', get: v => when(v.started_at) }, { label: 'Finished', get: v => when(v.finished_at) },
        ], p.coverage, 'No completed scan covered.')));
    }
    fill(body, parts);
  };
  await load();
}

// ---------- Records of processing ----------
const legalBases = [['', '— choose —'], ['consent', 'consent (Art. 6(1)(a))'], ['contract', 'contract (Art. 6(1)(b))'],
  ['legal_obligation', 'legal obligation (Art. 6(1)(c))'], ['vital_interests', 'vital interests (Art. 6(1)(d))'],
  ['public_task', 'public task (Art. 6(1)(e))'], ['legitimate_interests', 'legitimate interests (Art. 6(1)(f))']];

function systemLink(s) { return link('#/records/' + encodeURIComponent(s), s); }

async function records(view, system, ctx) {
  if (system) return recordPage(view, system, ctx);
  view.append(h('h1', {}, 'Records of processing'));
  const r = await api('GET', '/api/v1/records');
  if (!ctx.current()) return;
  const msg = h('div', { 'aria-live': 'polite' });
  view.append(h('div', { class: 'cards' },
    h('div', { class: 'card', id: 'records-total' }, h('div', { class: 'n' }, num(r.total)), h('div', {}, 'Systems')),
    h('div', { class: 'card', id: 'records-missing' }, h('div', { class: 'n' }, num(r.missing)), h('div', {}, 'Without a record'))),
  h('div', { class: 'bar' },
    h('button', { type: 'button', class: 'secondary', id: 'records-csv', onclick: () => saveFile('/api/v1/records?format=csv', 'sightline-records-of-processing.csv', msg) }, 'Export CSV'),
    h('button', { type: 'button', class: 'secondary', id: 'records-report', onclick: () => saveFile('/api/v1/records/report', 'sightline-records-of-processing.html', msg) }, 'Printable report (HTML)'),
    h('span', { class: 'muted' }, `Discovered facts as of ${when(r.as_of)}.`)), msg,
  table('Each system the scans found or someone recorded', [
    { label: 'System', get: e => systemLink(e.system) },
    { label: 'Record', get: e => e.missing_record ? bad('missing') : `revision ${e.record.revision}` },
    { label: 'Legal basis', get: e => e.record?.legal_basis || '—' },
    { label: 'Purpose', get: e => e.record?.purpose || '—' },
    { label: 'Owner', get: e => e.record?.owner || '—' },
    { label: 'Personal data found', get: e => e.discovered ? tags(e.discovered.types) : h('span', { class: 'muted' }, 'no scan covers it') },
    { label: 'Assets', get: e => e.discovered ? num(e.discovered.assets) : '—', num: true },
    { label: 'Changed', get: e => e.record ? `${when(e.record.changed_at)} by ${e.record.changed_by}` : '—' },
  ], r.items, 'No system yet (no agent has reported personal data).'));
}

function lines(s) { return s.split('\n').map(x => x.trim()).filter(Boolean); }

async function recordPage(view, system, ctx) {
  const base = '/api/v1/records/' + encodeURIComponent(system);
  view.append(h('p', {}, link('#/records', '← All systems')), h('h1', {}, `Record of processing: ${system}`));
  const body = h('div', {});
  view.append(body);
  const load = async notice => {
    const e = await api('GET', base);
    if (!ctx.current()) return;
    const r = e.record || {};
    const d = e.discovered;
    const msg = h('div', { 'aria-live': 'polite' }, notice);
    const area = (name, label, value) => field(label, h('textarea', { name, rows: 3, cols: 60 }, value || ''));
    const input = (name, label, value) => field(label, h('input', { name, size: 40, value: value || '' }));
    const form = h('form', { class: 'record', 'aria-label': 'Record of processing', onsubmit: async ev => {
      ev.preventDefault();
      const f = formValues(form);
      const transfers = lines(f.transfers).map(l => {
        const [country, safeguard = ''] = l.split(':').map(x => x.trim());
        return { country, safeguard };
      });
      const req = { purpose: f.purpose, legal_basis: f.legal_basis, retention: f.retention, recipients: lines(f.recipients),
        transfers, controller: f.controller, owner: f.owner, dpo_contact: f.dpo_contact };
      if (e.record) req.base_revision = e.record.revision;
      try {
        const saved = await api('PUT', base, req);
        await load(h('p', { class: 'notice', role: 'status', id: 'record-saved' }, `Saved as revision ${saved.revision}.`));
      } catch (err) {
        fill(msg, errorBox(err));
      }
    } },
    area('purpose', 'Purpose', r.purpose),
    field('Legal basis (GDPR Art. 6(1))', select('legal_basis', legalBases, r.legal_basis || '')),
    input('retention', 'Retention', r.retention),
    area('recipients', 'Recipients (one per line)', (r.recipients || []).join('\n')),
    area('transfers', 'Transfers to third countries (one per line: country: safeguard, e.g. US: standard_contractual_clauses)',
      (r.transfers || []).map(t => `${t.country}: ${t.safeguard}`).join('\n')),
    input('controller', 'Controller', r.controller),
    input('owner', 'Owner', r.owner),
    input('dpo_contact', 'DPO contact', r.dpo_contact),
    h('div', {}, h('button', { type: 'submit', id: 'record-save' }, e.record ? `Save revision ${e.record.revision + 1}` : 'Save the first record')));
    fill(body,
      h('p', { id: 'record-state' }, e.missing_record ? bad('No record yet') : `Revision ${r.revision}, ${when(r.changed_at)} by ${r.changed_by}`),
      h('h2', {}, 'What the scans found'),
      d ? kv([['Source', d.source], ['Jurisdiction', d.jurisdiction || '—'], ['Categories', tags(d.categories)], ['Types', tags(d.types)],
        ['Assets', num(d.assets)], ['Occurrences', num(d.occurrences)], ['People at most', num(d.people_at_most)],
        ['Public assets', num(d.public_assets)], ['World-readable assets', num(d.world_readable_assets)], ['As of', when(e.as_of)]])
        : h('p', { class: 'muted' }, 'No scan covers this system.'),
      h('h2', {}, 'Record'), msg, form,
      h('h2', {}, 'History'),
      table(null, [
        { label: 'Revision', get: x => num(x.revision), num: true }, { label: 'Changed', get: x => when(x.changed_at) },
        { label: 'By', get: x => x.changed_by }, { label: 'Legal basis', get: x => x.legal_basis }, { label: 'Purpose', get: x => x.purpose },
      ], e.history, 'No revision yet.'));
  };
  await load();
}

// ---------- Privacy impact assessments ----------
function rating(a) { return a.rating ? `${a.rating} (${num(a.score)})` : '—'; }
function review(a) { return a.needs_review ? [bad('needs review'), ' ', (a.review_reasons || []).join('; ')] : 'no'; }

async function pias(view, id, ctx) {
  if (id) return piaPage(view, id, ctx);
  view.append(h('h1', {}, 'Privacy impact assessments'));
  const r = await api('GET', '/api/v1/pias');
  if (!ctx.current()) return;
  view.append(table('Each assessment, its rating, and whether a later scan changed the facts it rests on', [
    { label: 'Title', get: a => link('#/pias/' + encodeURIComponent(a.id), a.title || a.id) },
    { label: 'Systems', get: a => tags(a.systems) },
    { label: 'Status', get: a => a.status },
    { label: 'Rating (score)', get: rating },
    { label: 'Needs review', get: review },
    { label: 'Updated', get: a => `${when(a.updated_at)} by ${a.updated_by || a.created_by}` },
  ], r.items, 'No assessment yet (POST /api/v1/pias starts one).'));
}

async function piaPage(view, id, ctx) {
  const a = await api('GET', '/api/v1/pias/' + encodeURIComponent(id));
  if (!ctx.current()) return;
  view.append(h('p', {}, link('#/pias', '← All assessments')), h('h1', {}, a.title || a.id),
    kv([['Status', a.status, 'pia-status'], ['Rating', rating(a), 'pia-rating'], ['Likelihood', a.likelihood || '—'], ['Severity', a.severity || '—'],
      ['Needs review', review(a)], ['Systems', tags(a.systems)],
      ['Purpose', a.purpose || '—'], ['Necessity', a.necessity || '—'], ['Retention', a.retention || '—'], ['Safeguards', a.safeguards || '—'],
      ['Created', `${when(a.created_at)} by ${a.created_by}`], ['Updated', `${when(a.updated_at)} by ${a.updated_by || '—'}`],
      ['Id', h('span', { class: 'mono' }, a.id)]]),
    h('h2', {}, 'Facts it rests on'),
    table(`As of ${when(a.facts_as_of)}`, [
      { label: 'System', get: f => systemLink(f.system) }, { label: 'Categories', get: f => tags(f.categories) },
      { label: 'Types', get: f => tags(f.types) }, { label: 'Assets', get: f => num(f.assets), num: true },
      { label: 'Occurrences', get: f => num(f.occurrences), num: true }, { label: 'People at most', get: f => num(f.people_at_most), num: true },
      { label: 'Jurisdiction', get: f => f.jurisdiction || '—' },
      { label: 'Public', get: f => f.public ? bad('public') : 'no' },
      { label: 'World-readable assets', get: f => num(f.world_readable_assets), num: true },
    ], a.facts, 'No facts recorded.'));
}

// ---------- Alerts ----------
async function alerts(view, _arg, ctx) {
  view.append(h('h1', {}, 'Alerts'));
  const sec = (id, title) => h('section', { 'aria-labelledby': id + '-h', id }, h('h2', { id: id + '-h' }, title));
  const rules = sec('alert-rules', 'Rules'), events = sec('alert-events', 'Latest events'), deliveries = sec('alert-deliveries', 'Latest deliveries');
  view.append(rules, events, deliveries);
  const show = async (box, path, caption, columns, empty) => {
    try {
      const r = await api('GET', path);
      if (ctx.current()) box.append(table(caption, columns, r.items, empty));
    } catch (e) { box.append(errorBox(e)); }
  };
  await Promise.all([
    show(rules, '/api/v1/alerts/rules', 'Configured in collector.yaml (alerts.rules)', [
      { label: 'Name', get: r => r.name }, { label: 'Kind', get: r => r.kind }, { label: 'Severity', get: r => r.severity || '—' },
      { label: 'Destinations', get: r => tags(r.destinations) },
      { label: 'Settings', get: r => tags([r.threshold && `threshold ${r.threshold}`, r.within && `within ${r.within}`,
        r.older_than && `older than ${r.older_than}`, r.every && `every ${r.every}`].filter(Boolean)) },
      { label: 'Active', get: r => r.active ? 'yes' : [bad('no'), r.note ? ' ' + r.note : ''] },
    ], 'No rule is configured.'),
    show(events, '/api/v1/alerts/events' + qs({ limit: 100 }), null, [
      { label: 'Fired', get: e => when(e.fired_at) }, { label: 'Rule', get: e => e.rule },
      { label: 'Severity', get: e => e.severity === 'high' || e.severity === 'critical' ? bad(e.severity) : e.severity },
      { label: 'Title', get: e => e.title }, { label: 'Subject', get: e => h('span', { class: 'mono' }, e.subject) },
      { label: 'Event', get: e => h('span', { class: 'mono' }, e.id) },
    ], 'No event has fired.'),
    show(deliveries, '/api/v1/alerts/deliveries' + qs({ limit: 100 }), null, [
      { label: 'At', get: d => when(d.at) }, { label: 'Event', get: d => h('span', { class: 'mono' }, d.event_id) },
      { label: 'Destination', get: d => d.destination }, { label: 'Attempt', get: d => num(d.attempt), num: true },
      { label: 'Status', get: d => d.status === 'failed' ? bad(d.status) : d.status },
      { label: 'Error', get: d => d.error || '—' }, { label: 'Next try', get: d => d.next_try ? when(d.next_try) : '—' },
    ], 'Nothing delivered yet.'),
  ]);
}

export const privacyPages = { dsr, records, pias, alerts };
