"""A generation that raises, a retried task, a lost task: nothing is lost, nothing written twice,
the buyer gets a Korean notice and the message is answered once a worker can."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from mlcore.negotiator.pipeline import Negotiator, RuleGenerator
from negotiation import dispatch, generators, replies, services, tasks
from negotiation.models import ChatSession, Message

pytestmark = pytest.mark.django_db(transaction=True)


class FlakyGenerator:
    """The rules generator, failing its first `failures` calls (a CUDA OOM, a lost GPU)."""

    name = "rules"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.inner = RuleGenerator(seed=1)

    def stream(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            yield "잠시만"
            raise RuntimeError("CUDA out of memory")
        yield from self.inner.stream(**kwargs)


class FlakyPipeline:
    """`Negotiator.respond` failing its first `failures` calls: a crash outside the generator (a
    generator's own failure is answered by mlcore with the realizer's wording, see below)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.real = Negotiator.respond

    def __call__(self, negotiator, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("the pipeline crashed")
        return self.real(negotiator, *args, **kwargs)


@pytest.fixture
def flaky(monkeypatch):
    pipeline = FlakyPipeline(failures=1)
    monkeypatch.setattr(Negotiator, "respond", lambda self, *a, **k: pipeline(self, *a, **k))
    monkeypatch.setattr(dispatch, "RETRY_DELAYS", (0,))
    return pipeline


def test_a_failing_generator_is_answered_at_once_with_the_realizers_wording(people, listing, monkeypatch):
    generator = FlakyGenerator(failures=1)
    monkeypatch.setattr(generators, "get_generator", lambda: generator)
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원 가능해요?")
    assert dispatch.drain(timeout=20)
    assert generator.calls == 1, "no retry needed: the realizer answered"
    assert roles(session) == ["system", "buyer", "bot"], "no failure notice"
    reply = Message.objects.get(reply_to=message)
    assert reply.generator == "rules-fallback" and reply.text
    session.refresh_from_db()
    assert session.pending_message_id is None


@pytest.fixture
def no_queue(monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: queued.append(message_id))
    return queued


def roles(session):
    return list(Message.objects.filter(session=session).order_by("id").values_list("role", flat=True))


def test_in_process_failure_notifies_and_recovers(people, listing, flaky):
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원 가능해요?")
    assert dispatch.drain(timeout=20)
    assert flaky.calls == 2
    assert roles(session) == ["system", "buyer", "system", "bot"]
    notice = Message.objects.filter(session=session, role="system").last()
    assert notice.text == replies.FAILURE_NOTICE
    reply = Message.objects.get(reply_to=message)
    assert reply.role == "bot" and reply.text
    session.refresh_from_db()
    assert session.pending_message_id is None


def test_celery_task_retries_and_is_idempotent(people, listing, flaky, no_queue):
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="2만5천원에 주세요")
    assert no_queue == [message.pk]
    result = tasks.reply_generate.apply(args=[message.pk])  # eager: the retry runs at once
    reply = Message.objects.get(reply_to=message)
    assert result.get() == reply.pk or result.state == "SUCCESS"
    # Delivered again (acks_late after a lost ack): the same reply, nothing new.
    assert tasks.reply_generate.apply(args=[message.pk]).get() == reply.pk
    assert roles(session) == ["system", "buyer", "system", "bot"]


def test_second_reply_to_one_message_is_refused_by_the_database(people, listing, no_queue):
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="안녕하세요")
    replies.reply_generate(message_id=message.pk)
    with pytest.raises(IntegrityError):
        Message.objects.create(session=session, role="bot", text="두 번째", reply_to=message)


def test_a_live_generation_is_not_duplicated(people, listing, no_queue, monkeypatch):
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원이요")
    inside = threading.Event()
    release = threading.Event()
    inner = RuleGenerator(seed=2)

    class Slow:
        name = "rules"

        def stream(self, **kwargs):
            inside.set()
            release.wait(10)
            yield from inner.stream(**kwargs)

    monkeypatch.setattr(generators, "get_generator", lambda: Slow())

    def generate() -> None:
        try:
            replies.reply_generate(message_id=message.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=generate)
    worker.start()
    assert inside.wait(10)
    assert replies.reply_generate(message_id=message.pk) is None  # the lock is held: skip
    release.set()
    worker.join(10)
    assert Message.objects.filter(reply_to=message).count() == 1


def test_sweeper_requeues_a_lost_message(people, listing, no_queue, settings):
    settings.NELLM_REPLY_STALE_SECONDS = 5
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원 어때요?")
    assert replies.pending_sweep() == 0  # fresh: a worker may still be on it
    ChatSession.objects.filter(pk=session.pk).update(pending_since=timezone.now() - timedelta(seconds=60))
    assert tasks.pending_sweep.apply().get() == 1
    assert no_queue == [message.pk, message.pk]
    assert Message.objects.filter(session=session, role="system").last().text == replies.STALE_NOTICE
    assert replies.pending_sweep() == 0  # re-queued just now: not again at once
    replies.reply_generate(message_id=message.pk)
    session.refresh_from_db()
    assert session.pending_message_id is None


def test_a_lost_cache_copy_of_the_chat_version_never_loops_a_reply(people, listing, monkeypatch):
    # The cache's copy of `state_version` is written after each state change commits; when that
    # write is lost (a Redis blip: after-commit failures are only logged) the copy lags the row.
    # Every streamed piece then looked like a state change: dropped, queued again, for a day.
    from django.core.cache import cache

    from negotiation import selectors

    session = services.session_open(listing=listing, buyer=people["bob"])
    ChatSession.objects.filter(pk=session.pk).update(state_version=5)
    key = selectors.state_version_key(session.pk)
    cache.set(key, 4, timeout=600)
    attempts = []
    real = replies.reply_generate
    dispatch.inprocess_job_set(
        dispatch.Job(run=lambda **kw: attempts.append(1) or real(**kw), failed=replies.reply_failed)
    )
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="2만원 되나요?")
    try:
        for _ in range(5):  # a dropped attempt queues the next one after drain took its snapshot
            assert dispatch.drain(10)
        assert Message.objects.filter(reply_to=message).exists()
        assert len(attempts) == 1  # a copy that lags is no change of state: answered at once
    finally:
        cache.set(key, 5, timeout=600)  # on the old code: stop the loop before the next test
        dispatch.inprocess_job_set(dispatch.Job(run=replies.reply_generate, failed=replies.reply_failed))
