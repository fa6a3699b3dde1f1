"""What a Gcore user writes with Gcore's official SDK, run unchanged against this portal.

Every call is written as Gcore's documentation and the SDK's docstrings show it: no
`extra_body`, no `extra_query`, no raw HTTP. Answers are parsed by the SDK's own models
(`CDNResource`, `OriginGroups`, `SyncOffsetPage`) and errors raised as its own exceptions, so a field of the
wrong type or a list of the wrong shape fails here as it would fail for the customer.

Environment (set by run.sh): GCORE_API_KEY and GCORE_BASE_URL (read by the SDK itself),
EDGE_URL (an edge following the portal), ORIGIN_ADDRESS (the echo origin behind it) and
BURST_API_KEY (a second token, which one test drives past its rate; the portal runs with the
default rate of 10 requests a second, 50 at once).
"""

import datetime
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import gcore
import httpx
from gcore.types.cdn import CDNResource

EDGE_URL = os.environ["EDGE_URL"]
ORIGIN = os.environ["ORIGIN_ADDRESS"]
# Our read-only field beside Gcore's `options`: the value of each option in force.
IN_FORCE = "optionsInForce"
# How long a change may take to reach the one edge of the run (it follows the portal's feed).
ROLLOUT_SECONDS = 10


class Requests:
    """Counts the requests the SDK sends, to see that it does not retry what cannot succeed. A
    request answered 429 (the token's rate, which the scenario's many calls may reach) is retried
    rightly, and `answered_since` leaves it out."""

    def __init__(self):
        self.count = 0
        self.statuses = []

    def __call__(self, request):
        self.count += 1

    def response(self, response):
        self.statuses.append(response.status_code)

    def answered_since(self, before):
        """How many requests after the first `before` got an answer other than 429."""
        return sum(1 for status in self.statuses[before:] if status != 429)


def unique_cname(label):
    return f"{label}-{uuid.uuid4().hex[:10]}.sdk.example.com"


def through_edge(host, path="/"):
    """The status of a GET through the edge for `host`."""
    request = urllib.request.Request(EDGE_URL + path, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def websocket_through_edge(host):
    """Opens a WebSocket through the edge for `host` (RFC 6455's handshake, written out), and
    closes it from the visitor's side. The status the edge answered."""
    address = urllib.parse.urlsplit(EDGE_URL)
    with socket.create_connection((address.hostname, address.port), timeout=5) as visitor:
        visitor.sendall(
            f"GET /live HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += visitor.recv(1024)
        visitor.shutdown(socket.SHUT_WR)
        return int(head.split(b" ")[1])


def rfc3339(moment):
    return datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_certificate(names, days=90):
    """A P-256 certificate for `names` signed by a fresh test CA, made now with openssl (never
    checked in): (PEM chain, PEM private key)."""
    with tempfile.TemporaryDirectory() as folder:
        at = lambda name: os.path.join(folder, name)
        run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
        for key in ("ca.key", "site.key"):
            run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", at(key))
        run("req", "-x509", "-new", "-key", at("ca.key"), "-subj", "/CN=SDK test CA", "-days", "365", "-out", at("ca.pem"))
        run("req", "-new", "-key", at("site.key"), "-subj", f"/CN={names[0]}", "-out", at("site.csr"))
        with open(at("ext"), "w") as ext:
            ext.write("subjectAltName=" + ",".join(f"DNS:{name}" for name in names) + "\n")
        run("x509", "-req", "-in", at("site.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial",
            "-days", str(days), "-extfile", at("ext"), "-out", at("site.pem"))
        read = lambda name: open(at(name)).read()
        return read("site.pem") + read("ca.pem"), read("site.key")


def make_ca():
    """A private CA's certificate (PEM), made now with openssl, as a private origin's CA."""
    with tempfile.TemporaryDirectory() as folder:
        at = lambda name: os.path.join(folder, name)
        run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", at("ca.key"))
        run("req", "-x509", "-new", "-key", at("ca.key"), "-subj", "/CN=SDK private origin CA", "-days", "365", "-out", at("ca.pem"))
        return open(at("ca.pem")).read()


class GcoreSdk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.requests = Requests()
        # The SDK's defaults (two retries), with a hook that counts what it sends.
        cls.client = gcore.Gcore(http_client=gcore.DefaultHttpxClient(event_hooks={"request": [cls.requests], "response": [cls.requests.response]}))
        cls.resources = cls.client.cdn.cdn_resources
        cls.groups = cls.client.cdn.origin_groups
        cls.certificates = cls.client.cdn.certificates
        cls.trusted_cas = cls.client.cdn.trusted_ca_certificates

    def create(self, label="site", **fields):
        fields.setdefault("origin", ORIGIN)
        resource = self.resources.create(cname=unique_cname(label), **fields)
        self.addCleanup(self.delete_if_there, resource.id)
        return resource

    def delete_if_there(self, resource_id):
        try:
            self.resources.delete(resource_id)
        except gcore.NotFoundError:
            pass

    def wait_for_status(self, resource_id, status):
        deadline = time.monotonic() + ROLLOUT_SECONDS
        while True:
            resource = self.resources.get(resource_id)
            if resource.status == status or time.monotonic() > deadline:
                return resource
            time.sleep(0.2)

    def test_create_wait_until_active_then_serve_through_the_edge(self):
        created = self.create(name="Shop", description="The shop's storefront")
        self.assertIsInstance(created, CDNResource)
        self.assertEqual((created.name, created.description, created.active), ("Shop", "The shop's storefront", True))
        self.assertIsInstance(created.client, int)
        self.assertIn(created.status, ("processed", "active"))
        # Gcore's documented way to know a new resource is live.
        resource = self.wait_for_status(created.id, "active")
        self.assertEqual(resource.status, "active")
        self.assertEqual(through_edge(created.cname), 200)
        self.assertEqual(self.resources.get(created.id), resource)

    def test_secondary_hostnames_are_served_and_can_be_changed(self):
        primary = unique_cname("main")
        www = "www." + primary
        resource = self.resources.create(cname=primary, origin=ORIGIN, secondary_hostnames=[www])
        self.addCleanup(self.delete_if_there, resource.id)
        self.assertEqual(resource.secondary_hostnames, [www])
        self.assertEqual(self.wait_for_status(resource.id, "active").status, "active")
        self.assertEqual(through_edge(www), 200)
        listed = list(self.resources.list(secondary_hostnames=www))
        self.assertEqual([found.id for found in listed], [resource.id])
        changed = self.resources.update(resource.id, secondary_hostnames=[])
        self.assertEqual(changed.secondary_hostnames, [])
        self.wait_for_status(resource.id, "active")
        self.assertNotEqual(through_edge(www), 200)

    def test_websockets_on_off_and_back_to_the_default(self):
        resource = self.create()
        # Entire website (the default integration): WebSockets on, as the default.
        self.assertIsNone(resource.options.websockets)
        self.assertEqual(resource.to_dict()[IN_FORCE]["websockets"], True)

        off = self.resources.update(resource.id, options={"websockets": {"enabled": True, "value": False}})
        self.assertEqual((off.options.websockets.enabled, off.options.websockets.value), (True, False))
        self.assertEqual(off.to_dict()[IN_FORCE]["websockets"], False)

        # Disabled: read back exactly as written, and the default is in force again.
        disabled = self.resources.update(resource.id, options={"websockets": {"enabled": False, "value": False}})
        self.assertEqual((disabled.options.websockets.enabled, disabled.options.websockets.value), (False, False))
        self.assertEqual(disabled.to_dict()[IN_FORCE]["websockets"], True)
        self.assertEqual(self.resources.get(resource.id).options.websockets, disabled.options.websockets)

        on = self.resources.update(resource.id, options={"websockets": {"enabled": True, "value": True}})
        self.assertEqual((on.options.websockets.enabled, on.options.websockets.value), (True, True))

        # `null` removes the option (Gcore: "the option is not added to the CDN resource").
        removed = self.resources.update(resource.id, options={"websockets": None})
        self.assertIsNone(removed.options.websockets)
        self.assertEqual(removed.to_dict()[IN_FORCE]["websockets"], True)

    def test_active_off_suspends_and_filters_find_only_what_matches(self):
        label = uuid.uuid4().hex[:8]
        live = self.create(name=f"Live {label}")
        paused = self.create(name=f"Paused {label}")
        paused = self.resources.update(paused.id, active=False)
        self.assertEqual((paused.active, paused.status), (False, "suspended"))

        inactive = [resource.id for resource in self.resources.list(active=False)]
        self.assertIn(paused.id, inactive)
        self.assertNotIn(live.id, inactive)
        suspended = [resource.id for resource in self.resources.list(status="suspended")]
        self.assertIn(paused.id, suspended)
        self.assertNotIn(live.id, suspended)
        # `name` matches part of the name, whatever the case.
        named = [resource.id for resource in self.resources.list(name=f"paused {label}".upper())]
        self.assertEqual(named, [paused.id])
        by_cname = [resource.id for resource in self.resources.list(cname=live.cname)]
        self.assertEqual(by_cname, [live.id])

    def test_list_pages_through_everything(self):
        created = {self.create(f"page{i}").id for i in range(3)}
        first = self.resources.list(limit=2)
        self.assertEqual(len(first.results), 2)
        self.assertGreaterEqual(first.count, 3)
        # Iterating a page follows `offset` to the end, as the SDK documents.
        everything = [resource.id for resource in self.resources.list(limit=2)]
        self.assertEqual(len(everything), first.count)
        self.assertEqual(len(set(everything)), len(everything))
        self.assertLessEqual(created, set(everything))

    def test_a_burst_past_the_tokens_rate_is_slowed_not_failed(self):
        """Past its rate a token is answered 429 with `retry-after-ms`: the SDK without retries
        raises its RateLimitError, and with its default retries waits that long and succeeds."""
        impatient = gcore.Gcore(api_key=os.environ["BURST_API_KEY"], max_retries=0)
        refused = None
        for sent in range(1, 1000):
            try:
                impatient.cdn.cdn_resources.list(limit=1)
            except gcore.RateLimitError as error:
                refused = error
                break
        self.assertIsNotNone(refused, "1000 requests at once and never a 429")
        self.assertGreater(sent, 50, "the burst of 50 was allowed first")
        headers = refused.response.headers
        self.assertEqual(headers["x-should-retry"], "true")
        self.assertTrue(0 < int(headers["retry-after-ms"]) <= 100, headers)
        self.assertEqual(headers["retry-after"], "1")

        counted = Requests()
        patient = gcore.Gcore(
            api_key=os.environ["BURST_API_KEY"],
            http_client=gcore.DefaultHttpxClient(event_hooks={"request": [counted]}),
        )
        # Sent far faster than 10 a second, most of these meet an empty allowance: each is
        # answered 429 first, and the SDK sends it again after the wait it was told.
        for _ in range(10):
            page = patient.cdn.cdn_resources.list(limit=1)
            self.assertEqual(len(page.results), 1)
        self.assertGreater(counted.count, 10, "no request had to wait")

    def test_a_conflict_raises_after_one_request(self):
        resource = self.create()
        before = len(self.requests.statuses)
        with self.assertRaises(gcore.ConflictError) as raised:
            self.resources.create(cname=resource.cname, origin=ORIGIN)
        self.assertEqual(self.requests.answered_since(before), 1, "the SDK retried a conflict")
        self.assertIn("cname", raised.exception.body["errors"])

    def test_invalid_values_name_the_field(self):
        with self.assertRaises(gcore.UnprocessableEntityError) as raised:
            self.resources.create(cname="not a domain", origin=ORIGIN)
        self.assertIn("cname", raised.exception.body["errors"])
        # An origin group that is not the account's: not found, said plainly under its field,
        # and nothing is created.
        with self.assertRaises(gcore.NotFoundError) as raised:
            self.resources.create(cname=unique_cname("group"), origin_group=999999)
        self.assertIn("originGroup", raised.exception.body["errors"])

    def create_group(self, label="group", **fields):
        fields.setdefault("sources", [{"source": ORIGIN}])
        group = self.groups.create(name=f"{label} {uuid.uuid4().hex[:8]}", **fields)
        self.addCleanup(self.delete_group_if_there, group.id)
        return group

    def delete_group_if_there(self, group_id):
        try:
            self.groups.delete(group_id)
        except gcore.NotFoundError:
            pass

    def test_origin_groups_are_created_listed_read_changed_and_deleted(self):
        group = self.create_group(
            sources=[{"source": ORIGIN}, {"source": "backup.sdk.example.com:8080", "backup": True, "enabled": False}],
            use_next=True,
            proxy_next_upstream=["error", "timeout", "http_502"],
        )
        self.assertEqual([source.source for source in group.sources], [ORIGIN, "backup.sdk.example.com:8080"])
        self.assertEqual((group.sources[1].backup, group.sources[1].enabled), (True, False))
        self.assertEqual((group.use_next, group.proxy_next_upstream), (True, ["error", "timeout", "http_502"]))
        self.assertFalse(group.has_related_resources)
        self.assertEqual(self.groups.get(group.id), group)
        self.assertIn(group.id, [found.id for found in self.groups.list()])
        self.assertEqual([found.id for found in self.groups.list(name=group.name)], [group.id])

        renamed = self.groups.update(group.id, name=group.name + " renamed", use_next=False)
        self.assertEqual((renamed.name, renamed.use_next), (group.name + " renamed", False))
        self.assertEqual(renamed.proxy_next_upstream, ["error", "timeout", "http_502"], "kept as stored")
        replaced = self.groups.replace(group.id, name=group.name, sources=[{"source": ORIGIN}], use_next=False)
        self.assertEqual([source.source for source in replaced.sources], [ORIGIN])
        self.assertEqual(replaced.proxy_next_upstream, ["error", "timeout"], "left out: the default")

        self.groups.delete(group.id)
        with self.assertRaises(gcore.NotFoundError):
            self.groups.get(group.id)

    def test_a_resource_uses_a_group_and_a_group_in_use_is_not_deleted(self):
        group = self.create_group()
        resource = self.resources.create(cname=unique_cname("grouped"), origin_group=group.id)
        self.addCleanup(self.delete_if_there, resource.id)
        self.assertEqual((resource.origin_group, resource.origin_group_name), (group.id, group.name))
        self.assertEqual(self.wait_for_status(resource.id, "active").status, "active")
        self.assertEqual(through_edge(resource.cname), 200)
        self.assertTrue(self.groups.get(group.id).has_related_resources)

        before = len(self.requests.statuses)
        with self.assertRaises(gcore.ConflictError) as raised:
            self.groups.delete(group.id)
        self.assertEqual(self.requests.answered_since(before), 1, "the SDK retried a group in use")
        self.assertIn(resource.cname, raised.exception.body["message"])

        # Gcore's replace() names the group: here, another one; the first is free to go.
        other = self.create_group("other")
        replaced = self.resources.replace(resource.id, origin_group=other.id, name="Replaced")
        self.assertEqual((replaced.origin_group, replaced.name), (other.id, "Replaced"))
        self.groups.delete(group.id)
        # Cleanups run last first: the resource goes before the group it uses.
        self.resources.delete(resource.id)

    def test_an_origin_makes_a_group_of_one_named_after_it(self):
        resource = self.create()
        group = self.groups.get(resource.origin_group)
        self.assertEqual((group.name, [source.source for source in group.sources]), (ORIGIN, [ORIGIN]))
        self.assertEqual(resource.origin_group_name, ORIGIN)

    def test_filters_this_cdn_does_not_offer_are_refused_by_name(self):
        for filters, parameter in [({"shielded": True}, "shielded"), ({"origin_group": 1}, "originGroup")]:
            with self.assertRaises(gcore.BadRequestError) as raised:
                list(self.resources.list(**filters))
            self.assertIn(parameter, raised.exception.body["errors"])

    def test_operations_this_cdn_does_not_offer_say_so_once(self):
        resource = self.create()
        before = len(self.requests.statuses)
        with self.assertRaises(gcore.APIStatusError) as raised:
            self.resources.purge(resource.id, urls=["/index.html"])
        self.assertEqual(raised.exception.status_code, 501)
        self.assertIn("message", raised.exception.body)
        self.assertEqual(self.requests.answered_since(before), 1, "the SDK retried an operation that is not offered")

    def upload_certificate(self, names):
        """Uploads a certificate for `names` as Gcore's documentation shows (create() answers
        nothing), then finds it by name in the list."""
        name = f"sdk-{uuid.uuid4().hex[:10]}"
        chain, key = make_certificate(names)
        self.certificates.create(name=name, ssl_certificate=chain, ssl_private_key=key)
        [found] = [certificate for certificate in self.certificates.list() if certificate.name == name]
        self.addCleanup(self.delete_certificate_if_there, found.id)
        return found

    def delete_certificate_if_there(self, certificate_id):
        try:
            self.certificates.delete(certificate_id)
        except gcore.NotFoundError:
            pass

    def test_certificates_are_uploaded_listed_read_replaced_and_deleted(self):
        cname = unique_cname("tls")
        certificate = self.upload_certificate([cname, "www." + cname])
        self.assertEqual(certificate.cert_subject_cn, cname)
        self.assertEqual(certificate.cert_subject_alt, f"{cname},www.{cname}")
        self.assertEqual(certificate.cert_issuer, "CN=SDK test CA")
        self.assertIsNotNone(certificate.validity_not_after)
        self.assertEqual(self.certificates.get(certificate.id), certificate)
        self.assertNotIn("PRIVATE KEY", self.certificates.get(certificate.id).model_dump_json())

        resource = self.resources.create(cname=cname, origin=ORIGIN, ssl_enabled=True, ssl_data=certificate.id)
        self.addCleanup(self.delete_if_there, resource.id)
        self.assertEqual((resource.ssl_enabled, resource.ssl_data, resource.origin_protocol), (True, certificate.id, "HTTP"))
        with self.assertRaises(gcore.ConflictError) as raised:
            self.certificates.delete(certificate.id)
        self.assertIn(cname, raised.exception.body["message"])

        chain, key = make_certificate([cname])
        replaced = self.certificates.replace(certificate.id, name=certificate.name, ssl_certificate=chain, ssl_private_key=key)
        self.assertEqual((replaced.id, replaced.cert_subject_alt), (certificate.id, cname))
        # A renewal must still cover what uses it.
        elsewhere, elsewhere_key = make_certificate([unique_cname("elsewhere")])
        with self.assertRaises(gcore.UnprocessableEntityError):
            self.certificates.replace(certificate.id, name=certificate.name, ssl_certificate=elsewhere, ssl_private_key=elsewhere_key)

        off = self.resources.update(resource.id, ssl_enabled=False, ssl_data=None, origin_protocol="MATCH")
        self.assertEqual((off.ssl_enabled, off.ssl_data, off.origin_protocol), (False, None, "MATCH"))
        self.certificates.delete(certificate.id)
        with self.assertRaises(gcore.NotFoundError):
            self.certificates.get(certificate.id)

    def test_a_certificate_that_is_refused_says_why_and_is_not_added(self):
        cname = unique_cname("refused")
        chain, _ = make_certificate([cname])
        _, other_key = make_certificate([cname])
        name = f"sdk-{uuid.uuid4().hex[:10]}"
        with self.assertRaises(gcore.UnprocessableEntityError) as raised:
            self.certificates.create(name=name, ssl_certificate=chain, ssl_private_key=other_key)
        self.assertIn("sslPrivateKey", raised.exception.body["errors"])
        self.assertNotIn(name, [certificate.name for certificate in self.certificates.list()])
        # HTTPS for a domain the certificate does not cover is refused too: a body the API's
        # document allows, refused for the certificate it names, is a conflict (409), said once.
        certificate = self.upload_certificate([unique_cname("other")])
        before = len(self.requests.statuses)
        with self.assertRaises(gcore.ConflictError) as raised:
            self.resources.create(cname=cname, origin=ORIGIN, ssl_enabled=True, ssl_data=certificate.id)
        self.assertIn("sslData", raised.exception.body["errors"])
        self.assertEqual(self.requests.answered_since(before), 1, "the SDK retried a certificate that does not cover")

    def test_a_trusted_ca_is_uploaded_named_by_a_resource_for_its_origin_and_kept_while_named(self):
        name = f"sdk-ca-{uuid.uuid4().hex[:10]}"
        ca = self.trusted_cas.create(name=name, ssl_certificate=make_ca())
        self.addCleanup(self.delete_ca_if_there, ca.id)
        self.assertEqual((ca.name, ca.cert_subject_cn, ca.cert_issuer), (name, "SDK private origin CA", "CN=SDK private origin CA"))
        self.assertEqual(self.trusted_cas.get(ca.id), ca)
        self.assertIn(ca.id, [listed.id for listed in self.trusted_cas.list()])

        resource = self.create("private", origin_protocol="HTTPS", proxy_ssl_ca=ca.id)
        self.assertEqual((resource.origin_protocol, resource.proxy_ssl_ca), ("HTTPS", ca.id))
        self.assertEqual(self.resources.get(resource.id).proxy_ssl_ca, ca.id)
        before = len(self.requests.statuses)
        with self.assertRaises(gcore.ConflictError) as raised:
            self.trusted_cas.delete(ca.id)
        self.assertEqual(self.requests.answered_since(before), 1, "the SDK retried a CA in use")
        self.assertIn(resource.cname, raised.exception.body["message"])
        with self.assertRaises(gcore.NotFoundError):
            self.resources.update(resource.id, proxy_ssl_ca=ca.id + 1000)

        renamed = self.trusted_cas.replace(ca.id, name=name + "-renamed")
        self.assertEqual((renamed.id, renamed.name), (ca.id, name + "-renamed"))
        cleared = self.resources.update(resource.id, proxy_ssl_ca=None)
        self.assertIsNone(cleared.proxy_ssl_ca)
        self.trusted_cas.delete(ca.id)
        with self.assertRaises(gcore.NotFoundError):
            self.trusted_cas.get(ca.id)

    def delete_ca_if_there(self, ca_id):
        try:
            self.trusted_cas.delete(ca_id)
        except gcore.NotFoundError:
            pass

    def test_websocket_traffic_is_served_as_gcore_statistics(self):
        resource = self.create("ws")
        self.assertEqual(self.wait_for_status(resource.id, "active").status, "active")
        self.assertEqual(websocket_through_edge(resource.cname), 101)
        # The edge reports every second: the handshake and the visitor's close appear within a few.
        deadline = time.monotonic() + ROLLOUT_SECONDS
        while True:
            now = time.time()
            stats = self.client.cdn.statistics.get_resource_usage_series(
                from_=rfc3339(now - 300), to=rfc3339(now + 60), granularity="1m",
                metrics="accepted,closed_visitor", service="CDN", group_by="resource", resource=resource.id,
            )
            series = stats.resource[str(resource.id)]["metrics"]
            totals = {metric: sum(value for _, value in points) for metric, points in series.items()}
            if totals == {"accepted": 1, "closed_visitor": 1} or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(totals, {"accepted": 1, "closed_visitor": 1})
        # Gcore's other metrics are not what this CDN counts: refused by name, not answered empty.
        with self.assertRaises(gcore.BadRequestError) as raised:
            self.client.cdn.statistics.get_resource_usage_series(
                from_=rfc3339(now - 300), to=rfc3339(now), granularity="1m", metrics="sent_bytes", service="CDN",
            )
        self.assertIn("metrics", raised.exception.body["errors"])

    def test_delete_then_get_is_not_found(self):
        resource = self.resources.create(cname=unique_cname("gone"), origin=ORIGIN)
        self.resources.delete(resource.id)
        with self.assertRaises(gcore.NotFoundError):
            self.resources.get(resource.id)
        # A new resource never takes a deleted one's id.
        again = self.create("gone")
        self.assertGreater(again.id, resource.id)


if __name__ == "__main__":
    unittest.main()
