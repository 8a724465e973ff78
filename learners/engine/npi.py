"""NPI check digits: Luhn over the number prefixed with 80840 (the NPI's issuer prefix)."""

from __future__ import annotations


def _luhn_sum(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def npi_check_digit(first_nine: str) -> str:
    return str((10 - _luhn_sum("80840" + first_nine) % 10) % 10)


def make_npi(first_nine: str) -> str:
    return first_nine + npi_check_digit(first_nine)


def is_valid_npi(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and npi_check_digit(value[:9]) == value[9]
