"""How basic information is shown: text for people, JSON with stable keys, and the vendors' `iReadCardBas` line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apdu.records import BasicInfo


def to_json(info: BasicInfo, today: dt.date) -> dict[str, Any]:
    return {
        "card_number": info.card_number,
        "ssn": info.ssn,
        "name": info.name,
        "sex": info.sex,
        "sex_text": info.sex_text,
        "nation": info.nation,
        "birth_date": info.birth_date,
        "birthplace": info.birthplace,
        "region": info.region,
        "card_type": info.category,
        "card_type_text": info.category_text,
        "spec_version": info.spec_version,
        "issue_date": info.issue_date,
        "expiry_date": info.expiry_date,
        "expired": info.is_expired(today),
        "card_id": info.card_id,
        "init_org": info.init_org,
        "atr": info.atr,
        "anomalies": list(info.anomalies),
    }


def to_text(info: BasicInfo, today: dt.date) -> str:
    rows = [
        ("Card number 卡号", info.card_number),
        ("Social security number 社会保障号码", info.ssn),
        ("Name 姓名", info.name),
        ("Sex 性别", f"{info.sex} ({info.sex_text})"),
        ("Ethnic group 民族", info.nation),
        ("Birth date 出生日期", info.birth_date),
        ("Birthplace 出生地", info.birthplace),
        ("Issuing region 发卡地区", info.region),
        ("Card type 卡的类别", f"{info.category} ({info.category_text})"),
        ("Spec version 规范版本", info.spec_version),
        ("Issue date 发卡日期", info.issue_date),
        ("Expiry date 卡有效期", info.expiry_date),
        ("Card identification 卡识别码", info.card_id),
        ("ATR 卡复位信息", info.atr),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {value}" for label, value in rows]
    if info.is_expired(today):
        lines.append(f"EXPIRED on {info.expiry_date}: expired, replace the card (卡已过期，请换卡)")
    for problem in info.anomalies:
        lines.append(f"warning: value not as the spec defines: {problem}")
    return "\n".join(lines)


def to_bas(info: BasicInfo, terminal_number: str = "", device_number: str = "") -> str:
    """The `iReadCardBas` output of the vendors' reader interface (spec §7), `|`-separated."""
    fields = [
        info.region,
        info.ssn,
        info.card_number,
        info.card_id,
        info.name,
        info.historical_bytes,
        info.spec_version,
        info.issue_date,
        info.expiry_date,
        terminal_number,
        device_number,
    ]
    return "".join(f"{value}|" for value in fields)
