"""python manage.py rotate_pii_key [--batch 1000] [--dry-run | --check] — re-encrypt every registered PII
column under the current key version (GRIDGOV_PII_KEY_VERSION), in short batches while the platform runs;
`--check` counts what is still under an old version (docs/hardening.md, "PII key rotation")."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core import context, pii, pii_rotation
from gridgov.core.actors import SystemActor


class Command(BaseCommand):
    help = "用当前密钥版本重新加密所有加密字段(身份证号、手机号),分批进行,不停机;可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            type=int,
            default=pii_rotation.DEFAULT_BATCH,
            help=_("每批处理的行数(默认 %(n)d)") % {"n": pii_rotation.DEFAULT_BATCH},
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help=_("只统计需要重新加密的行数,不做修改"))
        mode.add_argument(
            "--check", action="store_true", help=_("统计仍在旧密钥版本下的行数(为 0 时可移除旧密钥)")
        )

    def handle(self, *args, batch: int, dry_run: bool, check: bool, **options):
        if not 1 <= batch <= 100_000:
            raise CommandError(_("--batch 应在 1 到 100000 之间"))
        try:
            ring = pii.key_ring()
        except pii.PIIError as exc:
            raise CommandError(_("密钥配置有误:%(error)s") % {"error": exc}) from exc
        self.stdout.write(
            _("当前密钥版本:%(version)d;已配置的版本:%(versions)s")
            % {"version": ring.current, "versions": ", ".join(map(str, ring.versions))}
        )
        if check:
            self._check(ring)
            return
        label = "rotate_pii_key" + (" --dry-run" if dry_run else "")
        with context.acting("cli", label=label):
            result = pii_rotation.rotate(
                SystemActor("rotate_pii_key"), batch=batch, dry_run=dry_run, progress=self._progress(dry_run)
            )
        for model in result.models:
            template = (
                _("%(model)s:将重新加密 %(rows)d 行") if dry_run else _("%(model)s:共重新加密 %(rows)d 行")
            )
            self.stdout.write(template % {"model": model.label, "rows": model.rows})
            for failure in model.failures:
                self.stderr.write(
                    _("%(model)s #%(id)s 的 %(field)s 无法解密(%(reason)s),未修改")
                    % {
                        "model": model.label,
                        "id": failure.pk,
                        "field": failure.field,
                        "reason": failure.reason,
                    }
                )
        if result.failures:
            raise CommandError(
                _("%(n)d 个值无法解密,未重新加密;其余 %(rows)d 行已处理。请检查上述行后重新运行")
                % {"n": len(result.failures), "rows": result.rows},
                returncode=1,
            )
        if dry_run:
            summary = _("试运行:共 %(rows)d 行将重新加密为版本 %(version)d,未做任何修改")
        else:
            summary = _("密钥轮换完成:共重新加密 %(rows)d 行,现均为版本 %(version)d")
        self.stdout.write(self.style.SUCCESS(summary % {"rows": result.rows, "version": result.version}))

    def _progress(self, dry_run: bool):
        def report(model: pii_rotation.ModelRotation, done: int) -> None:
            if not model.found:
                self.stdout.write(_("%(model)s:没有需要重新加密的行") % {"model": model.label})
                return
            template = (
                _("%(model)s:已检查,%(done)d / %(total)d 行需要重新加密(试运行)")
                if dry_run
                else _("%(model)s:已重新加密 %(done)d / %(total)d 行")
            )
            self.stdout.write(template % {"model": model.label, "done": done, "total": model.found})

        return report

    def _check(self, ring: pii.KeyRing) -> None:
        used: set[int] = set()
        for column in pii_rotation.versions_in_use():
            if not column.counts:
                self.stdout.write(_("%(column)s:无数据") % {"column": column.label})
            for version, n in sorted(column.counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
                if version is None:
                    note = _("(不是有效的密文)")
                else:
                    used.add(version)
                    note = (
                        ""
                        if version == ring.current
                        else _("(旧版本)")
                        if version in ring.versions
                        else _("(没有对应的密钥,无法读取)")
                    )
                self.stdout.write(
                    _("%(column)s:版本 %(version)s,%(n)d 个值%(note)s")
                    % {
                        "column": column.label,
                        "version": "-" if version is None else version,
                        "n": n,
                        "note": note,
                    }
                )
        stale = sum(
            pii_rotation.stale_rows(model, [c.field for c in columns], ring.current).count()
            for model, columns in pii_rotation.columns_by_model()
        )
        if stale:
            raise CommandError(
                _("仍有 %(n)d 行在旧密钥版本下:请运行 rotate_pii_key,完成之前不要移除旧密钥") % {"n": stale},
                returncode=1,
            )
        removable = [v for v in ring.versions if v != ring.current and v not in used]
        self.stdout.write(
            self.style.SUCCESS(
                _("没有行在旧密钥版本下(0 行),全部为版本 %(version)d") % {"version": ring.current}
            )
        )
        if removable:
            self.stdout.write(
                _("可以从 GRIDGOV_PII_KEYS 中移除的旧密钥版本:%(versions)s")
                % {"versions": ", ".join(map(str, removable))}
            )
