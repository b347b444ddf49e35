"""Amounts of money, once for every app: how they are stored, in which unit a page shows them,
how they are formatted and how a typed figure is read back.

Every amount is stored in yuan (元) with two decimals (`MoneyField` / `YUAN_FIELD`); pages read
and type them in the unit a reader thinks in: 万元 (10,000 yuan) on lists, forms and reports,
亿元 (100 million yuan) on the cockpit. Forms take the unit the page shows (`MoneyFormField`)
and hand the service yuan, so no view, serializer or template multiplies by 10,000 by hand.
The REST API is the exception on purpose: it reads and writes yuan, as strings with two
decimals, so that other systems never guess a unit.

Figures shown are rounded half up (四舍五入), as a finance office rounds; stored and typed
amounts are never rounded by more than to the fen.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import Enum

from django import forms
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
# Stored precision: up to 99,999,999,999,999.99 yuan, more than any project of the group.
YUAN_FIELD = {"max_digits": 16, "decimal_places": 2}
NOT_NEGATIVE = [MinValueValidator(Decimal("0"), message=_("Amounts cannot be negative."))]


class Unit(Decimal, Enum):
    """A unit an amount is shown or typed in; the value is yuan per unit."""

    YUAN = Decimal(1)
    WAN = Decimal(10_000)
    YI = Decimal(100_000_000)

    @property
    def label(self) -> str:
        return {Unit.YUAN: _("yuan"), Unit.WAN: _("10k yuan"), Unit.YI: _("100m yuan")}[self]

    @property
    def decimals(self) -> int:
        """Decimals a typed figure may carry so that it is still whole fen."""
        return {Unit.YUAN: 2, Unit.WAN: 6, Unit.YI: 10}[self]


def _decimal(value: Decimal | int | float | str) -> Decimal:
    # A float goes through its shortest text: Decimal(0.1) would be 0.1000000000000000055...
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def to_unit(yuan: Decimal | int | float | str | None, unit: Unit = Unit.WAN) -> Decimal | None:
    """Yuan expressed in `unit` (exact; round only for display)."""
    if yuan is None or yuan == "":
        return None
    return _decimal(yuan) / unit.value


def from_unit(amount: Decimal | int | str | None, unit: Unit = Unit.WAN) -> Decimal | None:
    """An amount typed in `unit`, in yuan rounded to the fen."""
    if amount is None or amount == "":
        return None
    return (_decimal(amount) * unit.value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(yuan: Decimal | int | float | str) -> int:
    """Yuan as whole fen (an int): how sums that must stay exact are carried (rollup measures,
    JSON)."""
    return int(_decimal(yuan).quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def from_fen(fen: int | str) -> Decimal:
    """Whole fen back in yuan, with two decimals."""
    return (Decimal(int(fen)) / 100).quantize(CENT)


def rounded(yuan, unit: Unit = Unit.WAN, digits: int = 2) -> Decimal | None:
    """Yuan in `unit`, rounded half up to `digits` decimals, for a figure shown or exported
    (charts, spreadsheets of summaries); None for none."""
    value = to_unit(yuan, unit)
    if value is None or not value.is_finite():
        return None
    with localcontext() as context:  # room for any finite figure (1e30 yuan included)
        context.prec = max(28, value.adjusted() + digits + 2)
        value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return value if value else abs(value)  # no "-0.00" for a tiny negative


def format_amount(yuan, unit: Unit = Unit.WAN, digits: int = 2, empty: str = "—") -> str:
    """Yuan shown in `unit`, grouped, with `digits` decimals rounded half up ("1,234.56");
    `empty` for none."""
    value = rounded(yuan, unit, digits)
    return empty if value is None else f"{value:,.{digits}f}"


def form_value(yuan, unit: Unit = Unit.WAN) -> str:
    """Yuan as a form field shows it in `unit`: exact, no grouping, no trailing zeros
    ("13.8268"), so that saving the form unchanged gives back the same yuan."""
    value = to_unit(yuan, unit)
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_number(text: str | Decimal | int | None, *, percent: bool = False) -> Decimal | None:
    """A typed figure ("1,234.5", "１２３", " 12 ", with `percent` also "12%") as the exact
    Decimal it reads, None for blank. Raises ValueError for anything that is not a finite
    number of sensible size (no NaN, no Infinity, no 1e999999). The one reader of typed
    figures: forms and Excel cells alike."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(text)
    if isinstance(text, Decimal | int):
        if not Decimal(text).is_finite():
            raise ValueError(text)
        return Decimal(text)
    cleaned = clean_number_text(str(text))
    if percent:
        cleaned = cleaned.removesuffix("%")
    if not cleaned:
        return None
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(text)
    return Decimal(cleaned)


def parse_amount(text: str | Decimal | int | None, unit: Unit = Unit.WAN) -> Decimal | None:
    """A figure typed in `unit` ("1,234.5", "１２３", " 12 ") in yuan, or None for blank.
    Raises ValueError for anything that is not a number."""
    value = parse_number(text)
    if value is None:
        return None
    try:
        return from_unit(value, unit)
    except ArithmeticError as exc:  # too large for any amount
        raise ValueError(text) from exc


def clean_number_text(text: str) -> str:
    """A typed figure without grouping, spaces or full-width characters."""
    text = text.translate(_FULL_WIDTH).strip()
    return text.replace(",", "").replace(" ", "")


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋％　", "0123456789.,-+% ")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?")


class MoneyField(models.DecimalField):
    """An amount in yuan with the portal's precision (a DecimalField; migrations see one)."""

    def __init__(self, *args, **kwargs):
        for key, value in YUAN_FIELD.items():
            kwargs.setdefault(key, value)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # Recorded as a plain DecimalField, so that migrations do not depend on this module.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


class MoneyFormField(forms.DecimalField):
    """A form field that shows and takes an amount in `unit` and cleans to yuan.

    The label should name the unit (e.g. "total investment (10k yuan)"); initial values are
    yuan, shown in the unit without losing a fen. A plain text box (not type="number"), so that
    "1,234.5" and full-width digits typed by a person reach the server, which reads them."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *, unit: Unit = Unit.WAN, min_value: Decimal | None = Decimal(0),
                 **kwargs):  # fmt: skip
        self.unit = unit
        whole_digits = YUAN_FIELD["max_digits"] - YUAN_FIELD["decimal_places"]
        # Digits before the point shrink as the unit grows: 10^14 yuan is 10^10 万元.
        shift = len(str(int(unit.value))) - 1
        kwargs.setdefault("max_digits", max(whole_digits - shift, 1) + unit.decimals)
        kwargs.setdefault("decimal_places", unit.decimals)
        if min_value is not None:
            kwargs.setdefault("min_value", min_value)
        super().__init__(**kwargs)
        if min_value is not None and min_value == 0:
            # The model's wording, so that the form and the service say the same.
            self.error_messages.setdefault("min_value", NOT_NEGATIVE[0].message)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return form_value(value, self.unit)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = clean_number_text(value)
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else from_unit(amount, self.unit)

    def has_changed(self, initial, data) -> bool:
        """Compared in yuan to the fen: the form saved unchanged changes nothing."""
        if self.disabled:
            return False
        try:
            typed = self.clean(data)
        except forms.ValidationError:
            return True
        if initial is None or initial == "":
            return typed is not None
        return typed != _decimal(initial)
