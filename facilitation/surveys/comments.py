"""What each role may see of a survey, and the free-text comments with filters, tags and keyword search.

The committee sees counts, percentages, charts and word frequencies, never names, e-mails, comments
or 「その他」 texts, and no count from which one respondent's answer could be read or derived
(`disclosure`: groups of at least k, one group at a time, complementary suppression). A facilitator
sees the surveys of their own meeting, and comments only from respondents of their own room. The
secretariat sees everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import AccessDenied
from facilitation.roles import COMMITTEE, FACILITATOR, Viewer
from facilitation.storage.models import Assignment
from facilitation.surveys import disclosure, store
from facilitation.surveys.models import SurveyResponse, SurveySheet
from facilitation.surveys.questions import IDENTITY, MULTI, SCALE, SINGLE
from facilitation.surveys.summary import Survey, SurveySummary, crosstab, summarize
from facilitation.text import textmining
from facilitation.text.normalize import clean


def check_survey(session: Session, viewer: Viewer, survey_id: int) -> None:
    """AccessDenied when a facilitator asks for another meeting's survey."""
    if viewer.role == FACILITATOR:
        sheet = session.get(SurveySheet, survey_id)
        if sheet is None or sheet.meeting_id != viewer.meeting_id:
            raise AccessDenied("このアンケートは担当の会のものではありません。")


def sees_comments(viewer: Viewer) -> bool:
    return viewer.role != COMMITTEE


def results(session: Session, viewer: Viewer, survey_id: int, mask: Sequence[bool] | None = None,
            survey: Survey | None = None, by_attributes: bool = False) -> SurveySummary:
    """The per-question results this viewer may see (identity columns never; see module doc).

    `by_attributes`: the filter uses no answer (the committee may then be told it leaves fewer than k)."""
    check_survey(session, viewer, survey_id)
    survey = survey or store.load(session, survey_id)
    if viewer.role == COMMITTEE:  # TooFew (a UserError) when the filter could single someone out
        return disclosure.committee_summary(survey, store.attributes(session, survey_id),
                                            disclosure.threshold(session), mask, by_attributes)
    return trim(summarize(survey, mask), viewer)


def trim(summary: SurveySummary, viewer: Viewer) -> SurveySummary:
    """A copy of `summary` without what `viewer` may not see (not for the committee: see `results`)."""
    if viewer.role == COMMITTEE:
        raise AccessDenied("委員会の画面の集計は、少人数の回答を伏せた集計（disclosure）から作ります。")
    out = []
    for q in summary.questions:
        if q.kind == IDENTITY and not viewer.is_secretariat:
            continue
        if q.other_texts and not viewer.is_secretariat:  # all rooms' 「その他」 texts: the secretariat only
            q = replace(q, other_texts=[])
        out.append(q)
    return SurveySummary(summary.respondents, out)


def crosstab_for(session: Session, viewer: Viewer, survey_id: int, survey: Survey, key: str, attr: str,
                 row: str | None = None) -> pd.DataFrame:
    """summary.crosstab by a respondent attribute as `viewer` may see it (the committee: its offered
    groups only, hidden cells NaN; see disclosure)."""
    check_survey(session, viewer, survey_id)
    attrs = store.attributes(session, survey_id)
    if viewer.role == COMMITTEE:
        return disclosure.crosstab(survey, attrs, disclosure.threshold(session), key, attr, row)
    return crosstab(survey, key, attrs[attr].tolist(), row=row)


def _visible_rows(session: Session, viewer: Viewer, survey_id: int) -> list[bool]:
    """Which responses' comments the viewer may read (sheet order)."""
    if viewer.role == COMMITTEE:
        raise AccessDenied("委員会の画面では自由記述の回答は表示しません（集計結果のみ）。")
    check_survey(session, viewer, survey_id)
    ids = session.execute(select(SurveyResponse.id, SurveyResponse.registration_id)
                          .where(SurveyResponse.survey_id == survey_id).order_by(SurveyResponse.position)).all()
    if viewer.role != FACILITATOR:
        return [True] * len(ids)
    in_room = set(session.scalars(select(Assignment.registration_id).where(Assignment.room_id == viewer.room_id)))
    return [reg in in_room for _, reg in ids]


def comments(session: Session, viewer: Viewer, survey_id: int, question_key: str, *,
             keyword: str = "", tags: Sequence[str] = (), groups: dict[str, Sequence[str]] | None = None,
             mask: Sequence[bool] | None = None, survey: Survey | None = None) -> pd.DataFrame:
    """The non-blank answers to one free-text question the viewer may read, with tags and groups.

    Filters: `keyword` (kana/width-insensitive substring), `tags` (any of), `groups`
    ({"room": [...], "sector": [...]}: keep respondents in those groups), `mask` (per row, e.g. an
    answer filter). Columns: response_id, row (1-based respondent number), text, tags, room,
    sector, region, first_time. AccessDenied for the committee.
    """
    visible = _visible_rows(session, viewer, survey_id)
    survey = survey or store.load(session, survey_id)
    q = survey.question(question_key)
    if q.kind == IDENTITY:
        raise store.SurveyError(f"「{q.title}」は回答者を特定する列のため、コメントとしては表示しません。")
    # Choice questions: the texts typed after 「その他」.
    texts = survey.other_texts(q) if q.kind in (SINGLE, SCALE, MULTI) else survey.column(q.columns[0])
    attrs = store.attributes(session, survey_id)
    tag_map = store.comment_tags(session, survey_id, question_key)
    needle = textmining.fold(clean(keyword))
    wanted_tags = set(tags)
    rows = []
    for i, (text, rec) in enumerate(zip(texts, attrs.itertuples(index=False), strict=False)):
        if not text or not visible[i] or (mask is not None and not mask[i]):
            continue
        if needle and needle not in textmining.fold(text):
            continue
        t = tag_map.get(rec.response_id, [])
        if wanted_tags and not wanted_tags & set(t):
            continue
        if groups and any(vals and getattr(rec, attr) not in vals for attr, vals in groups.items()):
            continue
        rows.append({"response_id": rec.response_id, "row": i + 1, "text": text, "tags": t, "room": rec.room,
                     "sector": rec.sector, "region": rec.region, "first_time": rec.first_time})
    return pd.DataFrame(rows, columns=["response_id", "row", "text", "tags", "room", "sector", "region", "first_time"])


def keyword_in_context(session: Session, viewer: Viewer, survey_id: int, question_key: str, keyword: str,
                       width: int = 20, survey: Survey | None = None) -> pd.DataFrame:
    """Every occurrence of `keyword` in the comments the viewer may read: row, left, match, right."""
    frame = comments(session, viewer, survey_id, question_key, survey=survey)
    hits = textmining.keyword_in_context(frame.text.tolist(), keyword, width)
    return pd.DataFrame([(int(frame.row.iloc[i]), int(frame.response_id.iloc[i]), left, match, right)
                         for i, left, match, right in hits],
                        columns=["row", "response_id", "left", "match", "right"])


def tag_counts(session: Session, survey_id: int, question_key: str) -> pd.DataFrame:
    """How many comments carry each tag (an aggregate every role may see): tag, count."""
    tag_map = store.comment_tags(session, survey_id, question_key)
    names = store.tag_names(session)
    counts = {n: 0 for n in names}
    for tags in tag_map.values():
        for t in tags:
            counts[t] = counts.get(t, 0) + 1
    return pd.DataFrame({"tag": list(counts), "count": list(counts.values())}, columns=["tag", "count"])


def set_tags(session: Session, viewer: Viewer, response_id: int, question_key: str, tags: Sequence[str]) -> None:
    """Tag one comment; the secretariat only."""
    store.set_comment_tags(session, viewer, response_id, question_key, list(tags))
