"""Who may come in and what may be erased: sign-in accounts, signed facilitator links, erasure.

`gate` (accounts, facilitator links, the local-mode check), `privacy` (個人情報の削除依頼),
`models` (the accounts and links tables). The roles and the Viewer are one floor down, in
`facilitation.roles`, so every area can take a viewer without importing this one.
"""
