"""A report's make and model written in one column ("品牌车型", "Marca y submarca"): the
make is recognised from a list of common makes in Latin and Chinese script, the rest is the
model. Where no make is recognised the whole text is the model and the make is left empty.
"""

import re
import unicodedata

# (name as stored, other ways reports write it). Chinese names are stored in Chinese: a
# Chinese insurer's staff read 丰田, not Toyota.
MAKES = (
    ("Toyota", ()), ("Nissan", ()), ("Volkswagen", ("VW",)), ("Honda", ()),
    ("Chevrolet", ("Chevy",)), ("Ford", ()), ("BYD", ()), ("Geely", ()), ("Mazda", ()),
    ("Kia", ()), ("Hyundai", ()), ("BMW", ()), ("Mercedes-Benz", ("Mercedes Benz", "Mercedes")),
    ("Audi", ()), ("Buick", ()), ("Changan", ()), ("Great Wall", ()), ("Haval", ()),
    ("Tesla", ()), ("Mitsubishi", ()), ("Suzuki", ()), ("Subaru", ()), ("Renault", ()),
    ("Peugeot", ()), ("Citroën", ("Citroen",)), ("SEAT", ()), ("Fiat", ()), ("Jeep", ()),
    ("Dodge", ()), ("RAM", ()), ("Chrysler", ()), ("GMC", ()), ("Cadillac", ()),
    ("Lincoln", ()), ("Volvo", ()), ("Lexus", ()), ("Infiniti", ()), ("Acura", ()),
    ("Land Rover", ()), ("Jaguar", ()), ("Porsche", ()), ("Mini", ()), ("Alfa Romeo", ()),
    ("Cupra", ()), ("Chirey", ()), ("Chery", ()), ("MG", ()), ("JAC", ()), ("Isuzu", ()),
    ("Hino", ()), ("International", ()), ("Freightliner", ()), ("Kenworth", ()),
    ("Foton", ()), ("Omoda", ()), ("Jetour", ()), ("Baic", ()), ("Skoda", ()),
    ("Opel", ()), ("Dacia", ()), ("Hongqi", ()), ("Wuling", ()), ("Roewe", ()),
    # Chinese script
    ("丰田", ()), ("日产", ("尼桑",)), ("大众", ()), ("本田", ()), ("雪佛兰", ()), ("福特", ()),
    ("比亚迪", ()), ("吉利", ("吉利汽车",)), ("马自达", ()), ("起亚", ()), ("现代", ()),
    ("宝马", ()), ("奔驰", ("梅赛德斯-奔驰", "梅赛德斯奔驰")), ("奥迪", ()), ("别克", ()),
    ("长安", ()), ("长城", ()), ("哈弗", ()), ("特斯拉", ()), ("五菱", ()), ("宝骏", ()),
    ("荣威", ()), ("名爵", ()), ("红旗", ()), ("奇瑞", ()), ("传祺", ()), ("埃安", ()),
    ("理想", ()), ("蔚来", ()), ("小鹏", ()), ("领克", ()), ("极氪", ()), ("问界", ()),
    ("深蓝", ()), ("零跑", ()), ("标致", ()), ("雪铁龙", ()), ("沃尔沃", ()), ("路虎", ()),
    ("捷豹", ()), ("雷克萨斯", ()), ("英菲尼迪", ()), ("三菱", ()), ("斯巴鲁", ()), ("铃木", ()),
    ("保时捷", ()), ("凯迪拉克", ()), ("吉普", ()), ("林肯", ()), ("斯柯达", ()), ("捷达", ()),
    ("东风", ()), ("江淮", ()), ("北汽", ()), ("五十铃", ()), ("坦克", ()), ("欧拉", ()),
    ("魏牌", ()), ("腾势", ()), ("岚图", ()), ("智己", ()), ("小米", ()),
)  # fmt: skip

# Chinese makes are often written after their maker or joint venture: 一汽-大众, 广汽丰田,
# 长安福特, 东风日产, 上汽通用别克. The group is dropped when a make follows it.
GROUPS = (
    "上汽通用五菱", "上汽通用", "一汽", "二汽", "东风", "上汽", "广汽", "北京", "北汽", "华晨",
    "长安", "长城", "江铃", "奇瑞", "吉利", "比亚迪", "东南", "郑州", "海马", "中国重汽",
)  # fmt: skip

SEPARATORS = " -–—/|·・,，:：_()（）[]【】"
LATIN_LETTER = re.compile(r"[A-Za-z]")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _aliases() -> list[tuple[str, str]]:
    """(written form folded, make as stored), longest first: "Mercedes Benz" before
    "Mercedes", "五十铃" before nothing shorter."""
    pairs = [(_fold(alias), name) for name, others in MAKES for alias in (name, *others)]
    return sorted(pairs, key=lambda p: -len(p[0]))


ALIASES = _aliases()


def _make_at_start(text: str) -> tuple[str, str] | None:
    """(make, what follows it) when the text starts with a known make written whole."""
    folded = _fold(text)
    for alias, name in ALIASES:
        if not folded.startswith(alias):
            continue
        rest = text[len(alias) :]
        if LATIN_LETTER.match(alias[-1]) and LATIN_LETTER.match(rest[:1]):
            continue  # "Kiara" is not a Kia, "Fordham" not a Ford
        return name, rest
    return None


def split_make_model(text) -> tuple[str, str]:
    """(make, model) of a combined cell: "NISSAN VERSA SENSE" → ("Nissan", "VERSA SENSE"),
    "一汽-大众 速腾" → ("大众", "速腾"), "比亚迪秦PLUS" → ("比亚迪", "秦PLUS"),
    "长安CS75" → ("长安", "CS75"); an unknown make → ("", the whole text)."""
    text = " ".join(unicodedata.normalize("NFKC", str(text or "")).split())
    if not text:
        return "", ""
    found = None
    for group in GROUPS:
        if text.startswith(group):
            found = _make_at_start(text[len(group) :].lstrip(SEPARATORS))
            if found:
                break
    found = found or _make_at_start(text)
    if found is None:
        return "", text
    make, rest = found
    return make, rest.strip(SEPARATORS + " ")
