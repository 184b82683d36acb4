// Sightline console: shell, login and hash router. Pages live in pages.js.
import { api, setUnauthorizedHandler } from './api.js';
import { h, errorBox, fill } from './dom.js';
import { pages as corePages } from './pages.js';
import { privacyPages } from './privacy.js';

const pages = { ...corePages, ...privacyPages };

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const logoutBtn = document.getElementById('logout');

// Which pages each role sees in the menu. This is convenience only: the
// API decides what each role may read or change, and a page opened by a
// role the API refuses shows the API's answer (e.g. 403).
const menu = [
  ['overview', 'Overview', ['admin', 'security', 'privacy']],
  ['assets', 'Assets', ['admin', 'security', 'privacy']],
  ['subjects', 'Data subjects', ['admin', 'privacy']],
  ['dsr', 'Requests', ['admin', 'privacy']],
  ['records', 'Records of processing', ['admin', 'privacy']],
  ['pias', 'Impact assessments', ['admin', 'privacy']],
  ['identities', 'Identities', ['admin', 'security', 'privacy']],
  ['reviews', 'Access reviews', ['admin', 'security', 'reviewer']],
  ['impact', 'Breach impact', ['admin', 'security', 'privacy']],
  ['risk', 'Risk register', ['admin', 'security']],
  ['policies', 'Fleet policies', ['admin', 'security']],
  ['alerts', 'Alerts', ['admin', 'security', 'privacy']],
  ['admin', 'Fleet, tokens, audit', ['admin']],
];

let me = null;
let renderSeq = 0;

const ssoErrors = {
  state: 'The single sign-on attempt expired or came from another browser tab. Please start again.',
  denied: 'The identity provider did not sign you in.',
  no_role: 'You signed in, but your account has no Sightline role. Ask an administrator to map one of your groups.',
  unavailable: 'Single sign-on is unavailable right now (the identity provider could not be reached).',
  failed: 'Single sign-on failed. Please try again.',
};

async function boot() {
  const params = new URLSearchParams(location.search);
  const ssoError = params.get('sso_error');
  if (location.search) history.replaceState(null, '', location.pathname + location.hash);
  let info;
  try {
    info = await api('GET', '/console/session');
  } catch (e) {
    fill(main, errorBox(e));
    return;
  }
  if (!info.logged_in) {
    showLogin(info, ssoError ? ssoErrors[ssoError] || ssoErrors.failed : '');
    return;
  }
  me = info;
  shell();
  route();
}

function shell() {
  who.textContent = `${me.name || 'unnamed'} (${me.role})`;
  logoutBtn.hidden = false;
  fill(nav, ...menu.filter(m => m[2].includes(me.role)).map(([id, label]) => h('a', { href: '#/' + id, 'data-page': id }, label)));
}

function showLogin(info, error) {
  me = null;
  fill(nav);
  who.textContent = '';
  logoutBtn.hidden = true;
  document.title = 'Log in · Sightline';
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const msg = h('div', { 'aria-live': 'polite' }, error ? h('div', { class: 'error', role: 'alert' }, error) : null);
  // method=post: should the script not handle the submit, the browser
  // posts the token (refused as a form), never puts it in the URL.
  const form = h('form', {
    method: 'post', action: '/console/login',
    onsubmit: async ev => {
      ev.preventDefault();
      try {
        me = await api('POST', '/console/login', { token: token.value });
        token.value = '';
        shell();
        location.hash = defaultPage();
        route();
      } catch (e) {
        fill(msg, errorBox(e));
      }
    },
  },
  h('label', { for: 'token' }, 'API token'), token,
  h('button', { type: 'submit', id: 'login-token' }, 'Log in with token'));
  fill(main, h('section', { class: 'login' },
    h('h1', {}, 'Log in to Sightline'), msg,
    info.sso ? h('p', {}, h('a', { class: 'sso', href: '/console/sso/start', id: 'sso' }, 'Sign in with single sign-on')) : null,
    h('h2', {}, info.sso ? 'Or paste an API token' : 'Paste an API token'),
    form,
    h('p', { class: 'muted' }, 'The token is sent once to open a session; the browser keeps only an HTTP-only session cookie.')));
  token.focus();
}

function defaultPage() {
  return me && me.role === 'reviewer' ? '#/reviews' : '#/overview';
}

async function route() {
  if (!me) return;
  const hash = location.hash || defaultPage();
  const [, page = 'overview', ...rest] = hash.split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const render = pages[page];
  const seq = ++renderSeq;
  const view = h('div', {});
  fill(main, view);
  if (!render) {
    view.append(h('h1', {}, 'Not found'), h('p', {}, 'No such page.'));
    return;
  }
  try {
    await render(view, arg, { me, current: () => seq === renderSeq });
  } catch (e) {
    if (seq === renderSeq) view.append(errorBox(e));
  }
  const h1 = view.querySelector('h1');
  document.title = (h1 ? h1.textContent + ' · ' : '') + 'Sightline';
  // The moment the page's data is on screen, in the browser's own
  // timeline (performance.now() since the document's start): the render
  // benchmark (deploy/bench/console) reads it.
  if (seq === renderSeq) performance.mark('sightline:shown', { detail: page });
}

logoutBtn.addEventListener('click', async () => {
  try {
    await api('POST', '/console/logout');
  } catch { /* the session is gone either way */ }
  showLogin({ sso: me?.sso }, '');
  main.prepend(h('p', { class: 'notice', role: 'status' }, 'You are logged out.'));
});

setUnauthorizedHandler(() => {
  showLogin({ sso: me?.sso }, 'Your session has ended. Please log in again.');
});

window.addEventListener('hashchange', route);
boot();
