import Foundation
import Testing

@testable import GrafanaStandIn

@Suite("grafana-standin alert rule provisioning API")
struct AlertRuleTests {
    static func rule(
        uid: String = "p95", title: String = "High inference latency", folder: String = "alerts",
        group: String = "guide", condition: String = "C"
    ) -> [String: Any] {
        [
            "uid": uid, "title": title, "folderUID": folder, "ruleGroup": group, "condition": condition,
            "for": "5m", "noDataState": "OK", "execErrState": "Error",
            "annotations": ["summary": "p95 latency above 5 s: check GPU utilisation"], "labels": ["severity": "warning"],
            "data": [
                [
                    "refId": "A", "relativeTimeRange": ["from": 600, "to": 0], "datasourceUid": "prometheus",
                    "model": ["expr": "histogram_quantile(0.95, sum by (le) (rate(model_inference_latency_seconds_bucket[5m])))"],
                ],
                [
                    "refId": "C", "datasourceUid": "__expr__",
                    "model": ["type": "threshold", "expression": "A", "conditions": [["evaluator": ["type": "gt", "params": [5]]]]],
                ],
            ],
        ]
    }

    static func withFolder(_ body: @Sendable (StandInClient) async throws -> Void) async throws {
        try await Fixture.withStandIn { client async throws in
            #expect(try await client.post("/api/folders", ["uid": "alerts", "title": "Alerts"]).status == 200)
            try await body(client)
        }
    }

    @Test("POST creates a rule (201, provenance api); GET, list and PUT follow")
    func lifecycle() async throws {
        try await Self.withFolder { client async throws in
            let created = try await client.post("/api/v1/provisioning/alert-rules", Self.rule())
            #expect(created.status == 201)
            #expect(created.object["uid"] as? String == "p95")
            #expect(created.object["provenance"] as? String == "api")
            #expect((created.object["id"] as? Int ?? 0) > 0)
            let read = try await client.get("/api/v1/provisioning/alert-rules/p95")
            #expect(read.status == 200)
            #expect((read.object["annotations"] as? [String: String])?["summary"]?.contains("GPU") == true)
            #expect(try await client.get("/api/v1/provisioning/alert-rules").array.count == 1)
            var changed = Self.rule()
            changed["for"] = "10m"
            let updated = try await client.put("/api/v1/provisioning/alert-rules/p95", changed)
            #expect(updated.status == 200)
            #expect(updated.object["for"] as? String == "10m")
            #expect(try await client.put("/api/v1/provisioning/alert-rules/missing", changed).status == 404)
            let deleted = try await client.delete("/api/v1/provisioning/alert-rules/p95")
            #expect(deleted.status == 204)
            let gone = try await client.get("/api/v1/provisioning/alert-rules/p95")
            #expect(gone.status == 404)
            #expect(gone.body.isEmpty)
        }
    }

    @Test("X-Disable-Provenance creates rules without provenance")
    func disableProvenance() async throws {
        try await Self.withFolder { client async throws in
            let created = try await client.request(
                .post, "/api/v1/provisioning/alert-rules", json: Self.rule(), headers: [(name: "X-Disable-Provenance", value: "true")])
            #expect(created.status == 201)
            #expect(created.object["provenance"] as? String == "")
        }
    }

    struct Invalid: Sendable, CustomStringConvertible {
        var field: String
        var value: String?
        var message: String
        var description: String { "\(field)=\(value ?? "nil")" }
    }

    @Test(
        "invalid rules are a 400 naming the problem and nothing is stored",
        arguments: [
            Invalid(field: "title", value: "", message: "title is empty"),
            Invalid(field: "folderUID", value: "", message: "folderUID must be set"),
            Invalid(field: "folderUID", value: "nope", message: "folder does not exist"),
            Invalid(field: "ruleGroup", value: "", message: "rule group name must be set"),
            Invalid(field: "condition", value: "Z", message: "condition Z does not exist, must be one of [A C]"),
            Invalid(field: "for", value: "five minutes", message: "invalid duration"),
            Invalid(field: "noDataState", value: "Maybe", message: "unknown NoData state"),
            Invalid(field: "uid", value: "bad uid!", message: "uid contains illegal characters"),
        ])
    func invalid(_ invalid: Invalid) async throws {
        try await Self.withFolder { client async throws in
            var body = Self.rule()
            body[invalid.field] = invalid.value
            let reply = try await client.post("/api/v1/provisioning/alert-rules", body)
            #expect(reply.status == 400)
            #expect(reply.message?.contains(invalid.message) == true, "\(reply.message ?? "")")
            #expect(try await client.get("/api/v1/provisioning/alert-rules").array.isEmpty)
        }
    }

    @Test("a second rule with the same uid, or the same title in the folder, is a 409")
    func conflicts() async throws {
        try await Self.withFolder { client async throws in
            #expect(try await client.post("/api/v1/provisioning/alert-rules", Self.rule()).status == 201)
            #expect(try await client.post("/api/v1/provisioning/alert-rules", Self.rule(title: "Other")).status == 409)
            #expect(try await client.post("/api/v1/provisioning/alert-rules", Self.rule(uid: "other")).status == 409)
        }
    }

    @Test("PUT of a rule group replaces its rules and interval; GET returns the group")
    func ruleGroup() async throws {
        try await Self.withFolder { client async throws in
            _ = try await client.post("/api/v1/provisioning/alert-rules", Self.rule(uid: "old", title: "Old"))
            let put = try await client.put(
                "/api/v1/provisioning/folder/alerts/rule-groups/guide",
                [
                    "title": "guide", "interval": 30,
                    "rules": [Self.rule(uid: "cpu", title: "High CPU usage"), Self.rule(uid: "mem", title: "High memory usage")],
                ])
            #expect(put.status == 200)
            let group = try await client.get("/api/v1/provisioning/folder/alerts/rule-groups/guide")
            #expect(group.status == 200)
            #expect(group.object["interval"] as? Int == 30)
            let uids = ((group.object["rules"] as? [[String: Any]]) ?? []).compactMap { $0["uid"] as? String }.sorted()
            #expect(uids == ["cpu", "mem"])
            #expect(try await client.get("/api/v1/provisioning/alert-rules/old").status == 404)
            #expect(try await client.get("/api/v1/provisioning/folder/alerts/rule-groups/none").status == 404)
            let badInterval = try await client.put("/api/v1/provisioning/folder/alerts/rule-groups/guide", ["interval": 15, "rules": []])
            #expect(badInterval.status == 400)
            let badRule = try await client.put("/api/v1/provisioning/folder/alerts/rule-groups/guide", ["interval": 60, "rules": [Self.rule(condition: "Q")]])
            #expect(badRule.status == 400)
            #expect(badRule.message?.contains("index [0]") == true)
            #expect(try await client.get("/api/v1/provisioning/alert-rules").array.count == 2)
        }
    }

    @Test("a folder holding alert rules is only deleted with forceDeleteRules=true")
    func folderWithRules() async throws {
        try await Self.withFolder { client async throws in
            _ = try await client.post("/api/v1/provisioning/alert-rules", Self.rule())
            let refused = try await client.delete("/api/folders/alerts")
            #expect(refused.status == 400)
            #expect(try await client.get("/api/folders/alerts").status == 200)
            #expect(try await client.delete("/api/folders/alerts?forceDeleteRules=true").status == 200)
            #expect(try await client.get("/api/v1/provisioning/alert-rules").array.isEmpty)
        }
    }

    @Test("contact points answer Grafana's default receiver")
    func contactPoints() async throws {
        try await Fixture.withStandIn { client async throws in
            let reply = try await client.get("/api/v1/provisioning/contact-points")
            #expect(reply.status == 200)
            #expect(reply.array.first?["type"] as? String == "email")
        }
    }
}
