import Foundation
import Testing

@testable import Grafana

@Suite("Grafana.Sources and Connection")
struct SourcesTests {
    @Test("the repository's provisioning files load: one datasource, the two dashboards, six alert rules")
    func repositoryLoads() throws {
        let desired = try Grafana.Sources(repositoryRoot: Fixture.repositoryRoot).load()
        #expect(desired.datasources.compactMap { $0["uid"]?.stringValue } == ["stackpilot-prometheus"])
        #expect(desired.datasources.first?["url"]?.stringValue == "http://prometheus:9090")
        #expect(desired.datasources.first?["orgId"] == nil)
        #expect(desired.dashboards.compactMap(\.dashboard.uid) == ["model-performance", "system-performance"])
        #expect(desired.dashboardFolders == [Grafana.defaultFolder])
        #expect(desired.alertGroups.map(\.name) == ["stackpilot"])
        #expect(desired.alertGroups.first?.folderTitle == "StackPilot Alerts")
        #expect(desired.alertGroups.first?.rules.count == 6)
    }

    struct GuideCase: Sendable, CustomTestStringConvertible {
        var uid: String
        var comparison: String
        var threshold: Double
        var forSeconds: Double
        var metric: String
        var testDescription: String { uid }
    }

    @Test(
        "each of the guide's six alerts has its threshold, direction, duration and metric",
        arguments: [
            GuideCase(uid: "high-inference-latency", comparison: "gt", threshold: 5, forSeconds: 0, metric: "model_inference_latency_seconds_bucket"),
            GuideCase(uid: "high-error-rate", comparison: "gt", threshold: 5, forSeconds: 0, metric: "model_errors_total"),
            GuideCase(uid: "low-gpu-memory", comparison: "lt", threshold: 10, forSeconds: 0, metric: "gpu_memory_reserved_mb"),
            GuideCase(uid: "high-cpu-usage", comparison: "gt", threshold: 90, forSeconds: 300, metric: "node_cpu_seconds_total"),
            GuideCase(uid: "high-memory-usage", comparison: "gt", threshold: 90, forSeconds: 300, metric: "node_memory_MemAvailable_bytes"),
            GuideCase(uid: "low-disk-space", comparison: "lt", threshold: 10, forSeconds: 0, metric: "node_filesystem_avail_bytes"),
        ])
    func guideAlerts(_ expected: GuideCase) throws {
        let rules = try #require(try Grafana.Sources(repositoryRoot: Fixture.repositoryRoot).load().alertGroups.first?.rules)
        let rule = try #require(rules.first { $0["uid"]?.stringValue == expected.uid })
        let condition = try #require(rule["data"]?.arrayValue?.first { $0["refId"] == rule["condition"] })
        let evaluator = try #require(condition["model"]?["conditions"]?.arrayValue?.first?["evaluator"])
        #expect(evaluator["type"]?.stringValue == expected.comparison)
        #expect(evaluator["params"]?.arrayValue?.first?.doubleValue == expected.threshold)
        #expect(Grafana.durationSeconds(rule["for"]?.stringValue ?? "") == expected.forSeconds)
        let expression = try #require(rule["data"]?.arrayValue?.first?["model"]?["expr"]?.stringValue)
        #expect(expression.contains(expected.metric))
        #expect(rule["data"]?.arrayValue?.first?["datasourceUid"]?.stringValue == Grafana.datasourceUID)
        #expect(rule["annotations"]?["summary"]?.stringValue?.isEmpty == false)
        #expect(rule["annotations"]?["description"]?.stringValue?.isEmpty == false)
    }

    struct BadSourceCase: Sendable, CustomTestStringConvertible {
        var name: String
        var file: String
        var content: String
        var expected: String
        var testDescription: String { name }
    }

    @Test(
        "invalid source files are bad input that names the file and the problem",
        arguments: [
            BadSourceCase(name: "dashboard without uid", file: "dashboards/no-uid.json", content: #"{"title": "No uid"}"#, expected: "has no \"uid\""),
            BadSourceCase(
                name: "duplicate dashboard uid", file: "dashboards/copy.json", content: #"{"title": "Copy", "uid": "model-performance"}"#,
                expected: "also used by"),
            BadSourceCase(
                name: "alert rule with unknown condition", file: "stacks/grafana/provisioning/alerting/extra.yml",
                content:
                    "apiVersion: 1\ngroups:\n  - name: g\n    folder: F\n    rules:\n      - uid: r1\n        title: R\n        condition: Z\n        data:\n          - refId: A\n",
                expected: "no query with that refId"),
            BadSourceCase(
                name: "datasource without uid", file: "stacks/grafana/provisioning/datasources/extra.yml",
                content: "apiVersion: 1\ndatasources:\n  - name: Loki\n    type: loki\n", expected: "has no \"uid\""),
            BadSourceCase(
                name: "YAML syntax error", file: "stacks/grafana/provisioning/alerting/broken.yml", content: "groups: [\n  - name: x\n",
                expected: "invalid YAML"),
        ])
    func badSources(_ testCase: BadSourceCase) async throws {
        try await Fixture.withRepositoryCopy { root in
            let file = root.appendingPathComponent(testCase.file)
            try Data(testCase.content.utf8).write(to: file)
            let error = try #require(throws: Grafana.ProvisionError.self) { try Grafana.Sources(repositoryRoot: root).load() }
            #expect(error.isBadInput)
            #expect(error.description.contains(file.path), "\(error)")
            #expect(error.description.contains(testCase.expected), "\(error)")
        }
    }

    @Test("connection from the environment: defaults, token wins, *_FILE, and the secret never in descriptions")
    func connection() throws {
        let defaults = try Grafana.Connection.fromEnvironment([:])
        #expect(defaults.url == "http://127.0.0.1:3000")
        #expect(defaults.credentials == .basic(user: "admin", password: "admin"))

        let token = try Grafana.Connection.fromEnvironment(["GRAFANA_URL": "http://grafana.local:3000/", "GRAFANA_TOKEN": "glsa_abc", "GRAFANA_PASSWORD": "x"])
        #expect(token.url == "http://grafana.local:3000")
        #expect(token.credentials == .bearer(token: "glsa_abc"))
        #expect(!token.description.contains("glsa_abc"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-grafana-pw-\(UUID().uuidString)")
        try Data("from-a-file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try Grafana.Connection.fromEnvironment(["GRAFANA_USER": "ops", "GRAFANA_PASSWORD_FILE": file.path])
        #expect(fromFile.credentials == .basic(user: "ops", password: "from-a-file"))
        #expect(!fromFile.description.contains("from-a-file"))
        #expect(!String(describing: fromFile.credentials).contains("from-a-file"))

        #expect(throws: Grafana.ProvisionError.self) { try Grafana.Connection.fromEnvironment(["GRAFANA_PASSWORD_FILE": "/nonexistent/sptest"]) }
        #expect(throws: Grafana.ProvisionError.self) { try Grafana.Connection.fromEnvironment(["GRAFANA_URL": "grafana:3000"]) }
        #expect(throws: Grafana.ProvisionError.self) { try Grafana.Connection.fromEnvironment(["GRAFANA_URL": "http://admin:pw@127.0.0.1:3000"]) }
    }

    @Test("durations compare by value", arguments: [("5m", 300.0), ("5m0s", 300.0), ("1h30m", 5400.0), ("0s", 0.0), ("90s", 90.0)])
    func durations(text: String, seconds: Double) {
        #expect(Grafana.durationSeconds(text) == seconds)
    }
}
