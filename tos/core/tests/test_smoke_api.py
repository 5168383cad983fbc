import pytest

pytestmark = pytest.mark.django_db


def test_the_api_refuses_anonymous_callers_with_the_error_shape(anon_client):
    response = anon_client.get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "details": {},
    }
