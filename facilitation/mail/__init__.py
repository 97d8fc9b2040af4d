"""E-mails after a published assignment: where each registrant goes, and each facilitator's link.

models (the send log) → templates (named fields, editable in 設定) → smtp (settings, encoding,
the connection, a per-minute limit) → delivery (sending a batch safely: 「送信中」 logged and
committed before each message, then sent / failed / 不明; used by the invitations too) → outbox
(drafts from the published version, sending that records every message before and after, retries,
counts for the committee).
"""
