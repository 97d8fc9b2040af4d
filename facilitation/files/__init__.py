"""Files people upload and download.

`uploads` (the size guard before any parser), `tabular` (CSV/Excel → a Table of strings, the
delimiter detected), `formats` (what a table is: Google Forms, Microsoft Forms, connpass, Peatix…),
`exports` (CSV and Excel that cannot inject formulas into Excel), `encoding` (bytes → text: UTF-8,
UTF-16, Shift_JIS), `qr` (QR codes for links people scan).
"""
