import Foundation
import JSONDocument
import Testing

@testable import Grafana

@Suite("Grafana.DashboardJSON")
struct DashboardJSONTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the repository's dashboards re-serialise byte-identically", arguments: ["model-performance.json", "system-performance.json"])
    func repositoryDashboardsRoundTrip(file: String) throws {
        let url = Self.repositoryRoot.appendingPathComponent("dashboards").appendingPathComponent(file)
        let data = try Data(contentsOf: url)
        let dashboard = try Grafana.DashboardJSON(data: data)
        #expect(dashboard.exported() == data)
        #expect(dashboard.uid == file.replacingOccurrences(of: ".json", with: ""))
    }

    @Test("key order survives parsing and exporting; id and version go, nested ids stay")
    func keyOrder() throws {
        let text = #"{"zeta": 1, "id": 9, "alpha": {"b": [1, 2.5, "x\n"], "a": null, "id": 3}, "version": 4, "mid": true}"#
        let dashboard = try Grafana.DashboardJSON(data: Data(text.utf8))
        let out = String(decoding: dashboard.exported(), as: UTF8.self)
        #expect(
            out
                == "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"b\": [\n      1,\n      2.5,\n      \"x\\n\"\n    ],\n    \"a\": null,\n    \"id\": 3\n  },\n  \"mid\": true\n}\n"
        )
    }

    @Test("invalid JSON names line and column")
    func invalidJSON() {
        do {
            _ = try Grafana.DashboardJSON(data: Data("{\n  \"a\": 1,\n  oops\n}".utf8))
            Issue.record("parsed invalid JSON")
        } catch let error as JSONDocument.ParseError {
            #expect(error.line == 3)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(throws: Grafana.DashboardJSON.ShapeError.self) { try Grafana.DashboardJSON(data: Data("[1, 2]".utf8)) }
    }

    @Test("comparison ignores id, version and key order, but not panel changes")
    func equivalence() throws {
        let a = try Grafana.DashboardJSON(data: Data(#"{"id": 3, "uid": "u", "version": 7, "panels": [{"id": 1, "title": "A"}]}"#.utf8))
        let b = try Grafana.DashboardJSON(data: Data(#"{"panels": [{"title": "A", "id": 1}], "uid": "u"}"#.utf8))
        let c = try Grafana.DashboardJSON(data: Data(#"{"uid": "u", "panels": [{"id": 2, "title": "A"}]}"#.utf8))
        #expect(a.isEquivalent(to: b))
        #expect(!a.isEquivalent(to: c))
    }

    @Test("dangling datasource uids and ${DS_} inputs are repaired; variables and other types are not")
    func repair() throws {
        let text = #"""
            {"__inputs": [{"name": "DS_PROMETHEUS", "type": "datasource"}], "uid": "r",
             "templating": {"list": [{"name": "ds", "type": "datasource"}]},
             "panels": [
               {"datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, "targets": [{"datasource": {"type": "prometheus", "uid": "gone"}}]},
               {"datasource": {"type": "prometheus", "uid": "stackpilot-prometheus"}},
               {"datasource": {"type": "loki", "uid": "gone-loki"}},
               {"datasource": "${ds}"},
               {"datasource": "-- Grafana --"},
               {"datasource": {"type": "prometheus", "uid": "gone"}}
             ]}
            """#
        var dashboard = try Grafana.DashboardJSON(data: Data(text.utf8))
        let repairs = dashboard.repairDatasources(existingUIDs: ["stackpilot-prometheus"], existingNames: ["Prometheus"], target: "stackpilot-prometheus")
        #expect(
            repairs == [
                Grafana.DatasourceRepair(reference: "${DS_PROMETHEUS}", count: 1, target: "stackpilot-prometheus"),
                Grafana.DatasourceRepair(reference: "gone", count: 2, target: "stackpilot-prometheus"),
            ])
        #expect(dashboard.model["__inputs"] == nil)
        let out = String(decoding: dashboard.exported(), as: UTF8.self)
        #expect(!out.contains("DS_PROMETHEUS"))
        #expect(out.contains("gone-loki"))
        #expect(out.contains("${ds}"))
        var again = dashboard
        #expect(again.repairDatasources(existingUIDs: ["stackpilot-prometheus"], existingNames: [], target: "stackpilot-prometheus").isEmpty)
    }
}
