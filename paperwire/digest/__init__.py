"""The digest each subscriber gets: who they are, what they want, what to send them, and sending it.

- ``subscribers``: content/subscribers.yaml, its schema and validating loader;
- ``send``: delivery over SMTP, each message once, recorded in the outbox.
"""
