"""The line starts with the shipped content and answers the basics."""


def test_healthz_answers_without_authentication(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_a_keyword_gets_its_piece_with_the_disclaimer(twilio, content):
    reply = twilio.message("BRING")
    assert reply == content.replies["bring"][0]
    assert reply.endswith(content.sms.disclaimer)
