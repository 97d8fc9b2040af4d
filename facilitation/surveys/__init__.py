"""Post-event surveys (アンケート): column typing, summaries, charts, cross-tabs, comments, exports.

Modules: `questions` (what each column is), `summary` (counts with the right base, cached),
`charts` (plotly figures), `comments` (free text, tags, keyword in context), `report` (Excel and
printable HTML), `store` (surveys in the database, linking to registrations, trends), `disclosure`
(what the committee may see: groups of at least k, complementary suppression), `models` (its tables).
"""

from facilitation.surveys.questions import KINDS, Question, detect
from facilitation.surveys.summary import QuestionSummary, Survey, SurveySummary, crosstab, summarize

__all__ = ["KINDS", "Question", "QuestionSummary", "Survey", "SurveySummary", "crosstab", "detect", "summarize"]
