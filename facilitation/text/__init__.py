"""Japanese text: normalisation, dates, the network's vocabulary and the tokenizer.

`normalize` (comparable keys from messy input), `dates` (和暦, 年度, Japanese date formats),
`vocab` (fixed lists the secretariat uses), `headers` (the column-header vocabulary every
importer shares: 氏名, Full Name, E-mail Address, フリガナ…), `textmining` (Japanese free text → terms), `markup`
(user text shown literally in Markdown).
"""
