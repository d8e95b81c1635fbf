"""The baseline for the public API bench: the smallest Flask JSON endpoint, served the same way."""

from flask import Flask, jsonify, request

app = Flask("minimal")


@app.post("/estimate")
def estimate():
    body = request.get_json()
    return jsonify({"ok": True, "beds": body.get("beds")})
