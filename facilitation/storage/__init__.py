"""Where data lives: the engine and sessions, the core tables, the audit log and backups.

`db` (URL, engine, migrations, sessions), `models` (core tables: organisations, people, meetings,
rooms, registrations, assignments, settings, audit), `schema` (every area's tables on one MetaData),
`audit` (every ORM change recorded), `backup` (one archive of the database and its restore), `archive` (reading an archive without
trusting it: bounded members, streamed rows, checksums),
`settings` (small values by key, the 和暦 choice), `templates` (texts with named fields edited in 設定),
`hooks` (what an area above runs after a write: the search index).
"""
