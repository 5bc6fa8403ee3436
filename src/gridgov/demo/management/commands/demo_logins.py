from django.core.management.base import BaseCommand

from gridgov.accounts.demo import DEMO_PASSWORD, DEMO_USERS
from gridgov.accounts.models import User


class Command(BaseCommand):
    help = "打印演示地址与各角色的演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options):
        users = {
            u.username: u
            for u in User._default_manager.select_related("area").filter(
                username__in=[d[0] for d in DEMO_USERS]
            )
        }
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"gridgov 已就绪:{url}"))
        self.stdout.write(f"演示账号(密码均为 {DEMO_PASSWORD}):")
        for username, _role, _level, _index, _display in DEMO_USERS:
            user = users.get(username)
            if user is not None:
                self.stdout.write(
                    f"  {username:<10} {user.get_role_display():<8} {user.area.name if user.area else ''}"
                )
        self.stdout.write(f"API 文档:{url}api/docs/   管理后台:{url}admin/(city 账号)")
        self.stdout.write("")
