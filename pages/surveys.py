"""アンケート: survey results with n per question, charts, cross-tabs, trend, comments, exports."""

import streamlit as st

from facilitation.surveys import comments, disclosure
from ui import surveys as sv
from ui.common import SHOWN_ERRORS, keep_state, session, show_error, show_flash, viewer

st.title("アンケート")
v = viewer()
st.caption("Google フォームの回答を、質問ごとの回答数（n）・割合・グラフで見ます。"
           + ("" if v.sees_names else "氏名・メールアドレス・自由記述の本文は表示しません（集計のみ）。"))

survey_id = sv.pick_survey(v)
show_flash()

names = sv.tab_labels(v)
keep_state(*sv.FILTERS)  # the 結果 tab's filters are still there when the person comes back
tabs = dict(zip(names, st.tabs(names, key=sv.TAB_KEY, on_change="rerun"), strict=False))
opened = next((name for name, tab in tabs.items() if tab.open), names[0])  # only the open tab is computed

if survey_id is None:
    st.info("まだアンケートが取り込まれていません。"
            + ("「取り込み」タブから回答のファイルかスプレッドシートを読み込んでください。" if v.is_secretariat else ""))
elif opened != "取り込み":
    try:
        survey, attrs = sv.load(survey_id)
        with tabs[opened]:
            if opened in ("結果", "出力"):  # 出力 exports what 結果 shows, with its filters
                summary = None
                mask, by_attributes = sv.filter_mask(survey, attrs, v=v, draw=opened == "結果")
                try:  # the committee: a filter that could single someone out shows only that
                    with session() as s:
                        summary = comments.results(s, v, survey_id, mask, survey=survey, by_attributes=by_attributes)
                except disclosure.TooFew as exc:
                    if opened == "結果":
                        show_error(exc, kind="info")
                if opened == "結果":
                    if summary is not None:
                        sv.show_results(summary, v)
                elif summary is None:
                    st.info("「結果」タブに表示できる結果がないため、出力できません。")
                else:
                    if mask is not None:
                        st.caption("「結果」タブの絞り込みを反映した内容を出力します。")
                    sv.export_section(v, survey_id, survey, summary)
            elif opened == "クロス集計":
                sv.crosstab_section(survey_id, survey, attrs)
            elif opened == "推移":
                sv.trend_section(v)
            elif opened == "自由記述":
                sv.comments_section(v, survey_id, survey, attrs)
            elif opened == "質問の種類":
                sv.types_section(survey_id, survey)
    except SHOWN_ERRORS as exc:
        show_error(exc)

if opened == "取り込み":
    with tabs["取り込み"]:
        if survey_id is not None:
            sv.reread_section(survey_id)
            sv.delete_section(survey_id)
        st.markdown("**新しいアンケートを取り込む**")
        sv.import_section(survey_id)
