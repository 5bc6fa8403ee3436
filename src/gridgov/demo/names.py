"""Realistic Chinese names: common surnames by rough frequency, given-name characters by sex."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
# Weights fall off with rank, roughly as surname frequencies do.
SURNAME_WEIGHTS = [1.0 / (i + 4) for i in range(len(SURNAMES))]
MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博东亮成天正康一兴德立"
FEMALE = "芳娜敏静丽艳娟霞秀英玲桂兰红梅琳燕萍雪慧婷倩颖丹玉洁琴云莉晶怡欣佳悦彤璐蕾"
NEUTRAL = "晨子思雨安然嘉乐心逸泽可诗新"


def person_name(rng: random.Random, sex: str) -> str:
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    pool = MALE if sex == "M" else FEMALE
    first = rng.choice(pool + NEUTRAL)
    if rng.random() < 0.35:
        return surname + first
    return surname + first + rng.choice(pool)


STREET_WORDS = [
    "和平",
    "解放",
    "人民",
    "建设",
    "胜利",
    "光明",
    "新华",
    "东风",
    "朝阳",
    "友谊",
    "青年",
    "幸福",
    "长江",
    "黄河",
    "泰山",
    "中山",
    "民主",
    "文化",
    "团结",
    "振兴",
]
COMMUNITY_WORDS = [
    "春晖",
    "丽景",
    "锦绣",
    "翠苑",
    "阳光",
    "金桥",
    "明珠",
    "和谐",
    "康乐",
    "兴隆",
    "福苑",
    "安居",
    "雅园",
    "碧水",
    "桂花",
    "紫荆",
    "枫林",
    "书香",
    "滨河",
    "馨园",
    "盛世",
    "龙泉",
    "凤凰",
    "玉兰",
    "怡景",
    "嘉和",
    "顺景",
    "清风",
    "梧桐",
    "海棠",
]
DISTRICTS = ["城东区", "城西区", "城南区", "城北区", "高新区", "新城区", "临港区", "开发区", "滨湖区"]
