from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import services


def _ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    services.record_login_failure(credentials.get("username", ""), _ip(request))


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs):
    services.record_login_success(user, _ip(request))
    if request is not None and hasattr(request, "session"):
        from . import twofactor

        twofactor.note_login(request, user)  # does this session still owe a two-step code?
