"""Amounts, once for every app: units, formatting, parsing, and the form field that takes 万元
and hands the service yuan without losing a fen."""

from decimal import Decimal

import pytest
from django import forms
from django.db import models
from django.utils import translation

from portal.money import (
    NOT_NEGATIVE,
    YUAN_FIELD,
    MoneyField,
    MoneyFormField,
    Unit,
    form_value,
    format_amount,
    from_fen,
    from_unit,
    parse_amount,
    rounded,
    to_fen,
    to_unit,
)

# --- conversions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "unit", "expected"),
    [
        ("12345678.00", Unit.WAN, "1234.5678"),
        ("12345678.91", Unit.WAN, "1234.567891"),
        ("0.01", Unit.WAN, "0.000001"),
        ("130000000", Unit.YI, "1.3"),
        ("0.01", Unit.YI, "0.0000000001"),
        ("99999999999999.99", Unit.WAN, "9999999999.999999"),
        ("5.25", Unit.YUAN, "5.25"),
    ],
)
def test_it_converts_exactly_to_the_fen_and_back(yuan, unit, expected):
    assert to_unit(Decimal(yuan), unit) == Decimal(expected)
    assert from_unit(Decimal(expected), unit) == Decimal(yuan)


def test_it_rounds_a_typed_figure_to_the_fen_half_up():
    assert from_unit("1.0000005", Unit.WAN) == Decimal("10000.01")
    assert from_unit("1.0000004", Unit.WAN) == Decimal("10000.00")


def test_a_float_is_read_by_its_text_not_its_binary_value():
    assert to_unit(0.1, Unit.YUAN) == Decimal("0.1")
    assert from_unit(0.1, Unit.WAN) == Decimal("1000.00")


def test_none_and_blank_are_no_amount():
    assert to_unit(None) is None and to_unit("") is None
    assert from_unit(None) is None and from_unit("") is None
    assert to_unit(Decimal(0)) == 0  # zero is an amount


def test_fen_carry_sums_exactly():
    assert to_fen(Decimal("12345678.91")) == 1_234_567_891
    assert to_fen("0.005") == 1  # half up
    assert from_fen(1_234_567_891) == Decimal("12345678.91")
    assert sum(to_fen(x) for x in ("0.10", "0.20")) == to_fen("0.30")


def test_the_units_are_defined_once():
    assert Unit.WAN.value == Decimal(10_000)
    assert Unit.YI.value == Decimal(100_000_000)
    with translation.override("zh-hans"):
        assert str(Unit.WAN.label) == "万元"
        assert str(Unit.YI.label) == "亿元"


# --- formatting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "unit", "expected"),
    [
        (Decimal("12345678.00"), Unit.WAN, "1,234.57"),
        (Decimal("90300000.25"), Unit.YI, "0.90"),
        (Decimal("1250"), Unit.WAN, "0.13"),  # half up (四舍五入), not to even
        (Decimal("-0.01"), Unit.WAN, "0.00"),  # no "-0.00"
        (Decimal("1234567890123.45"), Unit.WAN, "123,456,789.01"),
        (None, Unit.WAN, "—"),
        ("", Unit.YI, "—"),
    ],
)
def test_it_formats_in_the_unit_of_the_page(yuan, unit, expected):
    assert format_amount(yuan, unit) == expected


def test_rounded_is_the_figure_a_chart_or_summary_sheet_gets():
    assert rounded(Decimal("54300000"), Unit.WAN) == Decimal("5430.00")
    assert rounded(Decimal("678750"), Unit.WAN) == Decimal("67.88")
    assert rounded(None) is None


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (Decimal("12345678.00"), "1234.5678"),
        (Decimal("12345678.91"), "1234.567891"),
        (Decimal("100000000.00"), "10000"),
        (Decimal("0.00"), "0"),
        (Decimal("0.01"), "0.000001"),
        (None, ""),
    ],
)
def test_a_form_shows_an_amount_exactly_without_grouping(yuan, shown):
    assert form_value(yuan, Unit.WAN) == shown


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("1,234.5", Decimal("12345000.00")),
        (" 12 ", Decimal("120000.00")),
        ("１２３４．５", Decimal("12345000.00")),  # full-width digits and point
        ("１，２３４", Decimal("12340000.00")),  # full-width comma
        ("－３", Decimal("-30000.00")),  # parsing is not validation: the form refuses negatives
        ("0.000001", Decimal("0.01")),
        (Decimal("1.5"), Decimal("15000.00")),
        (2, Decimal("20000.00")),
    ],
)
def test_it_parses_what_people_type(text, yuan):
    assert parse_amount(text, Unit.WAN) == yuan


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000"])
def test_blank_is_no_amount(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "text",
    ["abc", "12元", "1.2.3", "--1", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf",
     Decimal("NaN"), Decimal("Infinity"), "1e999999", True],
)  # fmt: skip
def test_garbage_and_non_finite_numbers_raise_value_error(text):
    with pytest.raises(ValueError):
        parse_amount(text, Unit.WAN)


# --- the model field -----------------------------------------------------------------------------


def test_the_model_field_is_a_plain_decimal_field_for_migrations():
    field = MoneyField("amount", validators=NOT_NEGATIVE)
    _name, path, _args, kwargs = field.deconstruct()
    assert path == "django.db.models.DecimalField"
    assert (kwargs["max_digits"], kwargs["decimal_places"]) == (16, 2) == tuple(YUAN_FIELD.values())
    assert isinstance(field, models.DecimalField)


# --- the form field ------------------------------------------------------------------------------


class AmountForm(forms.Form):
    amount = MoneyFormField(unit=Unit.WAN, label="amount (10k yuan)")
    optional = MoneyFormField(unit=Unit.WAN, required=False)


@pytest.mark.parametrize(
    "yuan",
    [Decimal("12345678.00"), Decimal("12345678.91"), Decimal("0.01"), Decimal("0.00"),
     Decimal("99999999999999.99"), Decimal("100000000.00")],
)  # fmt: skip
def test_the_form_field_round_trips_without_losing_a_fen(yuan):
    shown = AmountForm(initial={"amount": yuan})["amount"].value()  # what the page shows
    form = AmountForm(data={"amount": shown}, initial={"amount": yuan})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == yuan
    assert not form.has_changed()


def test_the_form_shows_the_initial_yuan_in_the_unit():
    html = str(AmountForm(initial={"amount": Decimal("12345678.00")})["amount"])
    assert 'value="1234.5678"' in html
    assert 'inputmode="decimal"' in html and 'type="text"' in html


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [("1,234.5678", Decimal("12345678.00")), ("１２３４．５６７８", Decimal("12345678.00")),
     (" 8500 ", Decimal("85000000.00"))],
)  # fmt: skip
def test_the_form_field_cleans_to_yuan(typed, yuan):
    form = AmountForm(data={"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == yuan
    assert form.cleaned_data["optional"] is None


def test_the_form_field_refuses_a_negative_with_the_message():
    with translation.override("en"):
        form = AmountForm(data={"amount": "-1"})
        assert form.errors["amount"] == ["Amounts cannot be negative."]
    with translation.override("zh-hans"):
        assert AmountForm(data={"amount": "-0.000001"}).errors["amount"] == ["金额不能为负数。"]


def test_another_minimum_keeps_django_s_message():
    field = MoneyFormField(min_value=Decimal(5))
    with translation.override("en"):
        with pytest.raises(forms.ValidationError) as refused:
            field.clean("1")
        assert "greater than or equal to 5" in str(refused.value)


@pytest.mark.parametrize("typed", ["abc", "NaN", "Infinity", "1.0000001", "10000000000"])
def test_the_form_field_refuses_what_is_not_an_amount(typed):
    form = AmountForm(data={"amount": typed})
    assert not form.is_valid()
    assert "amount" in form.errors


def test_a_change_of_one_fen_is_a_change():
    field = AmountForm.base_fields["amount"]
    assert field.has_changed(Decimal("12345678.00"), "1234.567801")
    assert not field.has_changed(Decimal("12345678.00"), "1,234.5678")
    assert field.has_changed(None, "1")
    assert not AmountForm.base_fields["optional"].has_changed(None, "")
    assert field.has_changed(Decimal("1"), "garbage")
