"""The snapshot bench's baseline: a minimal static-file server that answers every GET with one
file, sent by the kernel with sendfile(2) (`socket.sendfile`), as a plain static server (nginx
with `sendfile on`) would. No authentication, no framework, HTTP/1.1 keep-alive.

    python bench/sendfile_server.py FILE PORT
"""

import os
import socket
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        path = self.server.file_path
        while True:
            request_line = self.rfile.readline(65537)
            if not request_line:
                return
            while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # the headers: every request gets the same file
            method = request_line.split(b" ", 1)[0]
            with open(path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                head = (
                    "HTTP/1.1 200 OK\r\n"
                    "Content-Type: application/x-ndjson\r\n"
                    "Content-Encoding: gzip\r\n"
                    f"Content-Length: {size}\r\n"
                    "Connection: keep-alive\r\n\r\n"
                ).encode()
                self.connection.sendall(head)
                if method != b"HEAD":
                    self.connection.sendfile(file, 0, size)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    file_path, port = sys.argv[1], int(sys.argv[2])
    with Server(("127.0.0.1", port), Handler) as server:
        server.file_path = file_path
        server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.serve_forever()


if __name__ == "__main__":
    main()
