"""A WSGI application that streams one line every half second for eight seconds, standing in
for a long download (a snapshot of the whole registry takes minutes) in tests/test_serving.py."""

import time

LINES = 16


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def lines():
        for number in range(LINES):
            time.sleep(0.5)
            yield f"{number}\n".encode()

    return lines()
