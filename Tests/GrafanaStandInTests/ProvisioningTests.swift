import Foundation
import Testing

@testable import GrafanaStandIn

@Suite("grafana-standin file provisioning")
struct ProvisioningTests {
    struct Stack: Sendable, CustomStringConvertible {
        var name: String
        /// The folder a compose file mounts at /etc/grafana/provisioning (or, for awesome-compose,
        /// at /etc/grafana/provisioning/datasources).
        var path: String
        var mountedAsDatasources: Bool
        var dashboards: [String]
        var description: String { name }
    }

    static let stacks: [Stack] = [
        Stack(
            name: "dockprom", path: "dockprom/grafana/provisioning", mountedAsDatasources: false,
            dashboards: ["Docker Containers", "Docker Host", "Monitor Services", "Nginx"]),
        Stack(
            name: "vegasbrianc-prometheus", path: "vegasbrianc-prometheus/grafana/provisioning", mountedAsDatasources: false,
            dashboards: ["Docker Prometheus Monitoring"]),
        Stack(
            name: "awesome-compose-prometheus-grafana", path: "awesome-compose-prometheus-grafana/prometheus-grafana/grafana",
            mountedAsDatasources: true, dashboards: []),
    ]

    @Test("starts on each acceptance stack's provisioning files and serves what they define", arguments: stacks)
    func acceptanceStack(_ stack: Stack) async throws {
        let source = Fixture.acceptanceStacks.appendingPathComponent(stack.path)
        try #require(FileManager.default.fileExists(atPath: source.path), "acceptance stack missing at \(source.path)")
        var root = source
        let scratch = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        if stack.mountedAsDatasources {
            // As its compose file does: the folder becomes provisioning/datasources.
            try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent("datasources"), withDestinationURL: source)
            root = scratch
        }
        try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { client async throws in
            let datasources = try await client.get("/api/datasources").array
            #expect(datasources.count == 1)
            #expect(datasources.first?["name"] as? String == "Prometheus")
            #expect(datasources.first?["url"] as? String == "http://prometheus:9090")
            #expect(datasources.first?["uid"] as? String == "PBFA97CFB590B2093")
            #expect(datasources.first?["isDefault"] as? Bool == true)
            let titles = try await client.get("/api/search?type=dash-db").array.compactMap { $0["title"] as? String }
            #expect(titles == stack.dashboards)
            for hit in try await client.get("/api/search?type=dash-db").array {
                let uid = try #require(hit["uid"] as? String)
                let read = try await client.get("/api/dashboards/uid/\(uid)")
                #expect(read.status == 200)
                let dashboard = try #require(read.object["dashboard"] as? [String: Any])
                #expect(dashboard["uid"] as? String == uid)
                #expect(dashboard["version"] as? Int == 1)
                #expect((read.object["meta"] as? [String: Any])?["provisionedExternalId"] as? String != "")
            }
        }
    }

    @Test("a dashboard file's uid is kept; uid-less files get one that is the same on every start")
    func stableUIDs() async throws {
        let root = Fixture.acceptanceStacks.appendingPathComponent("dockprom/grafana/provisioning").path
        let first = try await Fixture.withStandIn(Fixture.configuration(provisioning: root)) { client async throws in
            try await client.get("/api/search").array.compactMap { $0["uid"] as? String }
        }
        let second = try await Fixture.withStandIn(Fixture.configuration(provisioning: root)) { client async throws in
            try await client.get("/api/search").array.compactMap { $0["uid"] as? String }
        }
        #expect(first.count == 4)
        #expect(first == second)
        let vegas = Fixture.acceptanceStacks.appendingPathComponent("vegasbrianc-prometheus/grafana/provisioning").path
        try await Fixture.withStandIn(Fixture.configuration(provisioning: vegas)) { client async throws in
            #expect(try await client.get("/api/dashboards/uid/64nrElFmk").status == 200)
        }
    }

    /// A provisioning tree of our own: datasource with env interpolation, a read-only provider
    /// with a sub-folder structure, and an alert rule group.
    static func writeTree(at root: URL, allowUiUpdates: Bool = false) throws {
        try Fixture.write(
            """
            apiVersion: 1
            datasources:
              - name: Prometheus
                uid: prometheus
                type: prometheus
                url: ${PROM_URL}
                isDefault: true
                jsonData:
                  timeInterval: $INTERVAL
                  note: "costs $$5"
            """, to: root.appendingPathComponent("datasources/prometheus.yaml"))
        try Fixture.write(
            """
            apiVersion: 1
            providers:
              - name: repo
                type: file
                allowUiUpdates: \(allowUiUpdates)
                options:
                  path: \(root.appendingPathComponent("json").path)
                  foldersFromFilesStructure: true
            """, to: root.appendingPathComponent("dashboards/provider.yml"))
        try Fixture.write(
            #"{"title":"Root Board","uid":"root-board","id":99,"version":7,"panels":[]}"#,
            to: root.appendingPathComponent("json/root.json"))
        try Fixture.write(
            #"{"title":"Model Performance","uid":"model","panels":[]}"#,
            to: root.appendingPathComponent("json/MultimodalRAG/model.json"))
        try Fixture.write(
            #"{"__inputs":[{"name":"DS_PROMETHEUS","type":"datasource"}],"title":"Exported","panels":[{"datasource":"${DS_PROMETHEUS}"}]}"#,
            to: root.appendingPathComponent("json/exported.json"))
        try Fixture.write(
            """
            apiVersion: 1
            groups:
              - orgId: 1
                name: guide
                folder: Alerts
                interval: 1m
                rules:
                  - uid: high-cpu
                    title: High CPU usage
                    condition: C
                    for: 5m
                    data:
                      - refId: A
                        relativeTimeRange: { from: 600, to: 0 }
                        datasourceUid: prometheus
                        model: { expr: "avg(rate(node_cpu_seconds_total{mode!=\\"idle\\"}[5m]))" }
                      - refId: C
                        datasourceUid: __expr__
                        model: { type: threshold, expression: A, conditions: [{ evaluator: { type: gt, params: [0.9] } }] }
                    annotations:
                      summary: CPU above 90 % for 5 minutes on {{ $labels.instance }}
                    labels:
                      severity: warning
                      team: $TEAM
            """, to: root.appendingPathComponent("alerting/rules.yaml"))
    }

    @Test("env interpolation, folders from the file structure, ids dropped and export-format dashboards kept as Grafana does")
    func ownTree() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeTree(at: root)
        let configuration = Fixture.configuration(provisioning: root.path, environment: ["PROM_URL": "http://prom:9090", "INTERVAL": "15s"])
        try await Fixture.withStandIn(configuration) { client async throws in
            let datasource = try await client.get("/api/datasources/uid/prometheus").object
            #expect(datasource["url"] as? String == "http://prom:9090")
            #expect((datasource["jsonData"] as? [String: Any])?["timeInterval"] as? String == "15s")
            #expect((datasource["jsonData"] as? [String: Any])?["note"] as? String == "costs $5")
            #expect(datasource["readOnly"] as? Bool == true)
            let folders = try await client.get("/api/search?type=dash-folder").array.compactMap { $0["title"] as? String }
            #expect(folders == ["Alerts", "MultimodalRAG"])
            let model = try await client.get("/api/dashboards/uid/model").object
            #expect((model["meta"] as? [String: Any])?["folderTitle"] as? String == "MultimodalRAG")
            let root = try #require(try await client.get("/api/dashboards/uid/root-board").object["dashboard"] as? [String: Any])
            #expect(root["id"] as? Int != 99)
            #expect(root["version"] as? Int == 1)
            let exported = try await client.get("/api/search?query=Exported").array
            #expect(exported.count == 1)
            let exportedUID = try #require(exported.first?["uid"] as? String)
            let exportedBody = try await client.get("/api/dashboards/uid/\(exportedUID)").text
            #expect(exportedBody.contains("${DS_PROMETHEUS}"))
        }
    }

    @Test("provisioned dashboards refuse API saves and deletes unless the provider allows UI updates")
    func provisionedRefusesChanges() async throws {
        for allow in [false, true] {
            let root = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try Self.writeTree(at: root, allowUiUpdates: allow)
            try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { client async throws in
                let meta = try #require(try await client.get("/api/dashboards/uid/root-board").object["meta"] as? [String: Any])
                #expect(meta["provisioned"] as? Bool == !allow)
                let save = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "root-board", "title": "Root Board", "version": 1]])
                if allow {
                    #expect(save.status == 200)
                    #expect(save.object["version"] as? Int == 2)
                } else {
                    #expect(save.status == 400)
                    #expect(save.message == "Cannot save provisioned dashboard")
                }
                let delete = try await client.delete("/api/dashboards/uid/root-board")
                #expect(delete.status == 400)
                #expect(delete.message == "provisioned dashboard cannot be deleted")
                let datasource = try await client.put("/api/datasources/uid/prometheus", ["name": "Prometheus", "type": "prometheus", "url": "http://x"])
                #expect(datasource.status == 403)
                #expect(datasource.message == "Cannot update read-only data source")
                #expect(try await client.delete("/api/datasources/uid/prometheus").status == 403)
            }
        }
    }

    @Test("alert rule groups from alerting/*.yaml are served with provenance file and refuse API changes")
    func alertingFiles() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeTree(at: root)
        try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path, environment: ["PROM_URL": "http://p:9090", "TEAM": "ops"])) {
            client async throws in
            let rule = try await client.get("/api/v1/provisioning/alert-rules/high-cpu")
            #expect(rule.status == 200)
            #expect(rule.object["provenance"] as? String == "file")
            #expect(rule.object["for"] as? String == "5m")
            #expect(rule.object["title"] as? String == "High CPU usage")
            // Grafana interpolates labels but keeps annotations raw (alert templates use $labels).
            #expect((rule.object["annotations"] as? [String: String])?["summary"] == "CPU above 90 % for 5 minutes on {{ $labels.instance }}")
            #expect((rule.object["labels"] as? [String: String])?["team"] == "ops")
            let folderUID = try #require(rule.object["folderUID"] as? String)
            #expect(try await client.get("/api/folders/\(folderUID)").object["title"] as? String == "Alerts")
            let group = try await client.get("/api/v1/provisioning/folder/\(folderUID)/rule-groups/guide")
            #expect(group.object["interval"] as? Int == 60)
            var changed = rule.object
            changed["title"] = "Changed"
            let refused = try await client.put("/api/v1/provisioning/alert-rules/high-cpu", changed)
            #expect(refused.status == 500)
            #expect(try await client.get("/api/v1/provisioning/alert-rules/high-cpu").object["title"] as? String == "High CPU usage")
        }
    }

    @Test("starts on the repository's own stacks/grafana/provisioning: datasource and the guide's alert rules")
    func repositoryStack() async throws {
        var repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let root = repository.appendingPathComponent("stacks/grafana/provisioning")
        try #require(FileManager.default.fileExists(atPath: root.path), "no \(root.path)")
        try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { client async throws in
            let datasources = try await client.get("/api/datasources").array
            #expect(datasources.count == 1)
            let rules = try await client.get("/api/v1/provisioning/alert-rules").array
            #expect(rules.count >= 6)
            #expect(rules.allSatisfy { $0["provenance"] as? String == "file" })
            let annotations = rules.compactMap { ($0["annotations"] as? [String: String])?["description"] }
            #expect(annotations.contains { $0.contains("{{ $values.B }}") })
        }
    }

    struct Broken: Sendable, CustomStringConvertible {
        var file: String
        var text: String
        var reason: String
        var description: String { file }
    }

    @Test(
        "a broken provisioning file stops the start with an error naming the file",
        arguments: [
            Broken(file: "datasources/bad.yaml", text: "apiVersion: 1\ndatasources:\n  - name: [unclosed\n", reason: "line"),
            Broken(
                file: "datasources/two-defaults.yaml",
                text: "apiVersion: 1\ndatasources:\n  - {name: A, type: prometheus, isDefault: true}\n  - {name: B, type: prometheus, isDefault: true}\n",
                reason: "Only one datasource per organization can be marked as default"),
            Broken(file: "datasources/no-type.yaml", text: "apiVersion: 1\ndatasources:\n  - name: A\n", reason: "datasource A has no type"),
            Broken(file: "dashboards/no-path.yaml", text: "apiVersion: 1\nproviders:\n  - name: p\n    type: file\n", reason: "has no options.path"),
            Broken(
                file: "alerting/bad-rule.yaml",
                text:
                    "apiVersion: 1\ngroups:\n  - name: g\n    folder: F\n    rules:\n      - uid: r\n        title: R\n        condition: B\n        data:\n          - refId: A\n            datasourceUid: x\n            model: {}\n",
                reason: "condition B does not exist"),
        ])
    func brokenFile(_ broken: Broken) async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent(broken.file)
        try Fixture.write(broken.text, to: file)
        do {
            try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { _ async throws in }
            Issue.record("the stand-in started despite \(broken.file)")
        } catch let error as StandInError {
            guard case .provisioning(let path, let reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == file.path)
            #expect(reason.contains(broken.reason), "\(reason)")
            #expect(error.description.contains(broken.file))
        }
    }

    @Test("a missing provisioning directory provisions nothing and the stand-in still starts")
    func missingDirectory() async throws {
        try await Fixture.withStandIn(Fixture.configuration(provisioning: "/nonexistent/sptest-standin")) { client async throws in
            #expect(try await client.get("/api/datasources").array.isEmpty)
        }
    }
}
