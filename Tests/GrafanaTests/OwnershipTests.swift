import Foundation
import GrafanaStandIn
import HTTPTransport
import JSONDocument
import TestSupport
import Testing

@testable import Grafana

/// Issue 14's breaks against a stand-in as strict as Grafana 11: alert rules and the provisioned
/// datasource belong to Grafana's file provisioning, and every refusal is one failed item.
@Suite("Grafana.Provisioner: one owner per resource, every refusal one item")
struct OwnershipTests {
    static let alertingFile = "stacks/grafana/provisioning/alerting/stackpilot-alerts.yml"

    static func edit(_ root: URL, _ relative: String, _ from: String, _ to: String) throws {
        let file = root.appendingPathComponent(relative)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(from), "\(relative) no longer contains \(from)")
        try text.replacingOccurrences(of: from, with: to).write(to: file, atomically: true, encoding: .utf8)
    }

    /// The requests that were not GETs, after the first `after` requests (a test's own setup).
    static func writes(_ recorder: SpyTransport, after: Int = 0) -> [String] {
        recorder.requests.dropFirst(after).filter { $0.method != "GET" }.map { "\($0.method) \($0.path)" }
    }

    @Test("an alert rule held with provenance api is deleted and read again from the file, so Grafana can start again")
    func apiRuleHandedBack() async throws {
        try await Fixture.withRepositoryCopy { root in
            // Grafana starts without the alerting file; an older StackPilot then wrote a rule through the API.
            let group = try #require(try Grafana.Sources(repositoryRoot: root).load().alertGroups.first)
            let alerting = root.appendingPathComponent("stacks/grafana/provisioning/alerting")
            let aside = root.appendingPathComponent("alerting-aside")
            try FileManager.default.moveItem(at: alerting, to: aside)
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url)
                let folder = try await client.createFolder(uid: "stackpilot-alerts", title: group.folderTitle)
                var rule = try #require(group.rules.first)
                rule["folderUID"] = .string(folder.uid)
                rule["ruleGroup"] = .string(group.name)
                // As an older StackPilot wrote it (provenance api); the client no longer does.
                _ = try await client.send(.post, "/api/v1/provisioning/alert-rules", json: client.encode(rule))
                let uid = try #require(rule["uid"]?.stringValue)
                #expect(try await client.alertRule(uid: uid)?["provenance"]?.stringValue == "api")
                // With the file back, Grafana's next start (a reload here) would refuse the api rule.
                try FileManager.default.moveItem(at: aside, to: alerting)
                let setupRequests = recorder.requests.count

                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.succeeded, "\(report.failures)")
                let item = try #require(report.item(.alertRule, uid: uid))
                #expect(item.action == .updated)
                #expect(item.detail?.contains("provenance 'api'") == true)
                #expect(try await client.alertRules().allSatisfy { $0["provenance"]?.stringValue == "file" })
                let writes = Self.writes(recorder, after: setupRequests)
                #expect(writes.contains("DELETE /api/v1/provisioning/alert-rules/\(uid)"))
                #expect(writes.contains("POST /api/admin/provisioning/alerting/reload"))
                #expect(!writes.contains { $0.hasPrefix("POST /api/v1/provisioning") || $0.hasPrefix("PUT /api/v1/provisioning") })
                try await client.reloadProvisioning(.alerting)  // what Grafana's next start does: accepted now
            }
        }
    }

    @Test("a rule changed in the file while Grafana runs is applied by a reload, with the group's interval; nothing is written through the API")
    func changedFileReloaded() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url)
                try Self.edit(root, Self.alertingFile, "interval: 1m", "interval: 2m")
                try Self.edit(root, Self.alertingFile, "- evaluator: { type: gt, params: [5] }", "- evaluator: { type: gt, params: [7] }")
                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.succeeded, "\(report.failures)")
                #expect(report.item(.alertRule, uid: "high-inference-latency")?.action == .updated)
                #expect(report.item(.alertRule, uid: "high-error-rate")?.action == .updated)  // the same threshold
                #expect(report.item(.alertRule, uid: "low-gpu-memory")?.action == .unchanged)
                let rule = try #require(try await client.alertRule(uid: "high-inference-latency"))
                #expect(rule["provenance"]?.stringValue == "file")
                let folder = try #require(rule["folderUID"]?.stringValue)
                #expect(try await client.alertRuleGroup(folderUID: folder, group: "stackpilot")?["interval"]?.intValue == 120)
                #expect(Self.writes(recorder).filter { $0.contains("/api/v1/provisioning") }.isEmpty, "\(Self.writes(recorder))")
                #expect(Self.writes(recorder).contains("POST /api/admin/provisioning/alerting/reload"))
            }
        }
    }

    @Test("--prune: a file rule Grafana keeps is one failed item naming deleteRules; the run goes on")
    func pruneFileRule() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                // Cut the last rule (low-disk-space) out of the file.
                let file = root.appendingPathComponent(Self.alertingFile)
                let text = try String(contentsOf: file, encoding: .utf8)
                let cut = try #require(text.range(of: "      - uid: low-disk-space"))
                try String(text[..<cut.lowerBound]).write(to: file, atomically: true, encoding: .utf8)
                let report = try await Fixture.provisioner(client, root: root).sync(prune: true)
                let item = try #require(report.item(.alertRule, uid: "low-disk-space"))
                #expect(item.action == .failed)
                #expect(item.detail?.contains("deleteRules") == true)
                #expect(report.item(.alertRule, uid: "high-cpu-usage")?.action == .unchanged)
                #expect(report.item(.dashboard, uid: "model-performance")?.action == .created)
                #expect(!report.succeeded)
                #expect(try await client.alertRule(uid: "low-disk-space") != nil)
            }
        }
    }

    @Test("an Editor token: the datasource refusal (403) is a permission problem, one item, and dashboards still sync")
    func editorToken() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(), logger: Fixture.logger) { url in
                let (admin, _) = try Fixture.client(url: url)
                let account = try JSONDecoder().decode(
                    JSONValue.self, from: try await admin.send(.post, "/api/serviceaccounts", json: Data(#"{"name":"ci","role":"Editor"}"#.utf8)).body)
                let id = try #require(account["id"]?.intValue)
                let token = try JSONDecoder().decode(
                    JSONValue.self, from: try await admin.send(.post, "/api/serviceaccounts/\(id)/tokens", json: Data(#"{"name":"ci"}"#.utf8)).body)
                let key = try #require(token["key"]?.stringValue)
                let (editor, _) = try Fixture.client(url: url, credentials: .bearer(token: key))
                let report = try await Fixture.provisioner(editor, root: root).sync()
                let datasource = try #require(report.item(.datasource, uid: "stackpilot-prometheus"))
                #expect(datasource.action == .failed)
                #expect(datasource.detail?.contains("only an Admin") == true)
                #expect(datasource.detail?.contains("read-only") == false)
                #expect(report.item(.dashboard, uid: "model-performance")?.action == .created)
                #expect(report.items(.alertRule).allSatisfy { $0.action == .failed })
                #expect(report.items(.alertRule).first?.detail?.contains("server admin") == true)
                #expect(!report.succeeded)
            }
        }
    }

    @Test("a datasource provisioned read-only that differs is read again from the file, never PUT")
    func readOnlyDatasource() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(mounting: root), logger: Fixture.logger) { url in
                let (client, recorder) = try Fixture.client(url: url)
                try Self.edit(root, "stacks/grafana/provisioning/datasources/prometheus.yml", "timeInterval: 15s", "timeInterval: 30s")
                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.item(.datasource, uid: "stackpilot-prometheus")?.action == .updated, "\(report.items(.datasource))")
                #expect(try await client.datasource(uid: "stackpilot-prometheus")?["jsonData"]?["timeInterval"]?.stringValue == "30s")
                #expect(!Self.writes(recorder).contains { $0.hasPrefix("PUT /api/datasources") })
                #expect(Self.writes(recorder).contains("POST /api/admin/provisioning/datasources/reload"))
            }
        }
    }
}
