#!/usr/bin/env python3
"""pii_zh_data.py - writes the Chinese PII evaluation set (Presidio's format) from the
project's own templates and value pools: names, addresses, dates (of birth), phones,
e-mails, resident IDs and card numbers in ordinary Chinese sentences, and sentences with
none (行李, 一张纸, 王国: surname characters inside words). Deterministic (seed 12).

usage: python3 scripts/pii_zh_data.py > tests/data/pii-zh-synth.json
"""
import json
import random
import sys

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
COMPOUND = ["欧阳", "司马", "诸葛", "上官"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉健俊帆浩宇晨欣怡雪梅建国志文"
PROVINCES = [("北京市", ["海淀区", "朝阳区", "东城区", "西城区"]), ("上海市", ["浦东新区", "徐汇区", "静安区"]),
             ("广东省广州市", ["天河区", "越秀区", "海珠区"]), ("浙江省杭州市", ["西湖区", "滨江区", "余杭区"]),
             ("四川省成都市", ["武侯区", "锦江区", "青羊区"]), ("江苏省南京市", ["鼓楼区", "玄武区", "秦淮区"])]
STREETS = ["中关村大街", "建国路", "人民路", "解放路", "世纪大道", "文三路", "春熙路", "中山路", "长安街", "学院路"]
DOMAINS = ["example.com", "mail.example.cn", "corp.example.org"]


def name(r):
    s = r.choice(COMPOUND) if r.random() < 0.08 else r.choice(SURNAMES)
    return s + "".join(r.choice(GIVEN) for _ in range(r.choice([1, 2, 2])))


def address(r):
    p, ds = r.choice(PROVINCES)
    a = p + r.choice(ds) + r.choice(STREETS) + "%d号" % r.randint(1, 300)
    if r.random() < 0.5:
        a += "%d栋%d单元%d室" % (r.randint(1, 20), r.randint(1, 6), r.randint(101, 2505))
    return a


def district(r):
    p, ds = r.choice(PROVINCES)
    return p + r.choice(ds)


def ymd(r):
    return "%d年%d月%d日" % (r.randint(1950, 2005), r.randint(1, 12), r.randint(1, 28))


def isodate(r):
    return "%d-%02d-%02d" % (r.randint(1950, 2005), r.randint(1, 12), r.randint(1, 28))


def phone(r):
    return "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))


def cn_id(r):
    body = "110105" + "%04d%02d%02d" % (r.randint(1950, 2005), r.randint(1, 12), r.randint(1, 28)) + \
        "".join(r.choice("0123456789") for _ in range(3))
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def card(r):
    d = [4] + [r.randint(0, 9) for _ in range(14)]
    s = 0
    for i, x in enumerate(reversed(d)):
        x = x * 2 if i % 2 == 0 else x
        s += x - 9 if x > 9 else x
    d.append((10 - s % 10) % 10)
    t = "".join(map(str, d))
    return " ".join(t[i:i + 4] for i in range(0, 16, 4))


def email(r):
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(4, 8))) + "@" + r.choice(DOMAINS)


GEN = {"name": ("PERSON", name), "addr": ("STREET_ADDRESS", address), "district": ("GPE", district),
       "dob": ("DATE_TIME", ymd), "date": ("DATE_TIME", ymd), "isodate": ("DATE_TIME", isodate), "phone": ("PHONE_NUMBER", phone),
       "email": ("EMAIL_ADDRESS", email), "id": ("CN_RESIDENT_ID", cn_id), "card": ("CREDIT_CARD", card)}

TEMPLATES = [
    "我叫{name}，今年三十岁，住在{addr}。",
    "您好，我是{name}，我的手机号是{phone}，有事请联系我。",
    "姓名：{name}\n出生日期：{dob}\n住址：{addr}\n电话：{phone}",
    "{name}先生，您的快递已送达{addr}，请及时领取。",
    "请联系{name}女士，邮箱{email}，电话{phone}。",
    "收件人：{name}，收货地址：{addr}，联系电话：{phone}",
    "患者{name}，出生于{dob}，身份证号{id}，于今日入院。",
    "本人{name}，身份证号码{id}，申请办理银行卡。",
    "{name}老师的生日是{dob}，我们准备给她一个惊喜。",
    "持卡人{name}的信用卡{card}已挂失，请重新寄到{addr}。",
    "我们公司在{district}，欢迎来参观。",
    "会议定于{date}在{district}召开。",
    "他出生于{dob}，毕业后一直在{district}工作。",
    "联系人：{name}  邮箱：{email}",
    "请把合同寄给{name}经理，地址是{addr}。",
    "{name}同学，请于{date}前提交作业。",
    # harder: names with no context word, numeric dates, a province alone
    "昨天{name}和{name}一起去吃饭了。",
    "我和{name}是大学同学，毕业后很少见面。",
    "{name}说明天不来开会了。",
    "出生日期 {isodate}，籍贯浙江省。",
    # sentences without personal data: surname characters inside ordinary words
    "请把行李放在一张桌子上，然后去王府井逛逛。",
    "这个王国的历史很长，周末我们去看了关于它的展览。",
    "高速公路上车很多，马上就要到了。",
    "今天天气很好，我们去公园散步吧。",
    "北京是中国的首都，上海是一个国际化的大都市。",
    "这本书一共有三百页，价格是四十五元。",
    "项目进度：第一阶段已完成，第二阶段预计下个月开始。",
]


def fill(r, tpl):
    text, spans = "", []
    i = 0
    while i < len(tpl):
        j = tpl.find("{", i)
        if j < 0:
            text += tpl[i:]
            break
        k = tpl.index("}", j)
        text += tpl[i:j]
        typ, gen = GEN[tpl[j + 1:k]]
        v = gen(r)
        spans.append({"entity_type": typ, "entity_value": v, "start_position": len(text),
                      "end_position": len(text) + len(v)})
        text += v
        i = k + 1
    return {"full_text": text, "masked": tpl, "spans": spans}


def main():
    r = random.Random(12)
    recs = [fill(r, TEMPLATES[i % len(TEMPLATES)]) for i in range(len(TEMPLATES) * 12)]
    json.dump(recs, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
