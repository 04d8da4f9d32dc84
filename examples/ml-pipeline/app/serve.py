"""Answers predictions over HTTP on port 8000 with the trained model, and
logs each one in the database.

GET /health                   200 once the model is loaded
GET /predict?features=a,b,... {"class": N}
"""
import json
import pickle
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from pipeline import MODEL, connect

with open(MODEL, "rb") as f:
    model = pickle.load(f)
conn = connect()


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            return self.reply(200, {"status": "ok"})
        if url.path != "/predict":
            return self.reply(404, {"error": "no such path"})
        try:
            text = parse_qs(url.query)["features"][0]
            features = [float(x) for x in text.split(",")]
            predicted = int(model.predict([features])[0])
        except (KeyError, ValueError) as e:
            return self.reply(400, {"error": f"features: {e}"})
        with conn.cursor() as cur:
            cur.execute("insert into predictions (features, predicted) values (%s, %s)", (text, predicted))
        self.reply(200, {"class": predicted})

    def log_message(self, format, *args):
        print(f"{self.address_string()} {format % args}", flush=True)


print(f"serving {MODEL} on :8000", flush=True)
ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
