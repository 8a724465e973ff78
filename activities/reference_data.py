"""Reference data activities are judged against, loaded by migration: specialties, the practice
areas some boards ask MOC registrations for, and ISO 3166 country codes.

Data, not code: a new specialty or practice area is a row (admin or migration), not a branch.
"""

from __future__ import annotations

from typing import Any

SPECIALTIES: tuple[str, ...] = (
    "Addiction Medicine", "Allergy and Immunology", "Anesthesiology", "Cardiology",
    "Critical Care Medicine", "Dermatology", "Emergency Medicine", "Endocrinology",
    "Family Medicine", "Gastroenterology", "General Surgery", "Geriatric Medicine", "Hematology",
    "Hospice and Palliative Medicine", "Infectious Disease", "Internal Medicine",
    "Medical Genetics", "Multispecialty", "Nephrology", "Neurological Surgery", "Neurology",
    "Nuclear Medicine", "Obstetrics and Gynecology", "Oncology", "Ophthalmology",
    "Orthopaedic Surgery", "Otolaryngology", "Pain Medicine", "Pathology", "Pediatrics",
    "Physical Medicine and Rehabilitation", "Plastic Surgery", "Preventive Medicine", "Psychiatry",
    "Pulmonary Disease", "Radiation Oncology", "Radiology", "Rheumatology", "Sleep Medicine",
    "Sports Medicine", "Thoracic Surgery", "Urology", "Vascular Surgery", "Other",
)  # fmt: skip

# Boards that ask an MOC registration to name one practice area (codes 490/491); seed data.
PRACTICE_AREAS: dict[str, tuple[str, ...]] = {
    "ABPath": (
        "Anatomic Pathology", "Blood Banking/Transfusion Medicine", "Chemical Pathology",
        "Clinical Pathology", "Cytopathology", "Dermatopathology", "Forensic Pathology",
        "Hematopathology", "Medical Microbiology", "Molecular Genetic Pathology",
        "Neuropathology", "Pediatric Pathology",
    ),
    "ABS": (
        "Complex General Surgical Oncology", "General Surgery", "Hand Surgery",
        "Hospice and Palliative Medicine", "Pediatric Surgery", "Surgical Critical Care",
        "Vascular Surgery",
    ),
}  # fmt: skip

# ISO 3166-1 alpha-3: Template D's country column, and the location of courses and series.
COUNTRIES: frozenset[str] = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD
    BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR
    COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH
    ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL
    GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR
    JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR
    MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL
    NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY
    PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP
    SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA
    UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
    """.split()  # noqa: SIM905 - a table of codes reads best as one block
)
UNITED_STATES = "USA"


def load_activity_reference_data(
    specialty_model: Any, practice_area_model: Any, board_model: Any
) -> None:
    """Create what is missing; safe to run again (used by the migration and by tests)."""
    for name in SPECIALTIES:
        specialty_model.objects.get_or_create(name=name)
    for code, names in PRACTICE_AREAS.items():
        board = board_model.objects.filter(code=code).first()
        if board is None:
            continue
        for name in names:
            practice_area_model.objects.get_or_create(board=board, name=name)
