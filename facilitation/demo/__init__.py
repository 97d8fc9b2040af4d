"""Believable, deterministic demo data for the app, the tests and the benchmarks.

`dataset` (organisations, people, past meetings with rooms, attendance and notes),
`surveys_chat` (demo survey answers and a demo open-chat history).
"""
