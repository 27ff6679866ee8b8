// The tenant app's service worker (scope /app/): keeps the shell for offline
// use, shows Web Push notifications, and asks an open page to send drafts
// written offline (the page holds the sign-in; drafts.js keeps their keys).
const CACHE = "tenantdesk-app-v1";
const SHELL = ["/app/index.html", "/app/app.css", "/app/app.js", "/app/api.js", "/app/i18n.js", "/app/icons.js",
  "/app/drafts.js", "/app/photo.js", "/app/manifest.webmanifest", "/app/icon.svg", "/app/config.json"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// The shell: network first (always the newest when online), the cache when offline.
// Nothing else is touched: API answers are never cached (they belong to one signed-in tenant).
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(fetch(event.request).then((r) => {
    if (r.ok) { const copy = r.clone(); caches.open(CACHE).then((c) => c.put(url.pathname, copy)); }
    return r;
  }).catch(() => caches.match(url.pathname)));
});

async function tellPages(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}
self.addEventListener("sync", (event) => { if (event.tag === "drafts") event.waitUntil(tellPages("flush-drafts")); });

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data ? event.data.text() : "" }; }
  const link = data.case_id && data.property_id
    ? `/app/index.html#/case/${encodeURIComponent(data.property_id)}/${encodeURIComponent(data.case_id)}` : "/app/index.html#/notifications";
  event.waitUntil(self.registration.showNotification(String(data.title || "Tenantdesk"), {
    body: String(data.body || ""), icon: "/app/icon.svg", badge: "/app/icon.svg", tag: data.id || data.case_id || undefined,
    data: { link } }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.link));
});
