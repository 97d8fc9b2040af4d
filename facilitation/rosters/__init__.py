"""The day of the meeting: live rosters, attendance, room notes, Zoom reports and the report.

`live` (a room's roster, the overview, attendance taps), `notes` (room notes saved field by field),
`attendance_files` (recognising the attendance exports people send: Zoom, Teams…),
`zoom` (Zoom participant reports → attendance), `report` (報告レポート as Word/Markdown/HTML),
`models` (Zoom rows and shared report sections).
"""
