import Foundation
import Testing

@testable import GrafanaStandIn

/// Grafana reads `for` and rule-group intervals with Prometheus' model.ParseDuration and answers
/// `for` as model.Duration prints it; the stand-in does the same through Durations.PrometheusDuration.
@Suite("grafana-standin `for` and interval durations")
struct StandInForDurationTests {
    @Test(
        "`for` is answered in Prometheus' form",
        arguments: [
            ("5m0s", "5m"), ("90s", "1m30s"), ("24h", "1d"), ("1500ms", "1s500ms"), ("0", "0s"), ("2w", "2w"), ("1h30m", "1h30m"),
        ])
    func canonical(_ sent: String, _ answered: String) async throws {
        try await AlertRuleTests.withFolder { client async throws in
            var body = AlertRuleTests.rule()
            body["for"] = sent
            let created = try await client.post("/api/v1/provisioning/alert-rules", body)
            #expect(created.status == 201)
            #expect(created.object["for"] as? String == answered)
            #expect(try await client.get("/api/v1/provisioning/alert-rules/p95").object["for"] as? String == answered)
        }
    }

    @Test("what Prometheus' grammar refuses is a 400 and nothing is stored", arguments: ["1s1m", "5m5m", "1.5m", "-5m", "5", "", "1us"])
    func refused(_ sent: String) async throws {
        try await AlertRuleTests.withFolder { client async throws in
            var body = AlertRuleTests.rule()
            body["for"] = sent
            let reply = try await client.post("/api/v1/provisioning/alert-rules", body)
            #expect(reply.status == 400)
            #expect(reply.message?.contains("invalid duration '\(sent)' in 'for'") == true, "\(reply.message ?? "")")
            #expect(try await client.get("/api/v1/provisioning/alert-rules").array.isEmpty)
        }
    }

    @Test(
        "a provisioned rule group's interval is read as a Prometheus duration, in whole seconds",
        arguments: [
            ("1m30s", 90), ("2m", 120), ("90s", 90), ("1h", 3600), ("10s500ms", 10),
        ])
    func provisionedInterval(_ interval: String, _ seconds: Int) async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Fixture.write(
            """
            apiVersion: 1
            groups:
              - orgId: 1
                name: guide
                folder: Alerts
                interval: \(interval)
                rules:
                  - uid: up
                    title: Up
                    condition: C
                    for: 5m0s
                    data:
                      - refId: A
                        datasourceUid: prometheus
                        model: { expr: "up" }
                      - refId: C
                        datasourceUid: __expr__
                        model: { type: threshold, expression: A, conditions: [{ evaluator: { type: lt, params: [1] } }] }
            """, to: root.appendingPathComponent("alerting/rules.yaml"))
        try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { client async throws in
            let rule = try await client.get("/api/v1/provisioning/alert-rules/up")
            #expect(rule.object["for"] as? String == "5m")
            let folderUID = try #require(rule.object["folderUID"] as? String)
            let group = try await client.get("/api/v1/provisioning/folder/\(folderUID)/rule-groups/guide")
            #expect(group.object["interval"] as? Int == seconds)
        }
    }
}
