import Foundation
import TestSupport
import Testing

@testable import GrafanaStandIn

@Suite("grafana-standin datasources")
struct DatasourceTests {
    static var prometheus: [String: Any] {
        [
            "name": "Prometheus", "type": "prometheus", "uid": "prometheus", "url": "http://prometheus:9090",
            "access": "proxy", "isDefault": true, "jsonData": ["timeInterval": "15s"],
            "secureJsonData": ["httpHeaderValue1": "never-shown"],
        ]
    }

    @Test("POST creates; GET by uid and by name return it without secrets; the list has it")
    func createAndRead() async throws {
        try await Fixture.withStandIn { client async throws in
            let created = try await client.post("/api/datasources", Self.prometheus)
            #expect(created.status == 200)
            #expect(created.message == "Datasource added")
            #expect(created.object["name"] as? String == "Prometheus")
            let id = try #require(created.object["id"] as? Int)
            let byUID = try await client.get("/api/datasources/uid/prometheus")
            #expect(byUID.status == 200)
            #expect(byUID.object["id"] as? Int == id)
            #expect(byUID.object["url"] as? String == "http://prometheus:9090")
            #expect((byUID.object["jsonData"] as? [String: Any])?["timeInterval"] as? String == "15s")
            #expect((byUID.object["secureJsonFields"] as? [String: Bool])?["httpHeaderValue1"] == true)
            #expect(!byUID.text.contains("never-shown"))
            #expect(try await client.get("/api/datasources/name/Prometheus").object["uid"] as? String == "prometheus")
            let list = try await client.get("/api/datasources")
            #expect(list.array.count == 1)
            #expect(list.array.first?["typeName"] as? String == "Prometheus")
        }
    }

    @Test("a second datasource with the same name or uid is a 409 with Grafana's message")
    func conflicts() async throws {
        try await Fixture.withStandIn { client async throws in
            #expect(try await client.post("/api/datasources", Self.prometheus).status == 200)
            let sameName = try await client.post("/api/datasources", ["name": "Prometheus", "type": "prometheus", "uid": "other"])
            #expect(sameName.status == 409)
            #expect(sameName.message == "data source with the same name already exists")
            let sameUID = try await client.post("/api/datasources", ["name": "Other", "type": "prometheus", "uid": "prometheus"])
            #expect(sameUID.status == 409)
            #expect(sameUID.message == "data source with the same uid already exists")
            #expect(try await client.get("/api/datasources").array.count == 1)
        }
    }

    @Test(
        "bad bodies are 400 and unknown uids and names are 404",
        arguments: [
            #"{"type":"prometheus"}"#, #"{"name":"x"}"#, #"{"name":"#, "[]",
        ])
    func badInput(body: String) async throws {
        try await Fixture.withStandIn { client async throws in
            let reply = try await client.request(.post, "/api/datasources", raw: body)
            #expect(reply.status == 400)
            #expect(reply.message == "bad request data")
            for path in ["/api/datasources/uid/missing", "/api/datasources/name/missing", "/api/datasources/uid/missing/health"] {
                let missing = try await client.get(path)
                #expect(missing.status == 404)
                #expect(missing.message == "Data source not found")
            }
        }
    }

    @Test("PUT updates and bumps the version; DELETE removes")
    func updateAndDelete() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/datasources", Self.prometheus)
            var changed = Self.prometheus
            changed["url"] = "http://127.0.0.1:9090"
            changed.removeValue(forKey: "secureJsonData")
            let updated = try await client.put("/api/datasources/uid/prometheus", changed)
            #expect(updated.status == 200)
            #expect(updated.message == "Datasource updated")
            let datasource = try #require(updated.object["datasource"] as? [String: Any])
            #expect(datasource["version"] as? Int == 2)
            #expect(datasource["url"] as? String == "http://127.0.0.1:9090")
            // The secret set at creation is kept when the update does not repeat it, as Grafana does.
            #expect((datasource["secureJsonFields"] as? [String: Bool])?["httpHeaderValue1"] == true)
            #expect(try await client.put("/api/datasources/uid/missing", changed).status == 404)
            let deleted = try await client.delete("/api/datasources/uid/prometheus")
            #expect(deleted.status == 200)
            #expect(deleted.message == "Data source deleted")
            #expect(try await client.get("/api/datasources/uid/prometheus").status == 404)
            #expect(try await client.delete("/api/datasources/uid/prometheus").status == 404)
            // A PUT may carry a new uid (data_source.md); DELETE by name works too.
            _ = try await client.post("/api/datasources", ["name": "Second", "type": "prometheus", "uid": "old-uid"])
            let moved = try await client.put("/api/datasources/uid/old-uid", ["name": "Second", "type": "prometheus", "uid": "new-uid"])
            #expect(moved.status == 200)
            #expect(try await client.get("/api/datasources/uid/new-uid").status == 200)
            #expect(try await client.get("/api/datasources/uid/old-uid").status == 404)
            let byName = try await client.delete("/api/datasources/name/Second")
            #expect(byName.status == 200)
            #expect(byName.message == "Data source deleted")
            #expect(try await client.get("/api/datasources").array.isEmpty)
        }
    }

    @Test(
        "health of a Prometheus datasource queries the real Prometheus",
        .enabled(
            if: ToolGate.runs(needing: LocalPrometheus.binary, for: "the datasource health test"),
            "Debian's prometheus is not installed (scripts/setup installs it)"))
    func healthAgainstRealPrometheus() async throws {
        try ToolGate.require(LocalPrometheus.binary)
        let prometheus = try await LocalPrometheus()
        defer { prometheus.stop() }
        let url = prometheus.url
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/datasources", ["name": "Live", "type": "prometheus", "uid": "live", "url": url])
            let health = try await client.get("/api/datasources/uid/live/health")
            #expect(health.status == 200)
            #expect(health.object["status"] as? String == "OK")
            #expect(health.message == "Successfully queried the Prometheus API.")
        }
    }

    @Test("health of a Prometheus datasource that does not answer is status ERROR with 400")
    func healthOfDeadPrometheus() async throws {
        let port = try TestServers.freePort()
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/datasources", ["name": "Dead", "type": "prometheus", "uid": "dead", "url": "http://127.0.0.1:\(port)"])
            let health = try await client.get("/api/datasources/uid/dead/health")
            #expect(health.status == 400)
            #expect(health.object["status"] as? String == "ERROR")
            #expect(health.message == "There was an error returned querying the Prometheus API.")
        }
    }

    @Test("health is also an ERROR when the URL answers HTTP but is not Prometheus")
    func healthOfNotPrometheus() async throws {
        try await withRunningStandIn(Fixture.configuration(), logger: Fixture.logger) { url async throws in
            let client = try StandInClient(url: url)
            // Points at the stand-in itself: it answers, but not Prometheus's query API.
            _ = try await client.post("/api/datasources", ["name": "Wrong", "type": "prometheus", "uid": "wrong", "url": url])
            let health = try await client.get("/api/datasources/uid/wrong/health")
            #expect(health.status == 400)
            #expect(health.object["status"] as? String == "ERROR")
        }
    }

    @Test("health failures never repeat credentials written into the datasource URL")
    func healthRedactsCredentials() async throws {
        let port = try TestServers.freePort()
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post(
                "/api/datasources", ["name": "Creds", "type": "prometheus", "uid": "creds", "url": "http://user:hunter2@127.0.0.1:\(port)"])
            let health = try await client.get("/api/datasources/uid/creds/health")
            #expect(health.status == 400)
            #expect(!health.text.contains("hunter2"))
            #expect(health.text.contains("***@127.0.0.1"))
        }
        #expect(redacted("https://a:b@host:1/x") == "https://***@host:1/x")
        #expect(redacted("http://host/p@th") == "http://host/p@th")
    }

    @Test("the uid Grafana gives a provisioned datasource without one is stable: P + SHA-256 of the name")
    func provisionedUID() {
        #expect(provisionedDatasourceUID(name: "Prometheus") == "PBFA97CFB590B2093")
        #expect(provisionedDatasourceUID(name: "Loki") != provisionedDatasourceUID(name: "Prometheus"))
    }
}
