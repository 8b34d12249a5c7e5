#!/usr/bin/env python3
"""An API client on python-requests: api_requests.py BASE_URL REQUESTS SEED

One requests.Session (one keep-alive connection) walks the test site's JSON API the way a
service client does: it gets a bearer token from /api/auth/token and gets a new one every
20 to 30 requests (the Authorization field changes), sends a new X-Request-Id (a UUID) with
every request, pages through /api/items with changing query parameters, reads single items,
creates items with JSON POST bodies, updates them with PATCH and PUT, deletes some, and
searches. REQUESTS counts every request, token requests included.
"""

import random
import sys
import uuid

import requests


def main():
    base, total, seed = sys.argv[1].rstrip("/"), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    session = requests.Session()
    session.headers.update({"Accept": "application/json", "X-Client": "inventory-sync/2.4.1"})
    sent = 0
    token_left = 0
    page = 1
    created = []
    words = ["widget", "gadget", "sprocket", "flange", "gear", "valve", "bolt", "spring"]
    while sent < total:
        if token_left == 0:
            reply = session.post(
                f"{base}/api/auth/token",
                json={"grant_type": "client_credentials", "client_id": "inventory-sync", "client_secret": "s3cr3t-7f2a"},
                headers={"X-Request-Id": str(uuid.uuid4())},
            )
            session.headers["Authorization"] = "Bearer " + reply.json()["access_token"]
            token_left = rng.randint(20, 30)
            sent += 1
            continue
        headers = {"X-Request-Id": str(uuid.uuid4())}
        roll = rng.random()
        if roll < 0.4:
            params = {"page": page, "limit": rng.choice([20, 50]), "sort": "-updated_at"}
            if rng.random() < 0.5:
                params["status"] = rng.choice(["active", "archived", "draft"])
            if rng.random() < 0.3:
                params["updated_since"] = f"2024-06-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
            session.get(f"{base}/api/items", params=params, headers=headers).json()
            page = page + 1 if page < 40 else 1
        elif roll < 0.6:
            session.get(f"{base}/api/items/{rng.randint(1, 5000)}", headers=headers).json()
        elif roll < 0.72:
            body = {
                "name": f"{rng.choice(words)} {rng.randint(1, 999)}",
                "sku": f"SKU-{rng.randint(10000, 99999)}",
                "quantity": rng.randint(0, 500),
                "price": {"amount": rng.randint(100, 99999), "currency": "EUR"},
                "tags": rng.sample(words, 2),
            }
            reply = session.post(f"{base}/api/items", json=body, headers=headers)
            created.append(reply.json()["id"])
        elif roll < 0.84 and created:
            item = rng.choice(created)
            if rng.random() < 0.7:
                session.patch(f"{base}/api/items/{item}", json={"quantity": rng.randint(0, 500)}, headers=headers)
            else:
                session.put(
                    f"{base}/api/items/{item}",
                    json={"name": f"{rng.choice(words)} {item}", "quantity": rng.randint(0, 500), "status": "active"},
                    headers=headers,
                )
        elif roll < 0.9 and created:
            session.delete(f"{base}/api/items/{created.pop(rng.randrange(len(created)))}", headers=headers)
        else:
            params = {"q": " ".join(rng.sample(words, rng.randint(1, 2))), "page": rng.randint(1, 3)}
            session.get(f"{base}/api/search", params=params, headers=headers).json()
        token_left -= 1
        sent += 1
    session.close()


if __name__ == "__main__":
    main()
