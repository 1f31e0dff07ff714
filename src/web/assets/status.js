// The status page's only script: relative times and live updates.
// Values are never turned into markup here: the server sends HTML it escaped
// itself, parsed into an inert document, and everything else is textContent.

const main = document.getElementById('main');
const liveStatus = document.getElementById('live-status');

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const units = [
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

function ago(date) {
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'minute') {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return date.toISOString();
}

function showTimes(root) {
  for (const element of root.querySelectorAll('time[datetime]')) {
    const date = new Date(element.getAttribute('datetime'));
    if (Number.isNaN(date.getTime())) continue;
    // Older than a week: the absolute date says more than "12 days ago".
    if (Date.now() - date.getTime() > 7 * 86400 * 1000) continue;
    element.title = date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
    element.textContent = ago(date);
  }
}

function setLiveStatus(state, text) {
  if (!liveStatus) return;
  liveStatus.dataset.state = state;
  liveStatus.textContent = text;
}

function applyUpdate(data) {
  let update;
  try {
    update = JSON.parse(data);
  } catch {
    return;
  }
  if (!update || typeof update.html !== 'string' || typeof update.version !== 'string') return;
  const parsed = new window.DOMParser().parseFromString(update.html, 'text/html');
  main.replaceChildren(...Array.from(parsed.body.childNodes));
  main.dataset.version = update.version;
  showTimes(main);
  setLiveStatus('live', 'live · updated ' + new Date().toLocaleTimeString());
}

function follow() {
  const view = main && main.dataset.live;
  if (!view || typeof EventSource === 'undefined') {
    setLiveStatus('off', 'reload for updates');
    return;
  }
  const url = new URL('/factory/events', location.href);
  url.searchParams.set('view', view);
  url.searchParams.set('since', main.dataset.version || '');
  const source = new EventSource(url.toString());
  source.addEventListener('open', () => setLiveStatus('live', 'live'));
  source.addEventListener('error', () => setLiveStatus('offline', 'reconnecting…'));
  source.addEventListener('view', (event) => applyUpdate(event.data));
  source.addEventListener('stale', () => setLiveStatus('offline', 'server cannot read updates'));
}

showTimes(document);
follow();
window.setInterval(() => showTimes(document), 30000);
