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

/** The one page of the shop: sign-in form or greeting, the cart, and which instance answered. */
export function renderShopPage(state: {
  user: string | undefined;
  cart: string[];
  remembered: boolean;
  instance: string;
}): string {
  const remembered = state.remembered ? ' <span id="remembered">(remembered for 30 days)</span>' : '';
  const signIn = state.user
    ? `<p id="greeting">Signed in as <strong>${escapeHtml(state.user)}</strong>.${remembered}</p>
       <form method="post" action="/sign-out"><button id="sign-out">Sign out</button></form>`
    : `<form method="post" action="/sign-in">
         <label>Name <input id="user" name="user" required maxlength="40"></label>
         <label><input type="checkbox" id="remember" name="remember" value="1"> Remember me</label>
         <button id="sign-in">Sign in</button>
       </form>`;
  const cart = state.cart.length
    ? `<ul id="cart">${state.cart.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`
    : '<p id="cart">Your cart is empty.</p>';
  const buttons = PRODUCTS.map(
    (item) =>
      `<form method="post" action="/cart"><input type="hidden" name="item" value="${item}"><button id="add-${item.toLowerCase()}">Add ${item}</button></form>`,
  ).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sharedstate shop</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto}form{display:inline-block;margin:.2rem}
#instance{color:#666;font-size:.9rem}</style></head>
<body>
<h1>sharedstate shop</h1>
${signIn}
<h2>Cart</h2>
${cart}
<div>${buttons}</div>
<p id="instance">Served by instance <strong>${escapeHtml(state.instance)}</strong> (process ${process.pid}).</p>
</body></html>`;
}
