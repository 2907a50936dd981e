"""A service's life with Consul's Python client (python3-consul), pointed at `vitals serve`.

Usage: client.py HOST PORT. Prints one line per step; exits 1 at the first step that fails.
"""
import sys
import time

import consul


def until(what, probe, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    print("FAILED: " + what)
    sys.exit(1)


host, port = sys.argv[1], int(sys.argv[2])
c = consul.Consul(host=host, port=port)

# A service with a TTL check, kept alive by heartbeats.
assert c.agent.service.register("api", service_id="api-1", port=9000, tags=["v1"], check=consul.Check.ttl("10s"))
print("registered api-1")
_, nodes = c.health.service("api", passing=True)
assert nodes == [], nodes
assert c.agent.check.ttl_pass("service:api-1", "all good")
index, nodes = until("api-1 passing", lambda: (lambda r: r if r[1] else None)(c.health.service("api", passing=True)))
assert [n["Service"]["ID"] for n in nodes] == ["api-1"], nodes
assert nodes[0]["Checks"][-1]["Output"] == "all good", nodes
print("found api-1 passing at index %s" % index)

# A blocking query wakes when the TTL check fails.
assert c.agent.check.ttl_fail("service:api-1", "draining")
index2, nodes = c.health.service("api", index=index, wait="10s")
assert int(index2) > int(index), (index, index2)
until("api-1 no longer passing", lambda: c.health.service("api", passing=True)[1] == [])
print("blocking query woke at index %s" % index2)

# A service with an HTTP check that Vitals runs: it probes Vitals' own status page.
check = consul.Check.http("http://%s:%d/v1/status" % (host, port), interval="1s", timeout="1s")
assert c.agent.service.register("web", service_id="web-1", address=host, port=port, check=check)
until("web-1 passing by Vitals' probe", lambda: c.health.service("web", passing=True)[1])
print("web-1 passing by Vitals' http probe")

_, services = c.catalog.services()
assert services.get("api") == ["v1"] and "web" in services, services
assert "api-1" in c.agent.services() and "service:web-1" in c.agent.checks()

assert c.agent.service.deregister("api-1")
until("api-1 gone", lambda: c.health.service("api")[1] == [])
print("deregistered api-1")
print("OK")
