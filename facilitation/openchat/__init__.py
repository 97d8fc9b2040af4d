"""The network's LINE オープンチャット: talk-history import, activity, and meeting announcements.

`parser` reads exports, `store` saves and redacts, `members` matches display names to
organisations, `activity` computes what the page shows, `charts` draws it, `announcements` composes posts, `models`
holds its tables.
"""
