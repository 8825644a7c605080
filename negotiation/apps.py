from __future__ import annotations

from django.apps import AppConfig


class NegotiationConfig(AppConfig):
    name = "negotiation"
    verbose_name = "가격 협상"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from marketplace.signals import chat_reported, listing_status_changed

        from . import dispatch, replies, services

        listing_status_changed.connect(services.sessions_follow_listing, dispatch_uid="negotiation-follow")
        chat_reported.connect(services.session_flag_reported, dispatch_uid="negotiation-flag-reported")
        dispatch.inprocess_job_set(dispatch.Job(run=replies.reply_generate, failed=replies.reply_failed))
        user_logged_out.connect(_close_chats_on_logout, dispatch_uid="negotiation-logout")


def _close_chats_on_logout(sender: object, user: object = None, **kwargs: object) -> None:
    from . import events

    if user is not None and user.pk is not None:
        events.user_logout(user.pk)
