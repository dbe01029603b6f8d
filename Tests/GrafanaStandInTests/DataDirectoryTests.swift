import Foundation
import Testing

@testable import GrafanaStandIn

/// State kept in the data directory across restarts (as Grafana keeps grafana.db in
/// /var/lib/grafana), and dashboard files read again every `updateIntervalSeconds`
/// (pkg/services/provisioning/dashboards/file_reader.go).
@Suite("grafana-standin data directory and dashboard file re-reads")
struct DataDirectoryTests {
    static func configuration(data: URL, provisioning: URL? = nil, password: String = "admin") -> StandInConfiguration {
        var configuration = Fixture.configuration(password: password, provisioning: provisioning?.path)
        configuration.dataPath = data.path
        return configuration
    }

    @Test("write, stop, start: datasources, folders, dashboards with versions, rules with provenance, password, tokens and failed logins are back")
    func restart() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        let token = try await Fixture.withStandIn(Self.configuration(data: data)) { client async throws -> String in
            #expect(try await client.post("/api/datasources", ["name": "P", "type": "prometheus", "uid": "p", "url": "http://x:9090"]).status == 200)
            #expect(try await client.post("/api/folders", ["uid": "alerts", "title": "Alerts"]).status == 200)
            #expect(try await client.post("/api/dashboards/db", ["dashboard": ["title": "D", "uid": "d"]]).status == 200)
            #expect(try await client.post("/api/dashboards/db", ["dashboard": ["title": "D", "uid": "d", "version": 1]]).object["version"] as? Int == 2)
            #expect(try await client.post("/api/v1/provisioning/alert-rules", AlertRuleTests.rule()).status == 201)
            let account = try await client.post("/api/serviceaccounts", ["name": "ci", "role": "Admin"]).object
            let id = try #require(account["id"] as? Int)
            let token = try #require(try await client.post("/api/serviceaccounts/\(id)/tokens", ["name": "t"]).object["key"] as? String)
            #expect(try await client.request(.put, "/api/user/password", json: ["oldPassword": "admin", "newPassword": "n3w-pass"]).status == 200)
            let wrong = client.with(authorization: StandInClient.basic("admin", "admin"))
            #expect(try await wrong.get("/api/user").status == 401)
            return token
        }
        let file = data.appendingPathComponent(GrafanaState.fileName)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // The configuration still says admin/admin: a kept state keeps the changed password.
        try await Fixture.withStandIn(Self.configuration(data: data)) { client async throws in
            #expect(try await client.get("/api/user").status == 401)
            let admin = client.with(authorization: StandInClient.basic("admin", "n3w-pass"))
            #expect(try await admin.get("/api/datasources/uid/p").object["url"] as? String == "http://x:9090")
            #expect(try await admin.get("/api/folders/alerts").status == 200)
            #expect(try await admin.get("/api/dashboards/uid/d").object["meta"].flatMap { ($0 as? [String: Any])?["version"] as? Int } == 2)
            #expect(try await admin.get("/api/v1/provisioning/alert-rules/p95").object["provenance"] as? String == "api")
            let bearer = client.with(authorization: "Bearer \(token)")
            #expect(try await bearer.get("/api/folders").status == 200)
        }
        let state = try GrafanaState(configuration: Self.configuration(data: data))
        #expect(await state.failedLoginCount(user: "admin") == 2)
    }

    @Test("a refused request changes nothing kept, and a corrupt state file is a clear start-up error")
    func corrupt() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try Fixture.write("{not json", to: data.appendingPathComponent(GrafanaState.fileName))
        do {
            try await Fixture.withStandIn(Self.configuration(data: data)) { _ async throws in }
            Issue.record("started on a corrupt state file")
        } catch let error as StandInError {
            guard case .database(let file, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file.hasSuffix(GrafanaState.fileName))
        }
    }

    static func provider(_ path: URL, allowUiUpdates: Bool, disableDeletion: Bool) -> String {
        """
        apiVersion: 1
        providers:
          - name: files
            type: file
            allowUiUpdates: \(allowUiUpdates)
            disableDeletion: \(disableDeletion)
            updateIntervalSeconds: 1
            options:
              path: \(path.path)
        """
    }

    static func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<60 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test(
        "changed files are saved again, removed ones deleted; API saves of a provisioned dashboard get Grafana's answers",
        arguments: [false, true])
    func rescan(disableDeletion: Bool) async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let files = root.appendingPathComponent("files")
        try Fixture.write(#"{"title":"Board","uid":"board","panels":[]}"#, to: files.appendingPathComponent("board.json"))
        try Fixture.write(
            Self.provider(files, allowUiUpdates: false, disableDeletion: disableDeletion),
            to: root.appendingPathComponent("provisioning/dashboards/files.yaml"))
        var configuration = Fixture.configuration(provisioning: root.appendingPathComponent("provisioning").path)
        configuration.dataPath = root.appendingPathComponent("data").path
        try await Fixture.withStandIn(configuration) { client async throws in
            #expect(try await client.get("/api/dashboards/uid/board").object["meta"].flatMap { ($0 as? [String: Any])?["provisioned"] as? Bool } == true)
            // allowUiUpdates false: Grafana refuses the save (pkg/api/dashboard.go → dashboard_service.go).
            let refused = try await client.post("/api/dashboards/db", ["dashboard": ["title": "Board", "uid": "board", "version": 1]])
            #expect(refused.status == 400)
            #expect(refused.message == "Cannot save provisioned dashboard")
            // A stale version is refused first by the store's check: 412 version-mismatch.
            let stale = try await client.post("/api/dashboards/db", ["dashboard": ["title": "Board", "uid": "board", "version": 7]])
            #expect(stale.status == 412)
            #expect(stale.object["status"] as? String == "version-mismatch")
            // An unchanged file is not saved again; a changed one is, with the next version.
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await client.get("/api/dashboards/uid/board").object["dashboard"].flatMap { ($0 as? [String: Any])?["version"] as? Int } == 1)
            try Fixture.write(#"{"title":"Board v2","uid":"board","panels":[]}"#, to: files.appendingPathComponent("board.json"))
            try await Self.waitFor("the changed file") {
                try await client.get("/api/dashboards/uid/board").object["dashboard"].flatMap { ($0 as? [String: Any])?["title"] as? String } == "Board v2"
            }
            #expect(try await client.get("/api/dashboards/uid/board").object["dashboard"].flatMap { ($0 as? [String: Any])?["version"] as? Int } == 2)
            try FileManager.default.removeItem(at: files.appendingPathComponent("board.json"))
            if disableDeletion {
                // Kept, no longer provisioned: the API may save it again.
                try await Self.waitFor("the dashboard to be unprovisioned") {
                    try await client.get("/api/dashboards/uid/board").object["meta"].flatMap { ($0 as? [String: Any])?["provisionedExternalId"] as? String }
                        == ""
                }
                #expect(try await client.post("/api/dashboards/db", ["dashboard": ["title": "Board v2", "uid": "board", "version": 2]]).status == 200)
            } else {
                try await Self.waitFor("the dashboard to be deleted") { try await client.get("/api/dashboards/uid/board").status == 404 }
            }
        }
    }
}
