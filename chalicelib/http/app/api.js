// The tenant app's only module that talks to the network: the API (bearer
// token, Idempotency-Key), the user pool (sign-in) and photo storage (presigned
// POST). A native client copies exactly these calls.
const KEY = "td.session";
let session = null;
try { session = JSON.parse(localStorage.getItem(KEY) || "null"); } catch { session = null; }
let config = null;

export class ApiError extends Error {
  constructor(status, code, message) { super(message || code); this.status = status; this.code = code; }
}

export const signedIn = () => Boolean(session && session.id_token);
export function signOut() { session = null; localStorage.removeItem(KEY); }
function keep(next) { session = next; localStorage.setItem(KEY, JSON.stringify(next)); }

export async function signInConfig() {
  if (!config) {
    const r = await fetch("/app/config.json", { cache: "no-cache" });
    config = await r.json();
  }
  return config;
}

// A developer token (HS256, only where the API runs in local mode): the
// whole `export TENANT=...` line printed by the local stack is accepted.
export function useDeveloperToken(text) {
  const token = String(text).trim().replace(/^export\s+\w+=/, "").replace(/^["']|["']$/g, "");
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new ApiError(0, "invalid_token");
  keep({ id_token: token, kind: "developer" });
}

async function cognito(target, body) {
  const cfg = await signInConfig();
  const r = await fetch(cfg.endpoint, {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": "AWSCognitoIdentityProviderService." + target },
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, "signin_failed", data.message || data.__type);
  return data;
}

// USER_PASSWORD_AUTH straight to the pool: the password never reaches the API.
export async function signInWithPassword(username, password) {
  const cfg = await signInConfig();
  const data = await cognito("InitiateAuth", { ClientId: cfg.client_id, AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: password } });
  if (!data.AuthenticationResult) throw new ApiError(0, "challenge_" + (data.ChallengeName || "unknown"));
  const a = data.AuthenticationResult;
  keep({ id_token: a.IdToken, refresh_token: a.RefreshToken, kind: "password" });
}

// The hosted UI's authorization code flow with PKCE (AWS: the apps' client allows SRP and this only).
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const redirectUri = () => location.origin + "/app/index.html";

export async function startHostedSignIn() {
  const cfg = await signInConfig();
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("td.pkce", JSON.stringify({ verifier, state }));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const q = new URLSearchParams({ response_type: "code", client_id: cfg.client_id, redirect_uri: redirectUri(),
    scope: "openid email profile", state, code_challenge: challenge, code_challenge_method: "S256" });
  location.assign(cfg.hosted_ui.replace(/\/$/, "") + "/oauth2/authorize?" + q);
}

async function tokenEndpoint(params) {
  const cfg = await signInConfig();
  const r = await fetch(cfg.hosted_ui.replace(/\/$/, "") + "/oauth2/token", { method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: cfg.client_id, ...params }) });
  if (!r.ok) throw new ApiError(r.status, "signin_failed");
  return r.json();
}

export async function finishHostedSignIn(query) {
  const saved = JSON.parse(sessionStorage.getItem("td.pkce") || "null");
  sessionStorage.removeItem("td.pkce");
  if (!saved || query.get("state") !== saved.state) throw new ApiError(0, "signin_failed");
  const t = await tokenEndpoint({ grant_type: "authorization_code", code: query.get("code"),
    redirect_uri: redirectUri(), code_verifier: saved.verifier });
  keep({ id_token: t.id_token, refresh_token: t.refresh_token, kind: "hosted" });
}

async function refresh() {
  if (!session || !session.refresh_token) return false;
  try {
    if (session.kind === "hosted") {
      const t = await tokenEndpoint({ grant_type: "refresh_token", refresh_token: session.refresh_token });
      keep({ ...session, id_token: t.id_token });
    } else {
      const cfg = await signInConfig();
      const data = await cognito("InitiateAuth", { ClientId: cfg.client_id, AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: { REFRESH_TOKEN: session.refresh_token } });
      keep({ ...session, id_token: data.AuthenticationResult.IdToken });
    }
    return true;
  } catch { return false; }
}

// One API call. Idempotency-Key on every POST that changes a case (a retry
// with the same key changes nothing twice). Network failure: ApiError status 0.
export async function call(method, path, body, { idem, lang } = {}) {
  const send = () => {
    const headers = { Authorization: "Bearer " + (session ? session.id_token : "") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idem) headers["Idempotency-Key"] = idem;
    if (lang) headers["Accept-Language"] = lang;
    return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  let r;
  try { r = await send(); } catch { throw new ApiError(0, "offline"); }
  if (r.status === 401 && await refresh()) r = await send();
  if (r.status === 204) return null;
  const data = await r.json().catch(() => ({}));
  if (r.status === 401) { signOut(); }
  if (!r.ok) throw new ApiError(r.status, data.code || "error", data.message);
  return data;
}

export const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : b64url(crypto.getRandomValues(new Uint8Array(16))));
const enc = encodeURIComponent;
const casePath = (p, c) => `/v1/properties/${enc(p)}/cases/${enc(c)}`;

export const me = () => call("GET", "/v1/me");
export const myTenant = () => call("GET", "/v1/me/tenant");
export const myPlaces = (p) => call("GET", "/v1/me/places?property_id=" + enc(p));
export const myCases = (cursor) => call("GET", "/v1/me/cases?limit=30" + (cursor ? "&cursor=" + enc(cursor) : ""));
export const publicInfo = (p) => call("GET", `/v1/properties/${enc(p)}/public`);
export const getCase = (p, c) => call("GET", casePath(p, c));
export const timeline = (p, c) => call("GET", casePath(p, c) + "/timeline?limit=100");
export const attachment = (p, c, n) => call("GET", casePath(p, c) + "/attachments/" + n);
export const submitCase = (p, body, key) => call("POST", `/v1/properties/${enc(p)}/cases`, body, { idem: key });
export const message = (p, c, body) => call("POST", casePath(p, c) + "/messages", body, { idem: newKey() });
export const entryPermission = (p, c, body) => call("POST", casePath(p, c) + "/entry-permission", body, { idem: newKey() });
export const rate = (p, c, body) => call("POST", casePath(p, c) + "/rating", body, { idem: newKey() });
export const confirmCallback = (p, c, body) => call("POST", casePath(p, c) + "/confirm", body, { idem: newKey() });
export const feed = () => call("GET", "/v1/me/notifications?limit=50");
export const markRead = (body) => call("POST", "/v1/me/notifications/read", body);
export const preferences = () => call("GET", "/v1/me/preferences");
export const putPreferences = (body) => call("PUT", "/v1/me/preferences", body);
export const webPushKey = () => call("GET", "/v1/me/webpush");
export const subscribeWebPush = (sub) => call("POST", "/v1/me/webpush", sub);

// A photo: an upload slot, the file POSTed straight to storage, then the check. Returns the attachment.
export async function uploadPhoto(p, blob, name) {
  const slot = await call("POST", `/v1/properties/${enc(p)}/uploads`, { content_type: blob.type, size: blob.size });
  const form = new FormData();
  for (const [k, v] of Object.entries(slot.fields)) form.append(k, v);
  form.append("file", blob, name);
  let r;
  try { r = await fetch(slot.url, { method: "POST", body: form }); } catch { throw new ApiError(0, "offline"); }
  if (!r.ok) throw new ApiError(r.status, "upload_failed");
  const done = await call("POST", `/v1/properties/${enc(p)}/uploads/${enc(slot.upload_id)}/complete`, {});
  return { ref: done.ref, name, content_type: blob.type, size: done.size };
}
