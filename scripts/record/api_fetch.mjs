// An API client on Node's built-in fetch (undici): node api_fetch.mjs BASE_URL REQUESTS SEED
//
// The same kind of walk as api_requests.py, one request at a time, each reply read to its
// end (undici still sends the requests by turns on two keep-alive connections): a bearer
// token from /api/auth/token, renewed every 15 to 25 requests; a new X-Request-Id with every
// request and an Idempotency-Key with every POST; /api/items paged with changing query
// parameters, single items, JSON POST, PATCH and DELETE, searches. REQUESTS counts every
// request, token requests included.

import { randomUUID } from "node:crypto";
import { seeded } from "./random.mjs";

const [baseArg, totalArg, seedArg] = process.argv.slice(2);
const base = baseArg.replace(/\/$/, "");
const total = Number(totalArg);
const { random, int, pick } = seeded(seedArg ?? 1);

let token = null;
async function call(method, path, { query, body } = {}) {
  const url = new URL(base + path);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, String(v));
  const headers = { Accept: "application/json", "X-Request-Id": randomUUID() };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    if (method === "POST") headers["Idempotency-Key"] = randomUUID();
  }
  const reply = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await reply.text();
  return text ? JSON.parse(text) : null;
}

const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
let sent = 0;
let tokenLeft = 0;
let page = 1;
const created = [];
while (sent < total) {
  if (tokenLeft === 0) {
    token = (await call("POST", "/api/auth/token", { body: { grant_type: "client_credentials", client_id: "report-builder" } }))
      .access_token;
    tokenLeft = int(15, 25);
    sent++;
    continue;
  }
  const roll = random();
  if (roll < 0.45) {
    const query = { page, per_page: pick([25, 100]), fields: "id,name,updated_at" };
    if (random() < 0.4) query.status = pick(["active", "draft"]);
    await call("GET", "/api/items", { query });
    page = page < 30 ? page + 1 : 1;
  } else if (roll < 0.65) {
    await call("GET", `/api/items/${int(1, 9999)}`);
  } else if (roll < 0.78) {
    const reply = await call("POST", "/api/items", {
      body: { name: `${pick(words)}-${int(1, 999)}`, owner: "reports", quantity: int(0, 100), labels: [pick(words)] },
    });
    created.push(reply.id);
  } else if (roll < 0.88 && created.length) {
    await call("PATCH", `/api/items/${pick(created)}`, { body: { quantity: int(0, 100) } });
  } else if (roll < 0.92 && created.length) {
    await call("DELETE", `/api/items/${created.splice(int(0, created.length - 1), 1)[0]}`);
  } else {
    await call("GET", "/api/search", { query: { q: pick(words), page: int(1, 4) } });
  }
  tokenLeft--;
  sent++;
}
