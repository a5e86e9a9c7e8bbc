"""The mail queue: Django's ``EMAIL_BACKEND`` for the whole project.

``send_mail`` (ours, Django's, allauth's sign-up confirmations and password resets) writes one
delivery per recipient in the caller's transaction and queues it after the commit; a worker
sends it through ``NOTIFICATIONS_EMAIL_TRANSPORT``. So a mail server that is down never fails
a sign-up or a reset, and never half-makes an account: the email waits in the delivery row
and is retried until it leaves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from accounts.selectors.users import user_get_by_email
from notifications import catalog
from notifications.models import Category, Channel, Delivery
from notifications.services.dispatch import queue_after_commit


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        direct: list[EmailMessage] = []
        deliveries: list[Delivery] = []
        now = timezone.now()
        for message in email_messages:
            if message.attachments:
                # Nothing of ours attaches files; such a message goes out as it is.
                direct.append(message)
                continue
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next(
                    (
                        str(content)
                        for content, mimetype in message.alternatives
                        if mimetype == "text/html"
                    ),
                    "",
                )
            for address in message.recipients():
                user = user_get_by_email(email=parseaddr(address)[1])
                deliveries.append(
                    Delivery(
                        dedupe_key=f"mail:{uuid.uuid4().hex}",
                        kind=catalog.MAIL_KIND,
                        category=Category.SECURITY,
                        channel=Channel.EMAIL,
                        recipient=user,
                        address=address,
                        subject=str(message.subject)[:300],
                        body_text=str(message.body),
                        body_html=html,
                        reply_to=message.reply_to[0] if message.reply_to else "",
                        queued_at=now,
                        created_at=now,
                        status_changed_at=now,
                        next_attempt_at=now,
                    )
                )
            queued += 1
        if deliveries:
            with transaction.atomic():
                created = Delivery.objects.bulk_create(deliveries)
                queue_after_commit(created)
        if direct:
            queued += get_connection(
                settings.NOTIFICATIONS_EMAIL_TRANSPORT, fail_silently=self.fail_silently
            ).send_messages(direct)
        return queued
