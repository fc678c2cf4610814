"""Write ``scenarios/cities/beijing.csv``, the whole of Beijing Municipality as a city file (issue 19).

Its 16 districts and 343 streets, areas, towns and townships, with the 2020 census population of
every district. The published figures (district populations, the township-level units and their kinds, the census
figures of the streets and towns that were found) are tables below, each with its source; everything
else is an **allocation** by the rules in :data:`ALLOCATIONS`, which this script applies and writes
into the file's header. Run it again after changing a table or a rule::

    .venv/bin/python tools/beijing_city.py            # writes scenarios/cities/beijing.csv
    .venv/bin/python tools/beijing_city.py --check    # exit 1 if the file differs from what it would write
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "scenarios" / "cities" / "beijing.csv"
DONGCHENG = ROOT / "scenarios" / "cities" / "dongcheng.toml"

TOTAL = 21_893_095
URBAN = 19_166_433
RURAL = 2_726_662
MIGRANTS = 8_418_418

# (NBS code, name, English name, 2020 census resident population): census bulletin no. 2 of the
# Beijing Municipal Bureau of Statistics (May 2021); the same figures on CityPopulation.de (China:
# Beijing, districts) and in the national county-level 2020 census tables.
DISTRICTS: tuple[tuple[str, str, str, int], ...] = (
    ("110101", "东城区", "Dongcheng", 708_829),
    ("110102", "西城区", "Xicheng", 1_106_214),
    ("110105", "朝阳区", "Chaoyang", 3_452_460),
    ("110106", "丰台区", "Fengtai", 2_019_764),
    ("110107", "石景山区", "Shijingshan", 567_851),
    ("110108", "海淀区", "Haidian", 3_133_469),
    ("110109", "门头沟区", "Mentougou", 392_606),
    ("110111", "房山区", "Fangshan", 1_312_778),
    ("110112", "通州区", "Tongzhou", 1_840_295),
    ("110113", "顺义区", "Shunyi", 1_324_044),
    ("110114", "昌平区", "Changping", 2_269_487),
    ("110115", "大兴区", "Daxing", 1_993_591),
    ("110116", "怀柔区", "Huairou", 441_040),
    ("110117", "平谷区", "Pinggu", 457_313),
    ("110118", "密云区", "Miyun", 527_683),
    ("110119", "延庆区", "Yanqing", 345_671),
)

# Township-level units of each district in code order: National Bureau of Statistics, statistical
# division codes (统计用区划代码, as of 31 October 2021), without the six development zones the codes
# also list (北京经济技术开发区, 中关村国家自主创新示范区大兴生物医药产业基地, 国家新媒体产业基地, 大兴国际机场,
# 北京雁栖经济开发区, 中关村科技园区密云园: no township government). 街道 streets, 地区 areas (a town or
# township government that also carries an area office, 两块牌子一套人马), 镇 towns, 乡 townships.
UNITS: dict[str, str] = {
    "110101": "东华门街道 景山街道 交道口街道 安定门街道 北新桥街道 东四街道 朝阳门街道 建国门街道 东直门街道 和平里街道 前门街道 崇文门外街道 东花市街道 龙潭街道 体育馆路街道 天坛街道 永定门外街道",
    "110102": "西长安街街道 新街口街道 月坛街道 展览路街道 德胜街道 金融街街道 什刹海街道 大栅栏街道 天桥街道 椿树街道 陶然亭街道 广安门内街道 牛街街道 白纸坊街道 广安门外街道",
    "110105": "建外街道 朝外街道 呼家楼街道 三里屯街道 左家庄街道 香河园街道 和平街街道 安贞街道 亚运村街道 小关街道 酒仙桥街道 麦子店街道 团结湖街道 六里屯街道 八里庄街道 双井街道 劲松街道 潘家园街道 垡头街道 南磨房地区 高碑店地区 将台地区 太阳宫地区 大屯街道 望京街道 小红门地区 十八里店地区 平房地区 东风地区 奥运村街道 来广营地区 常营地区 三间房地区 管庄地区 金盏地区 孙河地区 崔各庄地区 东坝地区 黑庄户地区 豆各庄地区 王四营地区 东湖街道 首都机场街道",
    "110106": "右安门街道 太平桥街道 西罗园街道 大红门街道 南苑街道 东高地街道 东铁匠营街道 六里桥街道 丰台街道 新村街道 长辛店街道 云岗街道 方庄街道 宛平街道 马家堡街道 和义街道 卢沟桥街道 花乡街道 成寿寺街道 石榴庄街道 玉泉营街道 看丹街道 五里店街道 青塔街道 北宫镇 王佐镇",
    "110107": "八宝山街道 老山街道 八角街道 古城街道 苹果园街道 金顶街街道 广宁街道 五里坨街道 鲁谷街道",
    "110108": "万寿路街道 永定路街道 羊坊店街道 甘家口街道 八里庄街道 紫竹院街道 北下关街道 北太平庄街道 学院路街道 中关村街道 海淀街道 青龙桥街道 清华园街道 燕园街道 香山街道 清河街道 花园路街道 西三旗街道 马连洼街道 田村路街道 上地街道 万柳地区 东升地区 曙光街道 温泉地区 四季青地区 西北旺地区 苏家坨地区 上庄地区",
    "110109": "大峪街道 城子街道 东辛房街道 大台街道 王平地区 永定地区 龙泉地区 潭柘寺镇 军庄镇 雁翅镇 斋堂镇 清水镇 妙峰山镇",
    "110111": "城关街道 新镇街道 向阳街道 东风街道 迎风街道 星城街道 良乡地区 周口店地区 琉璃河地区 拱辰街道 西潞街道 阎村镇 窦店镇 石楼镇 长阳镇 河北镇 长沟镇 大石窝镇 张坊镇 十渡镇 青龙湖镇 韩村河镇 霞云岭乡 南窖乡 佛子庄乡 大安山乡 史家营乡 蒲洼乡",
    "110112": "中仓街道 新华街道 北苑街道 玉桥街道 潞源街道 通运街道 文景街道 九棵树街道 临河里街道 杨庄街道 潞邑街道 宋庄镇 张家湾镇 漷县镇 马驹桥镇 西集镇 台湖镇 永乐店镇 潞城镇 永顺镇 梨园镇 于家务回族乡",
    "110113": "胜利街道 光明街道 仁和地区 后沙峪地区 天竺地区 杨镇地区 牛栏山地区 南法信地区 马坡地区 石园街道 空港街道 双丰街道 旺泉街道 高丽营镇 李桥镇 李遂镇 南彩镇 北务镇 大孙各庄镇 张镇 龙湾屯镇 木林镇 北小营镇 北石槽镇 赵全营镇",
    "110114": "城北街道 南口地区 马池口地区 沙河地区 城南街道 东小口地区 天通苑北街道 天通苑南街道 霍营街道 回龙观街道 龙泽园街道 史各庄街道 阳坊镇 小汤山镇 南邵镇 崔村镇 百善镇 北七家镇 兴寿镇 流村镇 十三陵镇 延寿镇",
    "110115": "兴丰街道 林校路街道 清源街道 亦庄地区 黄村地区 旧宫地区 西红门地区 瀛海地区 观音寺街道 天宫院街道 高米店街道 荣华街道 博兴街道 青云店镇 采育镇 安定镇 礼贤镇 榆垡镇 庞各庄镇 北臧村镇 魏善庄镇 长子营镇",
    "110116": "泉河街道 龙山街道 怀柔地区 雁栖地区 庙城地区 北房镇 杨宋镇 桥梓镇 怀北镇 汤河口镇 渤海镇 九渡河镇 琉璃庙镇 宝山镇 长哨营满族乡 喇叭沟门满族乡",
    "110117": "滨河街道 兴谷街道 渔阳地区 峪口地区 马坊地区 金海湖地区 东高村镇 山东庄镇 南独乐河镇 大华山镇 夏各庄镇 马昌营镇 王辛庄镇 大兴庄镇 刘家店镇 镇罗营镇 黄松峪乡 熊儿寨乡",
    "110118": "鼓楼街道 果园街道 檀营地区 密云镇 溪翁庄镇 西田各庄镇 十里堡镇 河南寨镇 巨各庄镇 穆家峪镇 太师屯镇 高岭镇 不老屯镇 冯家峪镇 古北口镇 大城子镇 东邵渠镇 北庄镇 新城子镇 石城镇",
    "110119": "百泉街道 香水园街道 儒林街道 延庆镇 康庄镇 八达岭镇 永宁镇 旧县镇 张山营镇 四海镇 千家店镇 沈家营镇 大榆树镇 井庄镇 大庄科乡 刘斌堡乡 香营乡 珍珠泉乡",
}

# 2020 census population of the Changping units found: CityPopulation.de, "China: Beijing, districts
# and townships" (census 2020-11-01; source there: Beijing Municipal Bureau of Statistics). The page
# was read only in part: 天通苑南街道, 阳坊镇, 小汤山镇, 兴寿镇 and 延寿镇 have no figure here.
CHANGPING_2020: dict[str, int] = {
    "百善镇": 36_546, "北七家镇": 308_907, "城北街道": 228_561, "城南街道": 88_963, "崔村镇": 24_630,
    "东小口地区": 85_874, "回龙观街道": 166_074, "霍营街道": 93_545, "流村镇": 18_139, "龙泽园街道": 181_906,
    "马池口地区": 87_506, "南口地区": 82_146, "南邵镇": 65_403, "沙河地区": 294_408, "史各庄街道": 64_910,
    "十三陵镇": 34_085, "天通苑北街道": 142_707,
}

COMMUNITIES = 3_400
"""Residents' committees (社区) in the city, an approximate 2020 figure (allocation rule 3)."""
VILLAGES = 3_900
"""Villagers' committees (村) in the city, an approximate 2020 figure (allocation rule 3)."""
POP_WEIGHT = {"street": 1.0, "area": 1.0, "town": 0.4, "township": 0.2}
VILLAGE_WEIGHT = {"street": 0.0, "area": 0.5, "town": 1.0, "township": 1.0}
CORE = {"110102"}  # 西城 (东城 comes from its own file)
CENTRAL = {"110105", "110106", "110107", "110108"}  # 朝阳, 丰台, 石景山, 海淀
STREET_TYPES = {
    "core": (("old_town", 0.5), ("commercial_housing", 0.5)),
    "central": (("old_town", 0.25), ("commercial_housing", 0.75)),
    "outer": (("commercial_housing", 0.75), ("resettlement", 0.25)),
}
TOWN_TYPES = (("commercial_housing", 0.5), ("resettlement", 0.5))


def kind(name: str) -> str:
    """Street (街道), area (地区), town (镇) or township (乡) from the unit's name."""
    for suffix, k in (("街道", "street"), ("地区", "area"), ("镇", "town"), ("乡", "township")):
        if name.endswith(suffix):
            return k
    raise ValueError(name)


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` in whole parts proportional to ``weights`` (largest remainder, ties to the first)."""
    s = sum(weights)
    if s <= 0:
        return [0] * len(weights)
    quotas = [total * w / s for w in weights]
    parts = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def dongcheng_rows() -> list[tuple[str, str, str, int, int, str]]:
    """Dongcheng's rows as its own city file gives them (its header names their sources)."""
    data = tomllib.loads(DONGCHENG.read_text(encoding="utf-8"))
    return [(r["street"], "street", "community", r["communities"], r["population"], r["type"])
            for r in data["community"]]


def build() -> tuple[list[tuple], dict[str, dict[str, int]]]:
    """The rows (district, street, street_kind, community_kind, communities, population, type) and per-district counts."""
    units = [(code, name, kind(name)) for code, *_ in DISTRICTS for name in UNITS[code].split()]
    pop: dict[tuple[str, str], int] = {}  # keyed by (district code, name): 八里庄街道 is in two districts
    for code, _, _, total in DISTRICTS:
        if code == "110101":
            continue
        mine = [(n, k) for c, n, k in units if c == code]
        known = {n: CHANGPING_2020[n] for n, _ in mine if code == "110114" and n in CHANGPING_2020}
        rest = [(n, k) for n, k in mine if n not in known]
        pop.update({(code, n): v for n, v in known.items()})
        pop.update(zip([(code, n) for n, _ in rest],
                       split(total - sum(known.values()), [POP_WEIGHT[k] for _, k in rest]), strict=True))
    others = [(c, n, k) for c, n, k in units if c != "110101"]
    keys = [(c, n) for c, n, _ in others]
    villages = dict(zip(keys, split(VILLAGES, [VILLAGE_WEIGHT[k] for *_, k in others]), strict=True))
    with_v = [u for u in keys if villages[u]]
    vpop = dict.fromkeys(keys, 0)
    vpop.update(zip(with_v, split(RURAL, [pop[u] for u in with_v]), strict=True))
    dc = dongcheng_rows()
    n_dc = sum(r[3] for r in dc)
    comm = dict(zip(keys, [1 + x for x in split(COMMUNITIES - n_dc - len(others),
                                                 [pop[u] - vpop[u] for u in keys])], strict=True))
    rows: list[tuple] = [("东城区", *r) for r in dc]
    names = {code: name for code, name, _, _ in DISTRICTS}
    for code, name, k in others:
        d = names[code]
        skind = "street" if k == "street" else "town"
        if k == "street":
            mix = STREET_TYPES["core" if code in CORE else "central" if code in CENTRAL else "outer"]
        else:
            mix = TOWN_TYPES
        u = (code, name)
        counts = split(comm[u], [f for _, f in mix])
        pops = split(pop[u] - vpop[u], counts)
        rows += [(d, name, skind, "community", c, p, t) for (t, _), c, p in zip(mix, counts, pops, strict=True) if c]
        if villages[u]:
            vtype = "urban_village" if code in CENTRAL else "rural_village"
            rows.append((d, name, skind, "village", villages[u], vpop[u], vtype))
    table: dict[str, dict[str, int]] = {}
    for code, _, _, total in DISTRICTS:
        ks = [k for c, _, k in units if c == code]
        table[code] = {"population": total, **{k: ks.count(k) for k in ("street", "area", "town", "township")}}
    return rows, table


def render() -> str:
    """The whole file: header and rows."""
    rows, table = build()
    n_comm = sum(r[4] for r in rows if r[3] == "community")
    n_vill = sum(r[4] for r in rows if r[3] == "village")
    lines = [f"#   {code}  {name:<5}{en:<12}{t['population']:>10,}  {t['street']:>3}  {t['area']:>3}  "
             f"{t['town']:>3}  {t['township']:>3}"
             for (code, name, en, _), t in zip(DISTRICTS, table.values(), strict=True)]
    head = HEADER.format(
        districts="\n".join(lines), communities=n_comm, villages=n_vill, total=TOTAL, urban=URBAN,
        rural=RURAL, migrants=MIGRANTS, units=sum(len(v.split()) for v in UNITS.values()),
        changping=sum(CHANGPING_2020.values()))
    body = ["district,street,street_kind,community_kind,communities,population,type"]
    body += [",".join(str(x) for x in r) for r in rows]
    return head + "\n".join(body) + "\n"


HEADER = """\
# Beijing Municipality (北京市): 16 districts, {units} streets, areas, towns and townships,
# {communities:,} communities (社区) and {villages:,} villages (村), {total:,} residents (2020 census).
# govsim city file (format: docs/city-files.md), written by tools/beijing_city.py (the tables and
# rules below live there; run it again rather than editing this file). One row per group of
# equal-sized communities of one street or town, one kind and one neighbourhood type.
#
# name: Beijing
# year: 2020
# population: {total}
# urban_population: {urban}
# migrants: {migrants}
#
# STATISTICS (published figures; the rows reproduce every population below exactly):
#   - Resident population {total:,}; urban {urban:,}, rural {rural:,}; {migrants:,} residents from
#     other provinces (38.5 %): 2020 (seventh) population census, census bulletins of the Beijing
#     Municipal Bureau of Statistics (May 2021), as republished by xzqh.org (北京市, 2020).
#   - Population of every district, 2020 census (bulletin no. 2; the same figures on CityPopulation.de,
#     "China: Beijing", and in the national county-level census tables), and its township-level
#     units: National Bureau of Statistics, statistical division codes (统计用区划代码, 31 October 2021,
#     as mirrored by github.com/modood/Administrative-divisions-of-China), without the six
#     development zones the codes also list, which have no township government. Columns: code,
#     district, census population, streets (街道), areas (地区), towns (镇), townships (乡):
{districts}
#     The units' names are those of the division codes; areas are town or township governments that
#     also carry an area office (两块牌子一套人马) and are written as street_kind town below.
#   - Dongcheng District: the rows of scenarios/cities/dongcheng.toml (17 streets, 177 communities,
#     five streets' census figures; its own header names the sources and its allocations).
#   - Changping District, 2020 census population of 17 of its 22 units, {changping:,} residents
#     (CityPopulation.de, "China: Beijing, districts and townships", census 2020-11-01): 百善镇 36,546;
#     北七家镇 308,907; 城北街道 228,561; 城南街道 88,963; 崔村镇 24,630; 东小口地区 85,874; 回龙观街道
#     166,074; 霍营街道 93,545; 流村镇 18,139; 龙泽园街道 181,906; 马池口地区 87,506; 南口地区 82,146;
#     南邵镇 65,403; 沙河地区 294,408; 史各庄街道 64,910; 十三陵镇 34,085; 天通苑北街道 142,707.
#
# ALLOCATIONS (rules, NOT statistics; no per-unit figures were found for the other 15 districts):
#   1. The tree is that of the October 2021 codes (343 units), the populations those of November
#      2020: Fengtai's and Tongzhou's streets created in 2020-2021 are in the tree.
#   2. Population of a unit without a census figure: its district's population (less the known
#      figures) shared by weight: street 1, area 1, town 0.4, township 0.2 (assumption, from
#      Changping's figures: its streets and areas hold about 1.4e5 residents each, its towns a median
#      3.5e4). Largest remainder, in code order.
#   3. Communities and villages: {communities:,} communities and {villages:,} villages in all, approximate
#      2020 totals (not verified against a publication; the NBS division codes of 30 June 2023 list
#      7,535 village-level units in Beijing, as summarised by github.com/adyliu/china_area). Villages are shared over the towns and townships (weight 1) and
#      areas (weight 0.5), none in streets; the census rural population ({rural:,}) lives in the villages,
#      shared over their units in proportion to the unit's population (so the rows keep the census urban
#      and rural totals); communities are shared over all units in proportion to their non-village
#      population, at least one each (Dongcheng's 177 as its file gives them).
#   4. Neighbourhood types (assumption): streets of Xicheng 1/2 old_town, 1/2 commercial_housing; streets
#      of Chaoyang, Fengtai, Shijingshan and Haidian 1/4 old_town (work-unit housing), 3/4
#      commercial_housing; streets of the outer districts 3/4 commercial_housing, 1/4 resettlement;
#      communities of areas, towns and townships 1/2 commercial_housing, 1/2 resettlement; villages in
#      Chaoyang, Fengtai, Shijingshan and Haidian urban_village (城中村), elsewhere rural_village.
#   5. Within a row, residents are split equally over its communities (largest remainder).
#   Migrant shares, staff, grids, households and property-firm shares are not given per unit (the
#   model's defaults and the scenario's migrant share apply).
#
"""


def main(argv: list[str]) -> int:
    """Write the file, or with ``--check`` report whether it is up to date."""
    text = render()
    if "--check" in argv:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.relative_to(ROOT)} is {'up to date' if same else 'stale'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {text.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
