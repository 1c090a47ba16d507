"""One password policy for sign-up, invitations and resets: long enough and not guessable, said in words."""

from __future__ import annotations

import pytest

from tenants.passwords import password_problem
from tests.fixtures.accounts import SIGNUP as GOOD
from tests.fixtures.accounts import invite, post_signup


@pytest.mark.parametrize(
    "password",
    [
        "۱۲۳۴۵۶۷۸۹۰",  # a sequence in Persian digits is the same sequence
        "٠١٢٣٤٥٦٧٨٩",
        "1234567890",
        "password123",
        "qwertyuiop",
        "aaaaaaaaaaaa",
    ],
)
def test_guessable_passwords_are_refused(password):
    assert password_problem(password, "reza.karimi@example.com", "Reza Karimi") is not None


def test_a_password_built_on_the_person_or_organization_is_refused_with_that_reason():
    problem = password_problem("parssupply2026", "owner@pars.example.com", "Reza Karimi", "Pars Supply")
    assert problem is not None
    assert "name" in str(problem)


@pytest.mark.parametrize("password", ["Reza-Karimi-2026", "correct horse battery staple", "گذرواژهٔ من خوب است"])
def test_good_passwords_are_taken(password):
    assert password_problem(password, "reza.karimi@example.com", "Reza Karimi") is None


def test_a_short_password_is_told_what_to_do():
    assert "at least 10 characters" in str(password_problem("a-b-c", "x@example.com"))


def test_sign_up_refuses_persian_digit_sequences_like_any_other(client):
    response = post_signup(client, GOOD | {"password": "۱۲۳۴۵۶۷۸۹۰", "password_again": "۱۲۳۴۵۶۷۸۹۰"})
    assert response.status_code == 422
    assert "easy to guess" in response.get_data(as_text=True)


def test_sign_up_shows_every_refusal_at_once_and_each_once(app, client, make_tenant):
    taken = make_tenant().tenant.slug
    response = post_signup(
        client,
        GOOD | {"slug": taken, "owner_email": "nope", "password": "1234567890", "password_again": "1234567890"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.count("already taken") == 1
    assert body.count("easy to guess") == 1
    assert body.count("Invalid email") == 1


def test_an_invitation_takes_the_password_sign_up_takes(app, client, make_tenant, login_as):
    made = make_tenant()
    link = invite(app, client, made, login_as, email="reza.karimi@example.com")
    response = app.test_client().post(
        link, data={"name": "Reza Karimi", "password": "Reza-Karimi-2026", "password_again": "Reza-Karimi-2026"}
    )
    assert response.status_code == 303


def test_an_invitation_judges_the_password_with_the_other_fields_at_once(app, client, make_tenant, login_as):
    made = make_tenant()
    link = invite(app, client, made, login_as, email="nima@example.com")
    response = app.test_client().post(link, data={"name": "", "password": "1234567890", "password_again": "123"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.count("easy to guess") == 1
    assert body.count("The two passwords differ.") == 1
    assert body.count("This field is required.") == 1
