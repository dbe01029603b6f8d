import Foundation
import GrafanaStandIn
import Testing

@testable import Grafana

@Suite("Grafana.Exporter against grafana-standin")
struct ExportTests {
    @Test("export -> provision -> export round-trips byte-identically", arguments: [false, true])
    func roundTrip(sortKeys: Bool) async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(sortKeys: sortKeys), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                _ = try await Fixture.provisioner(client, root: root).sync()
                let dashboards = root.appendingPathComponent("dashboards")
                let original = try Data(contentsOf: dashboards.appendingPathComponent("model-performance.json"))

                let first = try await Grafana.Exporter(client: client).export(uids: nil, into: dashboards)
                #expect(Set(first.items.map(\.uid)) == ["model-performance", "system-performance"])
                // The repository's files are already in Grafana's (sorted) key order: nothing to rewrite.
                #expect(first.items.allSatisfy { $0.action == .unchanged }, "\(first.items)")
                #expect(try Data(contentsOf: dashboards.appendingPathComponent("model-performance.json")) == original)

                let report = try await Fixture.provisioner(client, root: root).sync()
                #expect(report.changes.isEmpty)
                let second = try await Grafana.Exporter(client: client).export(uids: nil, into: dashboards)
                #expect(second.items.allSatisfy { $0.action == .unchanged })
                #expect(try Data(contentsOf: dashboards.appendingPathComponent("model-performance.json")) == original)
            }
        }
    }

    @Test("an exported file has no id or version, 2-space indent and a trailing newline; new dashboards go to <folder>/<slug>.json")
    func layout() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                try await client.createFolder(uid: "ops", title: "Ops Team")
                let body =
                    #"{"dashboard": {"uid": "sptest-ops", "title": "Queue Depth / Ops", "zeta": 1, "panels": [{"id": 4, "type": "stat"}], "alpha": true}, "folderUid": "ops"}"#
                _ = try await client.saveDashboard(body: Data(body.utf8))
                let general = #"{"dashboard": {"uid": "sptest-general", "title": "Loose Ends"}}"#
                _ = try await client.saveDashboard(body: Data(general.utf8))
                let dashboards = root.appendingPathComponent("dashboards")
                let report = try await Grafana.Exporter(client: client).export(uids: ["sptest-ops", "sptest-general"], into: dashboards)
                #expect(report.items.map(\.action) == [.created, .created])
                let file = dashboards.appendingPathComponent("Ops Team/queue-depth-ops.json")
                let text = try String(contentsOf: file, encoding: .utf8)
                #expect(
                    text == """
                        {
                          "uid": "sptest-ops",
                          "title": "Queue Depth / Ops",
                          "zeta": 1,
                          "panels": [
                            {
                              "id": 4,
                              "type": "stat"
                            }
                          ],
                          "alpha": true
                        }

                        """)
                #expect(FileManager.default.fileExists(atPath: dashboards.appendingPathComponent("General/loose-ends.json").path))
                let again = try await Grafana.Exporter(client: client).export(uids: ["sptest-ops"], into: dashboards)
                #expect(again.items.map(\.action) == [.unchanged])
                #expect(try String(contentsOf: file, encoding: .utf8) == text)
            }
        }
    }

    @Test("exporting an unknown uid fails before writing anything")
    func unknownUID() async throws {
        try await Fixture.withRepositoryCopy { root in
            try await withRunningStandIn(Fixture.standIn(), logger: Fixture.logger) { url in
                let (client, _) = try Fixture.client(url: url)
                _ = try await Fixture.provisioner(client, root: root).sync()
                let target = root.appendingPathComponent("export-out")
                let error = try await #require(throws: Grafana.ProvisionError.self) {
                    try await Grafana.Exporter(client: client).export(uids: ["model-performance", "no-such-dashboard"], into: target)
                }
                #expect(error.description.contains("no-such-dashboard"))
                #expect(!FileManager.default.fileExists(atPath: target.path))
            }
        }
    }
}
