"""The staff console shows the tenant's "affects my shop's business" (console/flags.js):
a badge on the queue row and on the case page, and the classify form's cause starts at
business_affected. Real headless Chromium against the real local stack."""
from __future__ import annotations

import pytest

from tests.browser.test_console import console_page, open_action, sign_in, token
from tests.e2e.test_devstack import launch


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("flags-stack"))


@pytest.fixture
def page(browser, stack):
    yield from console_page(browser, stack)


def test_a_business_affected_case_is_badged_and_classified_business_affected(page, stack):
    status, case, _ = stack.call("POST", "/v1/properties/P1/cases", token(stack, "TENANT"),
                                 {"unit": "3栋1201", "content": "门口空调外机漏水，影响营业", "category": "air_conditioning",
                                  "business_affected": True})
    assert status == 201, case
    case_id = case["case_id"]
    sign_in(page, stack, "DESK", "front_desk")
    row = page.wait_for_selector(f"#queue-rows tr[data-case-id='{case_id}']")
    assert "Affects business" in row.text_content()
    page.click(f"#queue-rows tr[data-case-id='{case_id}'] a")
    page.wait_for_selector("#business-affected")
    open_action(page, "classify")
    assert page.input_value("#classify-cause") == "business_affected"
    page.select_option("#classify-kind", "complaint")
    page.click("#submit-classify")
    page.wait_for_selector("#notice")
    assert page.text_content("[data-field=cause]") == "Business affected"
