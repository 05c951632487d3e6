import pytest
from tests.factories import make_region, make_member, make_user, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

def test_explore(page, live_url, log_in, context):
    for url in ["/account/signup/", "/account/login/"]:
        page.goto(url)
        print("=====", url, page.title())
        print(page.locator("main").aria_snapshot())
    u = make_user()
    log_in(context, u)
    page.goto("/account/2fa/totp/activate/")
    print(page.url, page.locator("main").aria_snapshot())
    print(page.locator("main").inner_html())
