"""Seeds a fresh Rampart with one record of each kind, through the API.

Usage: api_seed.py BASE_URL TOKEN

BASE_URL is the server's root (http://127.0.0.1:PORT); TOKEN belongs to an
ISIRT manager. Prints shell assignments of the numbers it made
(RAMPART_EVENT=EVT-..., ...), for the contract checks to aim their paths at
records that exist. Standard library only: it runs before any client is
generated.
"""

import json
import sys
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone


def call(base, token, method, path, body=None, content_type="application/json"):
    data = None
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base + "/api/v1" + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        sys.exit(f"seeding failed: {method} {path} answered {e.code}: {e.read().decode(errors='replace')}")


def multipart(fields, file_name, content):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main():
    base, token = sys.argv[1], sys.argv[2]

    def report(title):
        return call(base, token, "POST", "/events", {
            "title": title,
            "description": "Seeded for the API contract checks.",
            "assets": ["mail gateway"],
            "observables": [{"type": "ip", "value": "192.0.2.10"}],
        })["number"]

    escalated = report("Unexpected password reset e-mails")
    call(base, token, "POST", f"/events/{escalated}/assessment", {
        "decision": "possible_incident", "notes": "Looks like phishing.", "escalate": True,
    })
    incident = call(base, token, "POST", "/incidents", {
        "events": [escalated],
        "title": "Credential phishing against staff mailboxes",
        "category": "technical_attack",
        "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
        "effort": "medium",
        "coordinator": "mia",
    })["number"]
    call(base, token, "POST", f"/incidents/{incident}/log", {
        "action": "Blocked the sender domain", "reason": "Stop further credential capture",
    })
    action = call(base, token, "POST", f"/incidents/{incident}/actions", {
        "what": "Reset the targeted passwords", "owner": "mia",
    })["id"]
    # In recovery with a lessons-learned review, so that the review can be read.
    for to in ["responding", "recovering"]:
        call(base, token, "POST", f"/incidents/{incident}/transitions", {"to": to, "reason": f"Now {to}"})
    call(base, token, "POST", f"/incidents/{incident}/review", {
        "what_worked": "The point of contact escalated within the hour.",
        "lessons": ["Report unexpected reset e-mails at once."],
    })
    # A second escalated event, so that linking one to the incident can succeed.
    spare = report("More reset e-mails")
    call(base, token, "POST", f"/events/{spare}/assessment", {
        "decision": "possible_incident", "notes": "Same lure.", "escalate": True,
    })
    event = report("A laptop left unlocked")
    vulnerability = call(base, token, "POST", "/vulnerabilities", {
        "title": "Outdated TLS library on the web front end",
        "description": "The front end still links a TLS library with known flaws.",
        "assets": ["web front end"],
    })["number"]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body, content_type = multipart({
        "description": "Raw mail of the phishing message",
        "found_at": "Mailbox of rita",
        "collected_by": "Mia (ISIRT)",
        "collected_at": now,
        "reason": "Shows the sender infrastructure",
    }, "phish.eml", b"From: reset@example.net\r\nSubject: Reset your password\r\n\r\nClick here.\r\n")
    evidence = call(base, token, "POST", f"/incidents/{incident}/evidence", body, content_type)["number"]

    # A plan in two versions (the manager drafted both, so neither is approved).
    document = call(base, token, "POST", "/documents", {
        "id": "incident-plan", "kind": "plan", "title": "Incident management plan",
        "approvers": ["isirt_manager", "senior_manager"],
    })["id"]
    for text, summary in [
        ("# Plan\n\n## Containment\n\nIsolate first.\n", "First issue"),
        ("# Plan\n\n## Containment\n\nIsolate the host first.\n", "Say what to isolate"),
    ]:
        call(base, token, "POST", f"/documents/{document}/versions", {"text": text, "summary": summary})

    # The ISIRT's team, with a rotation.
    team = call(base, token, "POST", "/teams", {
        "id": "ict-isirt", "name": "ICT incident response team", "duty": "isirt", "lead": "mia",
        "rotation": {"people": ["mia"], "shift_hours": 12, "starts_at": "2026-01-01T08:00:00Z"},
    })["id"]

    # The national CSIRT in the contact directory.
    contact = call(base, token, "POST", "/contacts", {
        "id": "national-csirt", "kind": "organisation", "name": "National CSIRT",
        "category": "csirt", "tlp_max": "AMBER",
        "channels": [{"kind": "email", "value": "cert@csirt.example", "note": "24x7"}],
    })["id"]

    # A communication to it about the incident, waiting for an approval.
    call(base, token, "POST", f"/incidents/{incident}/communications", {
        "audience": "direct_external", "recipients": [contact], "channel": "email",
        "subject": "Phishing wave against our customers", "content": "Indicators below.",
        "tlp": "AMBER",
    })

    # A playbook for phishing, in one version.
    playbook = call(base, token, "POST", "/playbooks", {
        "id": "phishing-response", "title": "Phishing response", "categories": ["malware"],
        "steps": [{"what": "Block the sender domain", "owner_role": "isirt_member",
                   "due_minutes": 60}],
    })["id"]

    # A planned exercise with one inject.
    exercise = call(base, token, "POST", "/exercises", {
        "id": "ransomware-drill", "title": "Ransomware drill",
        "scenario": "Files encrypted on the file server", "audience": ["mia"],
        "injects": [{"at_minute": 30, "title": "Ransom note found",
                     "description": "A note on every share"}],
    })["id"]

    for name, value in [
        ("RAMPART_EVENT", event),
        ("RAMPART_ESCALATED_EVENT", spare),
        ("RAMPART_INCIDENT", incident),
        ("RAMPART_ACTION", action),
        ("RAMPART_VULNERABILITY", vulnerability),
        ("RAMPART_EVIDENCE", evidence),
        ("RAMPART_DOCUMENT", document),
        ("RAMPART_TEAM", team),
        ("RAMPART_CONTACT", contact),
        ("RAMPART_PLAYBOOK", playbook),
        ("RAMPART_EXERCISE", exercise),
    ]:
        print(f"{name}={value}")


if __name__ == "__main__":
    main()
