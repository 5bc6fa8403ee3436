"""Pages: console with its confirmation step, board, phone page, groups, readiness; roles and scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.emergency.models import Activation, Post, PostState, Responder

pytestmark = pytest.mark.django_db


def _form(emergency, step, **kw):
    data = {
        "communities": [c.pk for c in emergency.communities[:2]],
        "level": 4,
        "reason": "防汛演练",
        "is_drill": "on",
        "max_distance_m": 3000,
        "ack_minutes": 30,
        "step": step,
    }
    data.update(kw)
    return data


def test_console_preview_then_confirm(client_for, emergency):
    c = client_for("street")
    page = c.get(reverse("emergency:console"))
    assert page.status_code == 200 and "一键启动" in page.content.decode()
    assert emergency.communities[2].name not in page.content.decode()  # another street's community
    preview = c.post(reverse("emergency:console"), _form(emergency, "preview"))
    html = preview.content.decode()
    assert "请确认" in html and "确认启动" in html
    assert not Activation.objects.unscoped("t").exists()
    done = c.post(reverse("emergency:console"), _form(emergency, "confirm"))
    act = Activation.objects.unscoped("t").get()
    assert done.status_code == 302 and done["Location"] == reverse("emergency:board", args=[act.pk])
    board = c.get(done["Location"])
    assert board.status_code == 200 and "演练看板" in board.content.decode()
    partial = c.get(done["Location"], HTTP_HX_REQUEST="true")
    assert 'id="board"' in partial.content.decode() and "<html" not in partial.content.decode()
    again = c.post(reverse("emergency:console"), _form(emergency, "confirm"))
    assert "已处于应急状态" in again.content.decode()
    out = c.post(
        reverse("emergency:console"), _form(emergency, "preview", communities=[emergency.communities[2].pk])
    )
    assert out.status_code == 200 and "请确认" not in out.content.decode()  # not a valid choice: form error
    end = c.post(reverse("emergency:board_action", args=[act.pk, "deactivate"]), {"note": "结束"})
    assert end.status_code == 302
    assert "处置记录" in c.get(reverse("emergency:board", args=[act.pk])).content.decode()


@pytest.mark.parametrize("role", ["grid_worker", "community_secretary", "resident"])
def test_console_refused_to_other_roles(client_for, emergency, role):
    assert client_for(role).get(reverse("emergency:console")).status_code == 403


def test_phone_page_acknowledge(client_for, users, emergency):
    c = client_for("street")
    c.post(reverse("emergency:console"), _form(emergency, "confirm"))
    act = Activation.objects.unscoped("t").get()
    post, other = Post.objects.unscoped("t").filter(activation=act)[:2]
    Responder.objects.unscoped("t").filter(pk=post.responder_id).update(user=users["resident"])
    phone = client_for("resident")
    html = phone.get(reverse("emergency:me")).content.decode()
    assert "确认响应" in html and post.group.name in html
    r = phone.post(reverse("emergency:acknowledge", args=[other.pk]))
    assert r.status_code == 302
    assert Post.objects.unscoped("t").get(pk=other.pk).state == PostState.ASSIGNED
    phone.post(reverse("emergency:acknowledge", args=[post.pk]))
    assert Post.objects.unscoped("t").get(pk=post.pk).state == PostState.ACKNOWLEDGED
    assert "已确认响应" in phone.get(reverse("emergency:me")).content.decode()
    assert "我的岗位" in phone.get(reverse("emergency:me")).content.decode()


def test_groups_and_readiness_pages(client_for, emergency):
    sec = client_for("community_secretary")
    page = sec.get(reverse("emergency:groups", args=[emergency.communities[0].pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "战时(7个小组)" in html and "医疗防疫组" in html
    assert sec.get(reverse("emergency:groups", args=[emergency.communities[1].pk])).status_code == 404
    assert sec.post(reverse("emergency:groups", args=[emergency.communities[0].pk])).status_code == 302
    street = client_for("street")
    street.post(reverse("emergency:readiness_refresh"), {"area": "abc"})
    assert street.post(reverse("emergency:readiness_refresh"), {"area": "abc"}).status_code == 404
    street.post(reverse("emergency:readiness_refresh"), {"area": emergency.communities[0].pk})
    html = street.get(reverse("emergency:readiness")).content.decode()
    assert emergency.communities[0].name in html and "战备状态" in html
    assert 'id="readiness-map"' in html and 'id="readiness-data"' in html
    assert client_for("resident").get(reverse("emergency:readiness")).status_code == 403


def test_nav_entries(client_for, users, emergency):
    html = client_for("street").get(reverse("emergency:readiness")).content.decode()
    assert f'href="{reverse("emergency:console")}"' in html
    html = client_for("grid_worker").get(reverse("emergency:readiness")).content.decode()
    assert f'href="{reverse("emergency:readiness")}"' in html
