"""Privacy: after texts and calls full of phone numbers, names and email addresses, no table holds any of them."""

import re

import pytest
from support import LINE_NUMBER, Call, Twilio
from usage_support import database_url, postgres_server, table_rows  # noqa: F401

from app.usage import migrate
from app.usage.store import Store

NAMES = ["Margaret", "Okonkwo", "Siobhan", "Llewellyn", "Priya", "Ramaswamy"]
EMAILS = ["margaret.okonkwo@example.com", "priya.r@nhs.example.net"]
NUMBERS = ["+447700900456", "07700 900789", "+1 202 555 0143", "943 476 5919"]  # phones and an NHS-style number
TEXTS = [
    "Hi I'm Margaret Okonkwo, call me on 07700 900789 or email margaret.okonkwo@example.com",
    "Siobhan Llewellyn here +1 202 555 0143 what should I bring",
    "my NHS number is 943 476 5919, I am Priya Ramaswamy priya.r@nhs.example.net",
    "FAQ 2 from Margaret",
    "STOP",
    "Priya Ramaswamy chest pain 07700900789",
    "zxqv blorp Okonkwo 07700 900789 margaret.okonkwo@example.com https://priya.example.net/x?n=9434765919",
    "zxqv Okonkwo 07700 900789",  # not understood: kept, without its number, when RECORD_UNMATCHED=1
]
SENDERS = ["+447700900456", "+447700900789", "whatsapp:+12025550143"]
MESSAGE_SID = "SM" + "4f2a9c" * 5 + "11"
CALL_SIDS = ["CA" + "7d3e1b" * 5 + "22", "CA" + "7d3e1b" * 5 + "33"]


@pytest.mark.parametrize("record_unmatched", ["0", "1"], ids=["unmatched off", "unmatched on"])
def test_no_table_holds_a_number_a_name_an_email_or_an_id(make_app, database_url, record_unmatched):  # noqa: F811
    store = Store(database_url)
    migrate.upgrade(store)
    store.close()
    app = make_app(DATABASE_URL=database_url, RECORD_UNMATCHED=record_unmatched)
    twilio = Twilio(app.test_client())
    sent = 0
    for sender in SENDERS:
        for text in TEXTS:
            twilio.sms(text, From=sender, MessageSid=MESSAGE_SID, ProfileName="Margaret Okonkwo", WaId=sender[-11:])
            sent += 1
    for sender, call_sid in zip(SENDERS[:2], CALL_SIDS, strict=True):
        call = Call(twilio, caller=sender)
        call.params["CallSid"] = call_sid
        call.start()
        call.say("this is Siobhan Llewellyn my number is 07700 900789")
        call.say("email me at priya.r@nhs.example.net please Priya")
        sent += 3
        twilio.post("/voice/status", {**call.params, "CallStatus": "completed", "CallDuration": "93",
                                      "To": LINE_NUMBER})
    recorder = app.extensions["usage_recorder"]
    assert recorder.flush()
    app.extensions["usage_store"].close()
    rows = table_rows(database_url)
    assert sum(row["answers"] for row in rows["usage_counts"]) == sent  # the run was counted
    assert sum(row["calls"] for row in rows["call_durations"]) == 2
    kept = rows.pop("unmatched")
    if record_unmatched == "1":  # kept texts: no digit, address or link; a day, a locale, at most 160 characters
        assert kept and all(len(row["text"]) <= 160 and not hasattr(row["day"], "hour") for row in kept)
        assert {row["locale"] for row in kept} == {"en-GB"}
        texts = " ".join(row["text"] for row in kept)
        assert not re.search(r"\d|@|https?:|example\.", texts), texts
    else:
        assert kept == []
    values = [str(value) for table in rows.values() for row in table for value in row.values()]
    stored = " ".join(values)
    for name in NAMES:  # a kept text may hold a name (the README says so); no other table ever does
        assert name.lower() not in stored.lower()
    for email in EMAILS:
        assert email.split("@")[0] not in stored and email.split("@")[1] not in stored
    for number in NUMBERS + SENDERS:
        core = re.sub(r"\D", "", number)[-7:]  # seven digits of a number in any value would be a leak
        assert not any(core in re.sub(r"\D", "", value) for value in values), number
    assert "4f2a9c" not in stored and "7d3e1b" not in stored  # no message or call id
    for name in ("usage_counts", "conversations", "call_durations", "text_claims", "dropped_counts"):
        for row in rows[name]:
            assert (row["hour"].minute, row["hour"].second, row["hour"].microsecond) == (0, 0, 0)  # the hour at most
