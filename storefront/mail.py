"""Sending the e-mail gate's confirmation codes over SMTP (double opt-in).

One short plain-text message per code, sent with the standard library's ``smtplib`` (STARTTLS and login when
configured). Blocking; called from the API's worker threads. The code is never logged.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from storefront.config import SmtpSettings
from storefront.errors import ServiceUnavailableError


class MailError(ServiceUnavailableError):
    code = "mail_failed"


class Mailer:
    def __init__(self, settings: SmtpSettings, store_name: str) -> None:
        self._settings = settings
        self._store_name = store_name

    def send_code(self, to: str, bundle_title: str, code: str) -> None:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = to
        message["Subject"] = f"Your code for {bundle_title}"
        message.set_content(
            f"Hello,\n\nyour confirmation code for “{bundle_title}” at {self._store_name} is:\n\n"
            f"    {code}\n\nEnter it in Bundlecast within 30 minutes. If you did not ask for it, ignore this "
            "message: nothing happens without the code.\n"
        )
        s = self._settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username and s.password:
                    smtp.login(s.username, s.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                "The store could not send the confirmation e-mail right now; try again in a few minutes."
            ) from exc
