// Cases written while offline, kept in IndexedDB with the Idempotency-Key
// chosen when they were written: sending one again (reconnect, reload, a lost
// answer) never makes a second case.
const DB = "tenantdesk-app", STORE = "drafts";

function open() {
  return new Promise((ok, fail) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((ok, fail) => {
    const t = db.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); ok(result && "result" in result ? result.result : undefined); };
    t.onerror = () => { db.close(); fail(t.error); };
  });
}

export const save = (draft) => tx("readwrite", (s) => s.put(draft));
export const remove = (key) => tx("readwrite", (s) => s.delete(key));
export const all = () => tx("readonly", (s) => s.getAll());

// Photos taken offline are kept as blobs and uploaded when the draft is sent.
let sending = null;
export function sendAll(send) {
  // one run at a time: "online" and a page load may both ask
  if (!sending) sending = (async () => {
    const sent = [];
    for (const draft of await all()) {
      try { sent.push(await send(draft)); await remove(draft.key); } catch (e) { if (e.status !== 0) throw e; break; }
    }
    return sent;
  })().finally(() => { sending = null; });
  return sending;
}
