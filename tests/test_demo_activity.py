"""The demo's survey and open chat: what a newcomer sees on the アンケート and オープンチャット pages."""

from facilitation.demo import dataset
from facilitation.openchat import store as chat_store
from facilitation.storage import db
from facilitation.surveys import store as survey_store
from facilitation.surveys.summary import summarize


def test_demo_survey_and_chat_are_read_like_real_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    with db.session(url) as s:
        made = dataset.generate(s)
    assert made["survey_responses"] > 20 and made["chat_messages"] > 20
    with db.session(url) as s:
        [info] = survey_store.list_surveys(s)
        assert info.responses == made["survey_responses"] and info.linked == info.responses
        kinds = {q.title: q.kind for q in summarize(survey_store.load(s, info.id)).questions}
        [chat] = chat_store.list_imports(s)
    assert kinds["メールアドレス"] == "identity"
    assert kinds["情報交換会に参加して、いかがでしたか"] == "scale"
    assert kinds["開催内容についての希望（複数選択可）"] == "multi"
    assert kinds["ご意見・ご感想"] == "text"
    assert chat.unparsed_count == 0 and chat.messages_found == made["chat_messages"]
