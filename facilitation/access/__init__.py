"""Who may see what: roles and viewers, sign-in accounts, signed facilitator links, erasure.

`roles` (Viewer, the role names, AccessDenied), `gate` (accounts, facilitator links, the local-mode
check), `privacy` (個人情報の削除依頼), `models` (the accounts and links tables).
"""
