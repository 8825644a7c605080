"""Signals other apps listen to, so that marketplace never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that changed `listing.status` or a sold listing's buyer (the
# listing row is locked), with `listing` and `old_status`: receivers update their own rows
# atomically with it.
listing_status_changed = Signal()

# Sent when a chat is reported (`chat`, the negotiation app's session): its app withholds the
# chat from training data.
chat_reported = Signal()
