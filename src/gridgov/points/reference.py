"""The redemption catalogue a city runs (seeded per city by services.seed_catalogue)."""

from __future__ import annotations

# code, name, category, price, stock (None: unlimited), monthly limit per resident, groups, merchant kinds
SCENARIOS: list[tuple[str, str, str, int, int | None, int | None, list[str], list[str]]] = [
    ("property_fee", "物业费减免10元", "物业服务", 100, None, 1, [], ["property"]),
    ("parking", "停车费抵扣1天", "物业服务", 50, None, 4, [], ["property"]),
    ("repair", "上门小修一次", "物业服务", 80, 500, 2, [], ["property"]),
    ("garage_clean", "楼道清洁一次", "物业服务", 60, 300, 1, [], ["property"]),
    ("shopping_5", "购物满减5元", "商超购物", 50, None, 4, [], ["shop"]),
    ("shopping_10", "购物满减10元", "商超购物", 100, None, 2, [], ["shop"]),
    ("rice_oil", "米面油兑换", "商超购物", 200, 1000, 1, [], ["shop"]),
    ("daily_goods", "日用品兑换", "商超购物", 80, 2000, 2, [], ["shop"]),
    ("fruit", "时令水果兑换", "商超购物", 60, 1000, 2, [], ["shop"]),
    ("meal_subsidy", "长者食堂餐补一餐", "长者食堂", 30, None, 30, ["elderly"], ["canteen"]),
    ("meal_disabled", "助残餐补一餐", "长者食堂", 30, None, 30, ["disabled"], ["canteen"]),
    ("meal_delivery", "助餐送餐上门一次", "长者食堂", 40, None, 10, ["elderly", "living_alone"], ["canteen"]),
    ("haircut", "理发一次", "生活服务", 50, None, 2, [], ["service"]),
    ("haircut_elderly", "老人上门理发", "生活服务", 40, None, 1, ["elderly"], ["service"]),
    ("housekeeping", "家政保洁2小时", "生活服务", 150, 300, 1, [], ["service"]),
    ("appliance_repair", "家电维修上门费", "生活服务", 100, 200, 1, [], ["service"]),
    ("laundry", "洗衣一件", "生活服务", 30, None, 4, [], ["service"]),
    ("shoe_repair", "修鞋配钥匙", "生活服务", 20, None, 4, [], ["service"]),
    ("massage", "中医推拿一次", "健康服务", 120, 200, 1, ["elderly"], ["service"]),
    ("health_check", "健康体检套餐", "健康服务", 300, 100, 1, [], ["public"]),
    ("blood_pressure", "血压血糖检测", "健康服务", 10, None, 4, [], ["public"]),
    ("pharmacy", "药店购药抵扣5元", "健康服务", 50, None, 2, [], ["shop"]),
    ("library", "图书借阅延期卡", "文体服务", 20, None, 2, [], ["public"]),
    ("gym", "健身房单次", "文体服务", 40, None, 4, [], ["service"]),
    ("swimming", "游泳馆单次", "文体服务", 60, 500, 2, [], ["service"]),
    ("cinema", "社区影院观影券", "文体服务", 50, 300, 1, [], ["service"]),
    ("class_childcare", "四点半课堂托管一次", "一老一小", 40, None, 8, [], ["public"]),
    ("class_elderly", "老年大学课时", "一老一小", 80, 300, 2, ["elderly"], ["public"]),
    ("daycare_elderly", "日间照料一天", "一老一小", 100, 200, 4, ["elderly"], ["public"]),
    ("volunteer_insurance", "志愿者意外保险", "志愿激励", 100, None, 1, [], ["public"]),
    ("honor_certificate", "星级志愿者证书", "志愿激励", 500, None, 1, [], ["public"]),
    ("veteran_service", "退役军人优待服务", "优待服务", 50, None, 2, ["veteran"], ["public"]),
    (
        "hardship_goods",
        "困难家庭爱心包",
        "优待服务",
        50,
        300,
        1,
        ["subsistence", "low_income", "extreme_hardship"],
        ["shop"],
    ),
    ("bike_repair", "电动车充电抵扣", "生活服务", 20, None, 8, [], ["property", "service"]),
]

MERCHANT_NAMES = {
    "shop": ["邻里便利店", "惠民超市", "社区生鲜店", "百姓大药房"],
    "canteen": ["长者食堂", "幸福食堂"],
    "property": ["安居物业", "和谐物业"],
    "service": ["便民理发店", "家政服务站", "便民维修点"],
    "public": ["党群服务中心"],
}
