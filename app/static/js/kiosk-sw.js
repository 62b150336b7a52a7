// Kiosk service worker (served at /kiosk/sw.js, scope /kiosk/): kiosk pages and static assets are
// fetched from the network first and from the cache when the server cannot be reached. Submissions
// (POST) are never touched here: the page keeps them in IndexedDB until the server acknowledges them.
"use strict";

var CACHE = "otklik-kiosk-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function cacheable(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname === "/kiosk/sw.js") return false;
  if (url.pathname.indexOf("/kiosk/enrol") === 0) return false;  // one-time links are never cached
  return url.pathname.indexOf("/kiosk/") === 0 || url.pathname.indexOf("/static/") === 0;
}

function networkFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") cache.put(request.url, response.clone());
      return response;
    }).catch(function (err) {
      return cache.match(request.url, { ignoreVary: true, ignoreSearch: false }).then(function (hit) {
        if (hit) return hit;
        throw err;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!cacheable(url)) return;
  event.respondWith(networkFirst(request));
});
