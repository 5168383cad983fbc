"""Shared pytest fixtures: a terminal with two lines, their agents and a user per role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tos.core.choices import Role
from tos.core.tests.factories import (
    AgentOrgFactory,
    LineFactory,
    TerminalFactory,
    UserFactory,
)


@pytest.fixture
def terminal(db):
    return TerminalFactory()


@pytest.fixture
def line_a(db):
    return LineFactory(code="LINA", name="Line A")


@pytest.fixture
def line_b(db):
    return LineFactory(code="LINB", name="Line B")


@pytest.fixture
def planner(terminal):
    return UserFactory(username="planner", role=Role.PLANNER, terminal=terminal)


@pytest.fixture
def operator(terminal):
    return UserFactory(username="operator", role=Role.OPERATOR, terminal=terminal)


@pytest.fixture
def agent_a(terminal, line_a):
    org = AgentOrgFactory(code="AGA", name="Agent of A", represents=[line_a])
    return UserFactory(username="agent_a", role=Role.AGENT, organisation=org, terminal=terminal)


@pytest.fixture
def agent_b(terminal, line_b):
    org = AgentOrgFactory(code="AGB", name="Agent of B", represents=[line_b])
    return UserFactory(username="agent_b", role=Role.AGENT, organisation=org, terminal=terminal)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def planner_client(planner):
    return _client(planner)


@pytest.fixture
def agent_a_client(agent_a):
    return _client(agent_a)


@pytest.fixture
def agent_b_client(agent_b):
    return _client(agent_b)


@pytest.fixture
def anon_client():
    return APIClient()
