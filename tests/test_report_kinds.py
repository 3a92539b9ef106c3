"""What a report kind needs besides its definition in loaders/schema.py (README「新增一类报表」): each test
here fails for a kind added to the schema until that part exists."""

from __future__ import annotations

import pytest

from dashboard import intake, templates
from loaders.schema import KIND_LABELS, KINDS, MENU_ORDER
from loaders.validate import kind_module

CONTRACT = ("resolve_scope", "to_record", "check_all", "DUP_COLUMN", "ROW_NOUN")


def test_every_kind_is_offered_once_under_its_schema_name():
    assert sorted(MENU_ORDER) == sorted(KINDS)
    assert KIND_LABELS == {"village_monthly": "村级指标月报", "demo_sites": "示范点台账", "measure_progress": "措施推进月报",
                           "county_brands": "县级特色品牌", "roster": "村级名录"}
    assert list(KIND_LABELS) == list(MENU_ORDER)
    assert all(KINDS[key].name == label for key, label in KIND_LABELS.items())


@pytest.mark.parametrize("key", KINDS)
def test_every_kind_has_its_loader_module(key):
    module = kind_module(KINDS[key])
    assert module.__name__ == f"loaders.{key}"
    assert [name for name in CONTRACT if not hasattr(module, name)] == []


def test_every_kind_but_the_roster_has_a_table_to_be_stored_in():
    assert set(intake.FACT_TABLE) == set(KINDS) - {"roster"}  # a roster updates the regions instead


@pytest.mark.parametrize("key", KINDS)
def test_every_kind_has_a_prefilled_template(demo_store, key):
    data, name, rows = templates.template_file(demo_store, key, "2025-12", None)
    assert data.startswith(b"PK") and name == f"{KIND_LABELS[key]}_2025-12.xlsx" and rows > 0
