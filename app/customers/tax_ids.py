"""Tax ids as Stripe takes them: its list of types, and the value shapes it checks.

Tax ids travel to Stripe in a job after the API has answered, so a value Stripe would
refuse (``tax_id_invalid``) or a type it does not know must be refused here, up front,
or the client is told success and the sync fails later. Stripe checks only the shape of
a value synchronously (registry verification comes later, asynchronously), and only
for some types; a type without a rule below takes any value.

``TAX_ID_TYPES`` is Stripe's own list, spelled out so that this domain does not import
the billing provider's SDK; a test keeps it equal to the stripe package's
``CustomerCreateParamsTaxIdDatum`` type literal. Sources for the shapes:
https://docs.stripe.com/billing/customer/tax-ids (the examples per type).
"""

from __future__ import annotations

import re
from typing import Final

TAX_ID_TYPES: Final = frozenset(
    [
        "ad_nrt",
        "ae_trn",
        "al_tin",
        "am_tin",
        "ao_tin",
        "ar_cuit",
        "au_abn",
        "au_acn",
        "au_arn",
        "au_wpn",
        "aw_tin",
        "az_tin",
        "ba_tin",
        "bb_tin",
        "bd_bin",
        "bf_ifu",
        "bg_uic",
        "bh_vat",
        "bj_ifu",
        "bo_tin",
        "br_cnpj",
        "br_cpf",
        "bs_tin",
        "bw_vat",
        "by_tin",
        "ca_bn",
        "ca_gst_hst",
        "ca_pst_bc",
        "ca_pst_mb",
        "ca_pst_sk",
        "ca_qst",
        "cd_nif",
        "ch_uid",
        "ch_vat",
        "ci_vat",
        "cl_tin",
        "cm_niu",
        "cn_tin",
        "co_nit",
        "cr_tin",
        "cv_nif",
        "cz_dic",
        "de_stn",
        "do_rcn",
        "ec_ruc",
        "eg_tin",
        "es_cif",
        "et_tin",
        "eu_oss_vat",
        "eu_vat",
        "fo_vat",
        "fr_siren",
        "fr_siret",
        "fr_spi",
        "gb_vat",
        "ge_vat",
        "gh_tin",
        "gi_tin",
        "gn_nif",
        "hk_br",
        "hr_oib",
        "hu_tin",
        "ic_nif",
        "id_npwp",
        "il_vat",
        "in_gst",
        "is_kt",
        "is_vat",
        "it_cf",
        "jp_cn",
        "jp_rn",
        "jp_trn",
        "ke_pin",
        "kg_tin",
        "kh_tin",
        "kr_brn",
        "kz_bin",
        "la_tin",
        "li_uid",
        "li_vat",
        "lk_vat",
        "ma_vat",
        "md_cf",
        "md_vat",
        "me_pib",
        "mk_vat",
        "mr_nif",
        "mu_vat",
        "mx_rfc",
        "my_frp",
        "my_itn",
        "my_sst",
        "mz_nuit",
        "ng_tin",
        "no_vat",
        "no_voec",
        "np_pan",
        "nz_bn",
        "nz_gst",
        "om_vat",
        "pe_ruc",
        "ph_tin",
        "pl_nip",
        "pt_nif",
        "py_ruc",
        "ro_tin",
        "rs_pib",
        "ru_inn",
        "ru_kpp",
        "sa_vat",
        "sg_gst",
        "sg_uen",
        "si_tin",
        "sm_coe",
        "sn_ninea",
        "sr_fin",
        "sv_nit",
        "th_vat",
        "tj_tin",
        "tr_tin",
        "tt_bir",
        "tt_vat",
        "tw_vat",
        "tz_vat",
        "ua_vat",
        "ug_tin",
        "us_ein",
        "uy_ruc",
        "uz_tin",
        "uz_vat",
        "ve_rif",
        "vn_tin",
        "za_vat",
        "zm_tin",
        "zw_tin",
    ]
)

# The national part of an EU VAT number after its two-letter prefix (EL for Greece, XI
# for Northern Ireland), with an example each for the error message.
_EU_VAT: Final = {
    "AT": (r"U\d{8}", "ATU12345678"),
    "BE": (r"[01]\d{9}", "BE0123456789"),
    "BG": (r"\d{9,10}", "BG0123456789"),
    "CY": (r"\d{8}[A-Z]", "CY12345678Z"),
    "CZ": (r"\d{8,10}", "CZ1234567890"),
    "DE": (r"\d{9}", "DE123456789"),
    "DK": (r"\d{8}", "DK12345678"),
    "EE": (r"\d{9}", "EE123456789"),
    "EL": (r"\d{9}", "EL123456789"),
    "ES": (r"[A-Z0-9]\d{7}[A-Z0-9]", "ESA1234567Z"),
    "FI": (r"\d{8}", "FI12345678"),
    "FR": (r"[A-HJ-NP-Z0-9]{2}\d{9}", "FRAB123456789"),
    "HR": (r"\d{11}", "HR12345678912"),
    "HU": (r"\d{8}", "HU12345678"),
    "IE": (r"\d[A-Z0-9+*]\d{5}[A-Z]{1,2}", "IE1234567AB"),
    "IT": (r"\d{11}", "IT12345678912"),
    "LT": (r"\d{9}|\d{12}", "LT123456789123"),
    "LU": (r"\d{8}", "LU12345678"),
    "LV": (r"\d{11}", "LV12345678912"),
    "MT": (r"\d{8}", "MT12345678"),
    "NL": (r"\d{9}B\d{2}", "NL123456789B12"),
    "PL": (r"\d{10}", "PL1234567890"),
    "PT": (r"\d{9}", "PT123456789"),
    "RO": (r"\d{2,10}", "RO1234567891"),
    "SE": (r"\d{12}", "SE123456789123"),
    "SI": (r"\d{8}", "SI12345678"),
    "SK": (r"\d{10}", "SK1234567891"),
    "XI": (r"\d{9}|\d{12}|GD\d{3}|HA\d{3}", "XI123456789"),
}

# type -> (shape, an example Stripe gives).
_SHAPES: Final = {
    "gb_vat": (r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})", "GB123456789"),
    "us_ein": (r"\d{2}-?\d{7}", "12-3456789"),
    "au_abn": (r"\d{11}", "12345678912"),
    "au_arn": (r"\d{12}", "123456789123"),
    "ca_bn": (r"\d{9}", "123456789"),
    "ch_vat": (r"CHE-?\d{3}\.?\d{3}\.?\d{3}(?:MWST|TVA|IVA)", "CHE-123.456.789 MWST"),
    "no_vat": (r"\d{9}MVA", "123456789MVA"),
    "in_gst": (r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]", "12ABCDE3456FGZH"),
    "nz_gst": (r"\d{8,9}", "123456789"),
}

_PATTERNS: Final = {
    kind: re.compile(f"^(?:{shape})$") for kind, (shape, _example) in _SHAPES.items()
} | {"eu_vat": re.compile(f"^(?:{'|'.join(f'{cc}(?:{s})' for cc, (s, _) in _EU_VAT.items())})$")}
_EU_VAT_PREFIX: Final = re.compile(r"^[A-Z]{2}")


def _normalised(value: str) -> str:
    # Stripe ignores spaces and case when it checks the shape.
    return re.sub(r"\s", "", value).upper()


def _example(kind: str, value: str) -> str:
    if kind != "eu_vat":
        return _SHAPES[kind][1]
    prefix = _EU_VAT_PREFIX.match(value)
    country = prefix.group(0) if prefix else ""
    if country in _EU_VAT:
        return _EU_VAT[country][1]
    return "a country prefix (DE, FR, EL, XI, ...) and its national number, e.g. DE123456789"


def type_problem(kind: str) -> str | None:
    """Why Stripe would refuse this tax id type, or None."""
    if kind in TAX_ID_TYPES:
        return None
    return f"{kind!r} is not a tax id type Stripe knows (e.g. eu_vat, gb_vat, us_ein)"


def value_problem(kind: str, value: str) -> str | None:
    """Why Stripe would refuse this value for a tax id of type ``kind``, or None."""
    pattern = _PATTERNS.get(kind)
    normalised = _normalised(value)
    if pattern is None or pattern.match(normalised):
        return None
    return f"is not a valid {kind} number (expected e.g. {_example(kind, normalised)})"
