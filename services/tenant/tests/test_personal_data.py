import pytest

from tenant_service.domain.personal_data import mask_name, mask_phone, normalize_email, normalize_phone
from xinyi_shared.errors import InvalidInput


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("02812345678", "028****5678"),
        ("075512345678", "075****5678"),
        ("12345678", "123****5678"),
        ("1234567", "****"),
        ("123", "****"),
        ("", ""),
    ],
)
def test_phones_keep_only_the_first_three_and_last_four(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("Li Wei", "L*****"),
        (" 张三 ", "张*"),
        ("张", "*"),
        ("", ""),
    ],
)
def test_names_keep_only_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13812341234", "13812341234"),
        (" 138 1234 1234 ", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("+8613812341234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("0086 13812341234", "13812341234"),
        ("１３８１２３４１２３４", "13812341234"),  # full-width digits from a Chinese input method
        ("19912341234", "19912341234"),
        ("028-12345678", "02812345678"),
        ("(028) 12345678", "02812345678"),
        ("0755-1234567", "07551234567"),
        ("82345678", "82345678"),
        ("2345678", "2345678"),
    ],
)
def test_plausible_phones_are_normalised(raw: str, phone: str) -> None:
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "12812341234",  # no mainland mobile starts with 12
        "1381234123",  # 10 digits
        "138123412345",  # 12 digits starting like a mobile
        "861381234123",
        "+86 028 12345678",  # +86 is only stripped from mobiles
        "+1 415 555 0100",
        "13812341234/13912341234",
        "138 1234 1234 ext 5",
        "0123",
        "02812",
        "12345678",  # a local number does not start with 1
        "phone",
    ],
)
def test_implausible_phones_are_refused_without_repeating_them(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_phone(raw)
    assert refused.value.reason == "phone number is not valid: give one mainland mobile or landline number"


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("zhang.san@example.com", "zhang.san@example.com"),
        (" Zhang.San@Example.COM ", "zhang.san@example.com"),
        ("li+wuye@mail.jinhe-lvzhou.cn", "li+wuye@mail.jinhe-lvzhou.cn"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, email: str) -> None:
    assert normalize_email(raw) == email


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "zhangsan",
        "zhangsan@example",
        "@example.com",
        "zhang san@example.com",
        "zhang@@example.com",
        "zhang@example..com",
        ".zhang@example.com",
        "zhang.@example.com",
        "zhang@-example.com",
        "zhang@example.com.",
        "a" * 65 + "@example.com",
        "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 63 + ".com",
    ],
)
def test_malformed_emails_are_refused_without_repeating_them(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_email(raw)
    assert refused.value.reason == "email address is not valid"
