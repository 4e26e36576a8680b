"""The remote control's small web page: sign in, then the torrents with their progress and rates, refreshed every
two seconds, with pause, resume and remove. Plain HTML and fetch() against the API on the same origin (so the
Origin check passes and the SameSite session cookie is sent). No external resources. A constant, any thread.
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bundlecast remote</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}#error{color:#a00}</style></head>
<body><h1>Bundlecast</h1>
<form id="login"><input name="username" placeholder="User name" value="admin">
<input name="password" type="password" placeholder="Password"><button>Sign in</button></form>
<p id="error"></p>
<table id="list" hidden><thead><tr><th>Name</th><th>Progress</th><th>State</th><th>Down</th><th>Up</th><th></th></tr>
</thead><tbody></tbody></table>
<script>
const rate = b => b < 1024 ? b + ' B/s' : (b / 1048576 >= 1 ? (b / 1048576).toFixed(1) + ' MiB/s'
  : (b / 1024).toFixed(1) + ' KiB/s');
async function post(path, data) {
  return fetch('/api/v2/' + path, {method: 'POST', body: new URLSearchParams(data)});
}
async function refresh() {
  const answer = await fetch('/api/v2/torrents/info');
  if (answer.status !== 200) { return; }
  document.getElementById('login').hidden = true;
  const table = document.getElementById('list'); table.hidden = false;
  const body = table.querySelector('tbody'); body.textContent = '';
  for (const t of await answer.json()) {
    const row = body.insertRow();
    for (const text of [t.name, (t.progress * 100).toFixed(1) + ' %', t.state, rate(t.dlspeed), rate(t.upspeed)]) {
      row.insertCell().textContent = text;
    }
    const cell = row.insertCell();
    for (const [label, path] of [['Pause', 'torrents/pause'], ['Resume', 'torrents/resume'],
                                 ['Remove', 'torrents/delete']]) {
      const button = document.createElement('button'); button.textContent = label;
      button.onclick = () => post(path, {hashes: t.hash, deleteFiles: 'false'}).then(refresh);
      cell.appendChild(button);
    }
  }
}
document.getElementById('login').onsubmit = async event => {
  event.preventDefault();
  const answer = await post('auth/login', new FormData(event.target));
  const text = await answer.text();
  document.getElementById('error').textContent = text === 'Ok.' ? '' :
    (answer.status === 403 ? text : 'Wrong user name or password.');
  refresh();
};
refresh(); setInterval(refresh, 2000);
</script></body></html>
"""
