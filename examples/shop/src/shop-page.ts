import type { ClusterView, DeviceView, ShopView } from './shop-view.ts';

/** The session data the shop keeps. */
export interface ShopSession {
  user: string;
  cart: string[];
}

export const PRODUCTS = ['Tea', 'Coffee', 'Biscuits'] as const;

/** How long "Remember me" keeps a shopper signed in (session.rememberFor). */
export const REMEMBER_FOR = '30d';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The session: its id and each entry as the cache holds it. */
function sessionSection(view: ShopView): string {
  const entries = view.session.entries.length
    ? `<table id="session-entries"><tr><th>key</th><th>value (as stored)</th></tr>${view.session.entries
        .map(
          ([key, value]) =>
            `<tr><td><code>${escapeHtml(key)}</code></td><td><code>${escapeHtml(value)}</code></td></tr>`,
        )
        .join('')}</table>`
    : '<p id="session-entries">It holds nothing yet: the cache has no entry for it.</p>';
  return `<h3>Your session</h3>
<p>Session id <code id="session-id">${escapeHtml(view.session.id)}</code> ${view.session.isNew ? '(new on this request)' : '(loaded from the cache)'}.</p>
${entries}`;
}

/** The key ring: every key, and which one protects this browser's cookie. */
function keyRingSection(view: ShopView): string {
  const cookie = view.cookieKeyId
    ? `<p id="cookie-key">Your session cookie is protected with key <code>${escapeHtml(view.cookieKeyId)}</code>.</p>`
    : '<p id="cookie-key">Your browser sent no session cookie with this request.</p>';
  const rows = view.keys
    .map((key) => {
      const yours = key.id === view.cookieKeyId ? ' <strong>(protects your cookie)</strong>' : '';
      return `<tr class="key ${key.status.replaceAll(' ', '-')}"><td><code>${escapeHtml(key.id)}</code></td><td>${when(key.created)}</td><td>${when(key.activation)}</td><td>${when(key.expiration)}</td><td>${key.status}${yours}</td></tr>`;
    })
    .join('');
  return `<h3>Key ring</h3>
${cookie}
<table id="keys"><tr><th>key id</th><th>created</th><th>activation</th><th>expiration</th><th>status</th></tr>${rows}</table>`;
}

/** "Your devices": where the signed-in user is signed in, and a button to sign each other device out. */
function devicesSection(devices: DeviceView[]): string {
  const rows = devices
    .map((device, i) => {
      const action = device.current
        ? '<strong>(this browser)</strong>'
        : `<form method="post" action="/devices/sign-out"><input type="hidden" name="handle" value="${escapeHtml(device.handle)}"><button id="sign-out-device-${i}">Sign out</button></form>`;
      return `<tr class="device${device.current ? ' current' : ''}"><td>${escapeHtml(device.device)}</td><td>${when(device.signedIn)}</td><td>${when(device.lastSeen)}</td><td>${action}</td></tr>`;
    })
    .join('');
  const others =
    devices.length > 1
      ? '<form method="post" action="/devices/sign-out-others"><button id="sign-out-others">Sign out everywhere else</button></form>'
      : '';
  return `<h2>Your devices</h2>
<table id="devices"><tr><th>device</th><th>signed in</th><th>last seen</th><th></th></tr>${rows}</table>
${others}
<p class="note">Every session you signed in on, from any instance. Signing one out ends it everywhere at once:
its next request starts a fresh, signed-out session.</p>`;
}

/** The demo's controls, when it runs several instances behind its proxy. */
function clusterSection(view: ShopView, cluster: ClusterView): string {
  const rows = cluster.instances
    .map(
      (instance) =>
        `<tr><td>${escapeHtml(instance.name)}${instance.name === view.instance ? ' <strong>(served this page)</strong>' : ''}</td><td>${instance.pid}</td><td>${instance.port}</td>
<td><form method="post" action="/_demo/stop"><input type="hidden" name="name" value="${escapeHtml(instance.name)}"><button class="stop" id="stop-${escapeHtml(instance.name)}">Stop</button></form></td></tr>`,
    )
    .join('');
  // A key revoked already is not offered again (a second revocation would change nothing).
  const cookieKey = view.keys.find((key) => key.id === view.cookieKeyId);
  const revoke =
    view.cookieKeyId === undefined
      ? ''
      : cookieKey?.status === 'revoked'
        ? `<p id="cookie-key-revoked">The key that protects your cookie (<code>${escapeHtml(view.cookieKeyId)}</code>) is revoked: this instance refuses the cookie, and your next sign-in gets a cookie protected with another key.</p>`
        : `<form method="post" action="/_demo/revoke"><input type="hidden" name="key" value="${escapeHtml(view.cookieKeyId)}"><button id="revoke-key">Revoke the key that protects your cookie</button></form>`;
  return `<h3>Instances behind the proxy</h3>
<table id="instances"><tr><th>instance</th><th>process</th><th>port</th><th></th></tr>${rows}</table>
<form method="post" action="/_demo/start"><button id="start-instance">Start a new instance</button></form>
${revoke}
<p class="note">Sessions live in ${escapeHtml(cluster.store)} and every instance reads the same key ring, so stopping an instance loses
no cart. Revoking a key reaches every instance within ${escapeHtml(cluster.keyRingCheck)}: from then on the
cookies it protects are refused (their sessions start afresh) and a new key protects new cookies.</p>`;
}

/** The one page of the shop: sign-in form or greeting, the cart, and what happened behind it. */
export function renderShopPage(view: ShopView): string {
  const remembered = view.remembered ? ' <span id="remembered">(remembered for 30 days)</span>' : '';
  const signIn = view.user
    ? `<p id="greeting">Signed in as <strong>${escapeHtml(view.user)}</strong>.${remembered}</p>
       <form method="post" action="/sign-out"><button id="sign-out">Sign out</button></form>`
    : `<form method="post" action="/sign-in">
         <label>Name <input id="user" name="user" required maxlength="40"></label>
         <label><input type="checkbox" id="remember" name="remember" value="1"> Remember me</label>
         <button id="sign-in">Sign in</button>
       </form>`;
  const cart = view.cart.length
    ? `<ul id="cart">${view.cart.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`
    : '<p id="cart">Your cart is empty.</p>';
  const buttons = PRODUCTS.map(
    (item) =>
      `<form method="post" action="/cart"><input type="hidden" name="item" value="${item}"><button id="add-${item.toLowerCase()}">Add ${item}</button></form>`,
  ).join('');
  const notice = view.revoked
    ? `<p id="notice">Key <code>${escapeHtml(view.revoked)}</code> was revoked. Reload in a moment: once this instance has noticed, your cookie is refused and a new session starts.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sharedstate shop</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}
form{display:inline-block;margin:.2rem}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}code{font-size:.85rem}
#story{margin-top:2rem;border-top:2px solid #444}#notice{background:#fff3cd;padding:.5rem}
tr.revoked td{color:#a00;text-decoration:line-through}tr.revoked td:last-child{text-decoration:none}
.note{color:#555;font-size:.9rem}</style></head>
<body>
<h1>sharedstate shop</h1>
${notice}
${signIn}
<h2>Cart</h2>
${cart}
<div>${buttons}</div>
${view.devices ? devicesSection(view.devices) : ''}
<section id="story">
<h2>Behind this page</h2>
<p id="instance">Served by instance <strong>${escapeHtml(view.instance)}</strong> (process ${view.pid}).</p>
${sessionSection(view)}
${keyRingSection(view)}
${view.cluster ? clusterSection(view, view.cluster) : ''}
<p class="note">For operators: this instance's <a href="/metrics">metrics</a> (Prometheus) and <a href="/ready">readiness</a>.</p>
</section>
</body></html>`;
}
