"""The digest each subscriber gets: who they are, what they want, what to send them, and sending it.

- ``subscribers``: content/subscribers.yaml, its schema and validating loader;
- ``library``: a subscriber's own papers (BibTeX or CSL-JSON), read defensively;
- ``match``: case- and accent-insensitive words, phrases and author names;
- ``select``: each subscriber's papers of a day, or why there are none;
- ``outbox``: the record of what was delivered to whom (the only storage);
- ``plan``: the messages a send would deliver, rendered one at a time;
- ``send``: delivery over SMTP, each message once.
"""
