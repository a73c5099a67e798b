"""Platforms' webhook endpoints and the delivery of change events to them.

- `services`: the operations on endpoints (create, update, rotate, replay, test, delete) that the
  API, the console and the admin call.
- `batches`: what an endpoint receives; `signing`: Standard Webhooks signatures; `client`: one
  guarded HTTP POST; `dispatch`: ordered, at-least-once delivery; `tasks`: the Celery tasks
  that run it; `emails`: the notice sent when an endpoint is disabled.
- `views` (/api/v1/webhooks/), `console` and `forms` (the console's pages), `admin`.
"""
