from __future__ import annotations

from django.apps import AppConfig


class NegotiationConfig(AppConfig):
    name = "negotiation"
    verbose_name = "가격 협상"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.contrib.sessions.models import Session
        from django.db.models.signals import post_delete, post_save

        from marketplace.signals import chat_reported, listing_status_changed

        from . import dispatch, replies, services

        listing_status_changed.connect(services.sessions_follow_listing, dispatch_uid="negotiation-follow")
        chat_reported.connect(services.session_flag_reported, dispatch_uid="negotiation-flag-reported")
        dispatch.inprocess_job_set(dispatch.Job(run=replies.reply_generate, failed=replies.reply_failed))
        user_logged_out.connect(_close_chats_on_logout, dispatch_uid="negotiation-logout")
        user_model = get_user_model()
        post_save.connect(_recheck_on_user_change, sender=user_model, dispatch_uid="negotiation-user-saved")
        post_delete.connect(
            _recheck_on_user_change, sender=user_model, dispatch_uid="negotiation-user-deleted"
        )
        post_delete.connect(
            _recheck_on_session_delete, sender=Session, dispatch_uid="negotiation-session-deleted"
        )


def _close_chats_on_logout(sender: object, user: object = None, **kwargs: object) -> None:
    from . import events

    if user is not None and user.pk is not None:
        events.user_logout(user.pk)


def _recheck_on_user_change(
    sender: object, instance: object, created: bool = False, update_fields: object = None, **kwargs: object
) -> None:
    # Deactivated, deleted or a new password: open sockets must not go on writing for the user.
    # A login's own save (last_login only) and a new account change nothing for open sockets.
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    from . import events

    events.user_sockets_recheck(instance.pk)


def _recheck_on_session_delete(sender: object, instance: object, **kwargs: object) -> None:
    # The session row is gone (admin, clearsessions, a password change's new key): its sockets
    # are logged out. Only the user's own sockets look, each at its own session.
    from django.contrib.auth import SESSION_KEY

    try:
        user_id = instance.get_decoded().get(SESSION_KEY)
    except Exception:  # a corrupt session carries no user to tell
        return
    if user_id is not None:
        from . import events

        events.user_sockets_recheck(int(user_id))
