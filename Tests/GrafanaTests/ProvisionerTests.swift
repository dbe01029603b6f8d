import Foundation
import GrafanaStandIn
import HTTPTransport
import TestSupport
import Testing

@testable import Grafana

@Suite("Grafana.Provisioner against grafana-standin")
struct ProvisionerTests {
    static let dashboardUIDs = ["model-performance", "system-performance"]

    @Test("provisioning twice: the second run changes nothing and dashboard versions stay put")
    func idempotent() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                let first = try await Fixture.provisioner(client, root: root).sync()
                #expect(first.succeeded, "\(first.failures)")
                // Datasource and alert rules are Grafana's file provisioning's: already there at start.
                #expect(first.item(.datasource, uid: "stackpilot-prometheus")?.action == .unchanged)
                for uid in Self.dashboardUIDs { #expect(first.item(.dashboard, uid: uid)?.action == .created) }
                #expect(first.items(.alertRule).count == 6)
                #expect(first.items(.alertRule).allSatisfy { $0.action == .unchanged })
                let versions = try await Self.versions(client)

                let second = try await Fixture.provisioner(client, root: root).sync()
                #expect(second.succeeded)
                #expect(second.changes.isEmpty, "second run changed: \(second.changes)")
                #expect(second.count(.unchanged) == first.items.count)
                #expect(try await Self.versions(client) == versions)
            }
        }
    }

    @Test("Grafana's file provisioning of stacks/grafana/provisioning and `provision` agree: after a file-provisioned start nothing changes")
    func fileProvisioningAgrees() async throws {
        try await Fixture.withRepositoryCopy { root in
            // The provider points at the dashboards mount inside the Grafana container; here, at the copy.
            let provisioning = root.appendingPathComponent("stacks/grafana/provisioning")
            let provider = provisioning.appendingPathComponent("dashboards/stackpilot.yml")
            let text = try String(contentsOf: provider, encoding: .utf8)
            #expect(text.contains("path: /var/lib/stackpilot/dashboards"))
            try text.replacingOccurrences(of: "/var/lib/stackpilot/dashboards", with: root.appendingPathComponent("dashboards").path)
                .write(to: provider, atomically: true, encoding: .utf8)
            var configuration = Fixture.standIn()
            configuration.provisioningPath = provisioning.path
            try await withRunningStandIn(configuration, logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url)
                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.succeeded, "\(report.failures)")
                #expect(report.changes.isEmpty, "file provisioning and provision disagree: \(report.changes)")
                #expect(report.items(.alertRule).count == 6)
                #expect(recorder.requests.allSatisfy { $0.method == "GET" })
                #expect(try await client.dashboard(uid: "model-performance")?.meta.folderUid == "stackpilot")
            }
        }
    }

    @Test("a changed panel updates exactly that one dashboard")
    func changedPanel() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                _ = try await Fixture.provisioner(client, root: root).sync()
                let before = try await Self.versions(client)

                let file = root.appendingPathComponent("dashboards/system-performance.json")
                let text = try String(contentsOf: file, encoding: .utf8)
                #expect(text.contains("\"title\": \"Network traffic\""))
                try text.replacingOccurrences(of: "\"title\": \"Network traffic\"", with: "\"title\": \"Network I/O\"")
                    .write(to: file, atomically: true, encoding: .utf8)

                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.changes.map(\.uid) == ["system-performance"])
                #expect(report.item(.dashboard, uid: "system-performance")?.action == .updated)
                let after = try await Self.versions(client)
                #expect(after["model-performance"] == before["model-performance"])
                #expect(after["system-performance"]! > before["system-performance"]!)
                let stored = try #require(try await client.dashboard(uid: "system-performance"))
                #expect(String(decoding: stored.dashboard.exported(), as: UTF8.self).contains("Network I/O"))
            }
        }
    }

    @Test("folders are created before the dashboards that go into them")
    func folderOrder() async throws {
        try await Fixture.withRepositoryCopy { root in
            // A second folder from a subdirectory, as users add them.
            let sub = root.appendingPathComponent("dashboards/Team Extras")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            try Data(#"{"title": "Extra", "uid": "sptest-extra", "panels": [], "schemaVersion": 39}"#.utf8)
                .write(to: sub.appendingPathComponent("extra.json"))
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url)
                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.succeeded, "\(report.failures)")
                let writes = recorder.requests.filter { $0.method == "POST" }.map(\.path)
                let lastFolder = try #require(writes.lastIndex(of: "/api/folders"))
                let firstDashboard = try #require(writes.firstIndex(of: "/api/dashboards/db"))
                #expect(lastFolder < firstDashboard)
                #expect(writes.filter { $0 == "/api/folders" }.count == 2)  // StackPilot, Team Extras (Grafana's alerting files made StackPilot Alerts)
                let extra = try #require(try await client.dashboard(uid: "sptest-extra"))
                #expect(extra.meta.folderUid == "team-extras")
                #expect(try await client.dashboard(uid: "model-performance")?.meta.folderUid == "stackpilot")
            }
        }
    }

    @Test("dry run reports what it would do and changes nothing")
    func dryRun() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(), logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url)
                let report = try await Fixture.provisioner(client, root: root).sync(dryRun: true)
                #expect(report.dryRun)
                #expect(report.item(.dashboard, uid: "model-performance")?.action == .created)
                #expect(report.items(.alertRule).count == 6)
                #expect(recorder.requests.allSatisfy { $0.method == "GET" }, "\(recorder.requests.filter { $0.method != "GET" })")
                #expect(try await client.dashboard(uid: "model-performance") == nil)
                #expect(try await client.datasource(uid: "stackpilot-prometheus") == nil)
                #expect(try await client.alertRules().isEmpty)
            }
        }
    }

    @Test("alert rules: the guide's six, in their own folder and group, unchanged on a second run")
    func alertRules() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                _ = try await Fixture.provisioner(client, root: root).sync()
                let rules = try await client.alertRules()
                #expect(
                    Set(rules.compactMap { $0["uid"]?.stringValue }) == [
                        "high-inference-latency", "high-error-rate", "low-gpu-memory", "high-cpu-usage", "high-memory-usage", "low-disk-space",
                    ])
                let alertsFolder = try #require(try await client.folders().first { $0.title == "StackPilot Alerts" })
                for rule in rules {
                    #expect(rule["ruleGroup"]?.stringValue == "stackpilot")
                    #expect(rule["folderUID"]?.stringValue == alertsFolder.uid)
                    #expect(rule["provenance"]?.stringValue == "file")
                    #expect(rule["annotations"]?["summary"]?.stringValue?.isEmpty == false)
                }
                let latency = try #require(try await client.alertRule(uid: "high-inference-latency"))
                #expect(latency["annotations"]?["description"]?.stringValue?.contains("Check GPU utilization") == true)
                let memory = try #require(try await client.alertRule(uid: "high-memory-usage"))
                #expect(memory["annotations"]?["description"]?.stringValue?.contains("memory leaks") == true)
                #expect(Grafana.durationSeconds(memory["for"]?.stringValue ?? "") == 300)

                let second = try await Fixture.provisioner(client, root: root).sync()
                #expect(second.items(.alertRule).count == 6)
                #expect(second.items(.alertRule).allSatisfy { $0.action == .unchanged }, "\(second.items(.alertRule))")
            }
        }
    }

    @Test("a dangling datasource uid is reported and repaired to the provisioned uid")
    func datasourceRepair() async throws {
        try await Fixture.withRepositoryCopy { root in
            let file = root.appendingPathComponent("dashboards/system-performance.json")
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: "\"uid\": \"stackpilot-prometheus\"", with: "\"uid\": \"deleted-datasource\"")
                .write(to: file, atomically: true, encoding: .utf8)
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                let report = try await Fixture.provisioner(client, root: root).sync()
                let item = try #require(report.item(.dashboard, uid: "system-performance"))
                #expect(item.action == .created)
                #expect(item.detail?.contains("\"deleted-datasource\" does not exist") == true)
                #expect(item.detail?.contains("repaired to \"stackpilot-prometheus\"") == true)
                #expect(report.item(.dashboard, uid: "model-performance")?.detail == nil)
                let stored = try #require(try await client.dashboard(uid: "system-performance"))
                let json = String(decoding: stored.dashboard.exported(), as: UTF8.self)
                #expect(!json.contains("deleted-datasource"))
                #expect(json.contains("stackpilot-prometheus"))
                // Still repaired, not re-posted, on the next run.
                let again = try await Fixture.provisioner(client, root: root).sync()
                #expect(again.item(.dashboard, uid: "system-performance")?.action == .unchanged)
            }
        }
    }

    @Test("--prune removes dashboards of managed folders that left the repository, and only with --prune")
    func prune() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                _ = try await Fixture.provisioner(client, root: root).sync()
                try FileManager.default.removeItem(at: root.appendingPathComponent("dashboards/system-performance.json"))
                let without = try await Fixture.provisioner(client, root: root).sync()
                #expect(without.changes.isEmpty)
                #expect(try await client.dashboard(uid: "system-performance") != nil)
                let dry = try await Fixture.provisioner(client, root: root).sync(dryRun: true, prune: true)
                #expect(dry.item(.dashboard, uid: "system-performance")?.action == .removed)
                #expect(try await client.dashboard(uid: "system-performance") != nil)
                let pruned = try await Fixture.provisioner(client, root: root).sync(prune: true)
                #expect(pruned.changes.map(\.uid) == ["system-performance"])
                #expect(pruned.item(.dashboard, uid: "system-performance")?.action == .removed)
                #expect(try await client.dashboard(uid: "system-performance") == nil)
                #expect(try await client.dashboard(uid: "model-performance") != nil)
            }
        }
    }

    @Test("412 name-exists is reported with what to do, and the other dashboards still sync")
    func nameExists() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                try await client.createFolder(uid: "stackpilot", title: "StackPilot")
                let squatter = #"{"dashboard": {"title": "Model Performance", "uid": "someone-elses"}, "folderUid": "stackpilot", "overwrite": false}"#
                _ = try await client.saveDashboard(body: Data(squatter.utf8))
                let report = try await Fixture.provisioner(client, root: root).sync()
                let item = try #require(report.item(.dashboard, uid: "model-performance"))
                #expect(item.action == .failed)
                #expect(item.detail?.contains("name-exists") == true)
                #expect(item.detail?.contains("rename or delete that dashboard") == true)
                #expect(report.item(.dashboard, uid: "system-performance")?.action == .created)
                #expect(!report.succeeded)
            }
        }
    }

    @Test("bad credentials give one sentence naming the URL, never the password")
    func badCredentials() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(password: "s3cret-admin", mounting: root), logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url, credentials: .basic(user: "admin", password: "wrong-Pa55"))
                let error = try await #require(throws: Grafana.ProvisionError.self) {
                    try await Fixture.provisioner(client, root: root).sync()
                }
                guard case .unauthorized = error else { Issue.record("expected .unauthorized, got \(error)"); return }
                #expect(error.description.contains(url))
                #expect(!error.description.contains("wrong-Pa55"))
                #expect(!error.isBadInput)
                #expect(recorder.requests.allSatisfy { $0.method == "GET" })
            }
        }
    }

    @Test("a bearer token is accepted; a wrong one is refused")
    func bearerToken() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(token: "glsa_sptest_token", mounting: root), logger: Fixture.logger) { url in
                let (good, _) = try Fixture.client(url: url, credentials: .bearer(token: "glsa_sptest_token"))
                #expect(try await Fixture.provisioner(good, root: root).sync().succeeded)
                let (bad, _) = try Fixture.client(url: url, credentials: .bearer(token: "glsa_wrong"))
                await #expect(throws: Grafana.ProvisionError.self) { try await Fixture.provisioner(bad, root: root).sync() }
            }
        }
    }

    @Test("a dead URL: waits up to the timeout, then names the URL")
    func deadURL() async throws {
        // Bind and close a socket to get a port nobody listens on.
        let url = "http://127.0.0.1:\(try TestServers.freePort())"
        let (client, _) = try Fixture.client(url: url)
        let provisioner = Grafana.Provisioner(client: client, sources: Grafana.Sources(repositoryRoot: Fixture.repositoryRoot), healthTimeout: .seconds(1))
        let started = ContinuousClock.now
        let error = try await #require(throws: Grafana.ProvisionError.self) { try await provisioner.sync() }
        guard case .unreachable(let reported, let waited, _) = error else { Issue.record("expected .unreachable, got \(error)"); return }
        #expect(reported == url)
        #expect(waited == .seconds(1))
        #expect(error.description.contains(url))
        #expect(ContinuousClock.now - started >= .seconds(1))
    }

    @Test("a broken dashboard file is bad input named by path, and nothing is sent to Grafana")
    func brokenFile() async throws {
        try await Fixture.withRepositoryCopy { root in
            let file = root.appendingPathComponent("dashboards/broken.json")
            try Data("{\n  \"uid\": \"x\",\n  \"title\": \n}\n".utf8).write(to: file)
            let (client, recorder) = try Fixture.client(url: "http://127.0.0.1:1")
            let error = try await #require(throws: Grafana.ProvisionError.self) { try await Fixture.provisioner(client, root: root).sync() }
            #expect(error.isBadInput)
            #expect(error.description.contains(file.path))
            #expect(error.description.contains("line 4"))
            #expect(recorder.requests.isEmpty)
        }
    }

    static func versions(_ client: Grafana.Client) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for uid in dashboardUIDs {
            result[uid] = try await client.dashboard(uid: uid)?.meta.version
        }
        return result
    }
}
