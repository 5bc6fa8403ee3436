"""Remove a user's two-step login devices (a lost phone, and no manager can log in to do it on the page)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gridgov.core.actors import SystemActor
from gridgov.core.services import ServiceError


class Command(BaseCommand):
    help = "重置账号的两步验证(手机丢失时):删除其验证器设备,下次登录时重新设置。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        from gridgov.accounts import twofactor
        from gridgov.accounts.models import User

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为 {username} 的账号")
        try:
            removed = twofactor.reset(SystemActor("reset_2fa"), user)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{username}: 已删除 {removed} 个验证器设备,下次登录时重新设置")
