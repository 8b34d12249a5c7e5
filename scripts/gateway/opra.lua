-- wrk: each request an OPRA-style quote, POSTed to nginx's acknowledging /ack, with the
-- head a feed handler sends (the same head every time: what the compact link shrinks).
wrk.method = "POST"
wrk.path = "/ack"
wrk.headers["Host"] = "opra-receiver.example.com"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "opra-feed/1.0"
wrk.body = '{"sym":"SPY","exp":"2026-12-18","k":600.0,"bid":12.34,"ask":12.38}'
