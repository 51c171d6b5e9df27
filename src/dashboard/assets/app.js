// The page: sign-in, routing between the list and a timeline, live streams, actions.

import { createList } from './list.js';
import { follow } from './stream.js';
import { createTimeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
const mode = document.querySelector('meta[name="fledge-auth"]').content;
const TOKEN_KEY = 'fledge-dashboard-token';

// The token arrives in the URL's fragment (never sent to the server, kept out of logs);
// it moves to this tab's session storage and leaves the address bar.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('token')) {
  sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}
let token = sessionStorage.getItem(TOKEN_KEY);

const list = createList();
const timeline = createTimeline(askToAct);
let stopList;
let stopTimeline;
let shownTimeline;

function setConnection(state, detail) {
  const connection = $('connection');
  connection.className = state === 'live' ? 'live' : 'down';
  connection.textContent =
    state === 'live' ? 'live' : state === 'retrying' ? `reconnecting: ${detail}` : detail;
}

function signIn(why) {
  stopList?.();
  stopTimeline?.();
  stopList = stopTimeline = shownTimeline = undefined;
  for (const id of ['list-view', 'timeline-view']) $(id).hidden = true;
  $('login').hidden = false;
  $('login-why').textContent =
    mode === 'cluster'
      ? `${why ? `${why}. ` : ''}Paste a Kubernetes bearer token, e.g. from \`kubectl create token NAME\`; RBAC decides what you may see and do.`
      : `${why ? `${why}. ` : ''}Open the address \`fledge dashboard\` printed: it carries this run's token.`;
  $('login-form').hidden = mode !== 'cluster';
  setConnection('refused', 'signed out');
}

$('login-form').addEventListener('submit', (event) => {
  // The page handles the form itself: nothing is posted anywhere.
  event.preventDefault();
  token = $('token').value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  $('login').hidden = true;
  route();
});

function onRefused(message, status, where) {
  if (status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    signIn(message);
    return;
  }
  setConnection('refused', status === 403 ? 'not allowed' : 'not found');
  $(where).hidden = false;
  $(where).textContent = message;
}

function followList() {
  const query = new URLSearchParams(location.search).get('namespace');
  const path = `/api/rollouts${query ? `?namespace=${encodeURIComponent(query)}` : ''}`;
  stopList = follow(
    path,
    token,
    (type, data) => list.apply(type, data),
    (state, detail, status) => {
      if (state === 'refused') onRefused(detail, status, 'list-problem');
      else setConnection(state, detail);
    },
  );
}

function followTimeline(namespace, name) {
  const key = `${namespace}/${name}`;
  if (shownTimeline === key) return;
  stopTimeline?.();
  timeline.clear();
  shownTimeline = key;
  $('timeline-problem').hidden = true;
  $('timeline-title').textContent = key;
  const path = `/api/rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/timeline`;
  stopTimeline = follow(
    path,
    token,
    (type, data) => {
      if (type === 'timeline') timeline.render(data);
      else if (type === 'problem' || type === 'gone') {
        $('timeline-problem').hidden = !data.message;
        $('timeline-problem').textContent = data.message ?? '';
      }
    },
    (state, detail, status) => {
      if (state === 'refused') onRefused(detail, status, 'timeline-problem');
      else setConnection(state, detail);
    },
  );
}

function route() {
  if (!token) return signIn(mode === 'cluster' ? '' : 'This page has no token');
  $('login').hidden = true;
  if (!stopList) followList();
  const match = /^#\/rollout\/([^/]+)\/([^/]+)$/.exec(location.hash);
  $('list-view').hidden = Boolean(match);
  $('timeline-view').hidden = !match;
  if (match) {
    followTimeline(decodeURIComponent(match[1]), decodeURIComponent(match[2]));
  } else {
    stopTimeline?.();
    stopTimeline = shownTimeline = undefined;
    timeline.clear();
  }
  $('main').focus({ preventScroll: true });
}

async function act(t, choice) {
  const result = $('action-result');
  result.className = 'action-result';
  result.textContent = `${choice.action}: sending…`;
  try {
    const response = await fetch(
      `/api/rollouts/${encodeURIComponent(t.row.namespace)}/${encodeURIComponent(t.row.name)}/actions/${choice.action}`,
      { method: 'POST', headers: { authorization: `Bearer ${token}` } },
    );
    const answer = await response.json().catch(() => ({ message: response.statusText }));
    result.className = response.ok ? 'action-result' : 'action-result refused';
    result.textContent = response.ok
      ? [answer.message, ...(answer.notes ?? [])].join(' ')
      : `${choice.action} refused (${response.status}): ${answer.message}`;
  } catch (error) {
    result.className = 'action-result refused';
    result.textContent = `${choice.action} failed: ${error.message}`;
  }
}

/** Refused actions say why; allowed ones ask first, in a modal dialog. */
function askToAct(t, choice) {
  const result = $('action-result');
  if (!choice.allowed) {
    result.className = 'action-result refused';
    result.textContent = `Not now: ${choice.message}`;
    return;
  }
  const dialog = $('confirm');
  $('confirm-title').textContent =
    `${choice.action[0].toUpperCase()}${choice.action.slice(1)} ${t.row.namespace}/${t.row.name}?`;
  $('confirm-text').textContent = choice.message;
  $('confirm-notes').replaceChildren(
    ...choice.notes.map((note) => {
      const item = document.createElement('li');
      item.textContent = note;
      return item;
    }),
  );
  $('confirm-go').textContent = choice.action;
  $('confirm-go').onclick = () => {
    dialog.close();
    void act(t, choice);
  };
  dialog.showModal();
  $('confirm-cancel').focus();
}
$('confirm-cancel').addEventListener('click', () => $('confirm').close());

window.addEventListener('hashchange', route);
route();
