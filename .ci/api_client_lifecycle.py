"""Drives one incident through its lifecycle with a client generated from
docs/openapi.json (openapi-python-client), against a live server: report an
event, assess it as a possible incident, confirm the incident, and move it
through responding and recovering to closed. Every answer must parse into
the generated types with the status the document promises.

Usage: api_client_lifecycle.py BASE_URL TOKEN   (an ISIRT manager's token)
Exits non-zero, naming the step, when anything differs.
"""

import sys

from rampart_client import AuthenticatedClient
from rampart_client.api.events import assess_event, get_event, list_events, report_event
from rampart_client.api.incidents import confirm_incident, list_log_entries, transition_incident
from rampart_client.api.journal import list_journal
from rampart_client.models import (
    AssessmentDecision,
    AssessmentInput,
    Effort,
    Event,
    EventReport,
    EventStatus,
    Incident,
    IncidentConfirmation,
    IncidentStatus,
    LossGrade,
    Observable,
    ObservableType,
    PageEvent,
    PageLogEntry,
    Problem,
    SeverityFactors,
    SystemImportance,
    TransitionRequest,
)
from rampart_client.types import Response


def expect(step, response: Response, status, kind):
    if response.status_code != status or not isinstance(response.parsed, kind):
        sys.exit(
            f"lifecycle: {step}: expected {status} {kind.__name__}, "
            f"got {int(response.status_code)} {type(response.parsed).__name__}: {response.content[:500]!r}"
        )
    return response.parsed


def main():
    base, token = sys.argv[1], sys.argv[2]
    client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

    event = expect("report", report_event.sync_detailed(client=client, body=EventReport(
        title="Phishing mail with a fake invoice",
        description="A colleague forwarded a mail asking to pay an invoice on a look-alike domain.",
        assets=["mail gateway"],
        observables=[Observable(type_=ObservableType.DOMAIN, value="Invoices-Example.NET.")],
    )), 201, Event)
    assert event.status == EventStatus.REPORTED, event.status
    assert event.observables[0].value == "invoices-example.net", event.observables

    page = expect("list", list_events.sync_detailed(client=client, status=EventStatus.REPORTED, limit=500), 200, PageEvent)
    assert any(e.number == event.number for e in page.items), "the new event is not listed"

    event = expect("assess", assess_event.sync_detailed(event.number, client=client, body=AssessmentInput(
        decision=AssessmentDecision.POSSIBLE_INCIDENT,
        notes="The look-alike domain was registered yesterday.",
        escalate=True,
    )), 200, Event)
    assert event.status == EventStatus.ESCALATED, event.status

    incident = expect("confirm", confirm_incident.sync_detailed(client=client, body=IncidentConfirmation(
        events=[event.number],
        title="Invoice fraud attempt by mail",
        category="technical_attack",
        severity=SeverityFactors(
            system_importance=SystemImportance.IMPORTANT,
            business_loss=LossGrade.SERIOUS,
            social_impact=LossGrade.MINOR,
        ),
        effort=Effort.MEDIUM,
        coordinator="mia",
    )), 201, Incident)
    assert incident.status == IncidentStatus.CONFIRMED, incident.status
    assert incident.events == [event.number], incident.events

    linked = expect("read the event", get_event.sync_detailed(event.number, client=client), 200, Event)
    assert linked.status == EventStatus.LINKED, linked.status

    # A move the lifecycle does not allow: the problem document names where it stands.
    refused = expect("refused move", transition_incident.sync_detailed(incident.number, client=client, body=TransitionRequest(
        to=IncidentStatus.CLOSED, reason="Too early",
    )), 409, Problem)
    assert refused.current == "confirmed", refused.current

    for to, extra in [
        (IncidentStatus.RESPONDING, {}),
        (IncidentStatus.RECOVERING, {}),
        (IncidentStatus.CLOSED, {"resolution": "Domain blocked; no payment was made."}),
    ]:
        incident = expect(f"move to {to.value}", transition_incident.sync_detailed(
            incident.number, client=client, body=TransitionRequest(to=to, reason=f"Now {to.value}", **extra),
        ), 200, Incident)
        assert incident.status == to, incident.status
    assert incident.closed_at is not None

    log = expect("log", list_log_entries.sync_detailed(incident.number, client=client), 200, PageLogEntry)
    assert [e.reason for e in log.items][-3:] == ["Now responding", "Now recovering", "Now closed"], log.items
    assert not log.next_cursor, log.next_cursor

    # The manager may not read the journal: a 403 problem document, parsed as such.
    expect("journal", list_journal.sync_detailed(client=client), 403, Problem)
    print(f"lifecycle: {event.number} -> {incident.number}, closed through the generated client")


if __name__ == "__main__":
    main()
