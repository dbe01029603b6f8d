import Foundation
import Testing

@testable import GrafanaStandIn

/// The stand-in's rules where Grafana 11 is strict: provenance, provisioning reloads, brute-force
/// lockout, basic-role permissions, raw query models, `/api/frontend/settings`. Each expected answer
/// is Grafana's (the source file is named in the stand-in's README, "Sources followed").
@Suite("grafana-standin behaves as Grafana 11")
struct Grafana11RulesTests {
    static let disable = [(name: "X-Disable-Provenance", value: "true")]

    static func alertingFile(title: String = "High inference latency", extra: String = "") -> String {
        """
        apiVersion: 1
        groups:
          - orgId: 1
            name: guide
            folder: Alerts
            interval: 2m
            rules:
              - uid: p95
                title: \(title)
                condition: A
                data:
                  - refId: A
                    relativeTimeRange: { from: 600, to: 0 }
                    datasourceUid: prometheus
                    model: { refId: A, expr: 'sum(rate(http_requests_total[$__rate_interval]))' }
        \(extra)
        """
    }

    /// A stand-in reading `alerting/rules.yaml` from a scratch provisioning directory the test may rewrite.
    static func withProvisioned(_ text: String = alertingFile(), _ body: @Sendable (StandInClient, URL) async throws -> Void) async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Fixture.write(text, to: root.appendingPathComponent("alerting/rules.yaml"))
        try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { client async throws in
            try await body(client, root)
        }
    }

    struct ProvenanceCase: Sendable, CustomStringConvertible {
        var stored: String
        var requested: String
        var allowed: Bool
        var description: String { "'\(stored)' -> '\(requested)'" }
    }

    @Test(
        "provenance changes follow CanUpdateProvenanceInRuleGroup",
        arguments: [
            ProvenanceCase(stored: "", requested: "", allowed: true),
            ProvenanceCase(stored: "", requested: "api", allowed: true),
            ProvenanceCase(stored: "", requested: "file", allowed: true),
            ProvenanceCase(stored: "api", requested: "api", allowed: true),
            ProvenanceCase(stored: "api", requested: "", allowed: true),
            ProvenanceCase(stored: "api", requested: "file", allowed: false),
            ProvenanceCase(stored: "file", requested: "file", allowed: true),
            ProvenanceCase(stored: "file", requested: "", allowed: false),
            ProvenanceCase(stored: "file", requested: "api", allowed: false),
        ])
    func provenanceTable(_ testCase: ProvenanceCase) {
        #expect(GrafanaStore.canChangeProvenance(from: testCase.stored, to: testCase.requested) == testCase.allowed)
    }

    @Test("a file-provisioned rule: PUT 500 (with or without X-Disable-Provenance), DELETE 409 alerting.provenanceMismatch")
    func fileRuleRefusals() async throws {
        try await Self.withProvisioned { client, _ async throws in
            let rule = try await client.get("/api/v1/provisioning/alert-rules/p95").object
            for headers in [[], Self.disable] {
                let put = try await client.request(.put, "/api/v1/provisioning/alert-rules/p95", json: rule, headers: headers)
                #expect(put.status == 500)
                #expect(put.message == "Internal Server Error")
            }
            let delete = try await client.request(.delete, "/api/v1/provisioning/alert-rules/p95", headers: Self.disable)
            #expect(delete.status == 409)
            #expect(delete.object["messageId"] as? String == "alerting.provenanceMismatch")
            #expect(delete.message == "cannot delete with provided provenance '', needs 'file'")
            #expect(try await client.get("/api/v1/provisioning/alert-rules/p95").status == 200)
        }
    }

    @Test("X-Disable-Provenance may update a stored api rule, which then has no provenance")
    func resetApiProvenance() async throws {
        try await AlertRuleTests.withFolder { client async throws in
            #expect(try await client.post("/api/v1/provisioning/alert-rules", AlertRuleTests.rule()).status == 201)
            let put = try await client.request(.put, "/api/v1/provisioning/alert-rules/p95", json: AlertRuleTests.rule(), headers: Self.disable)
            #expect(put.status == 200)
            #expect(put.object["provenance"] as? String == "")
        }
    }

    @Test("an api rule that the alerting file also defines is refused at reload (500) and stops a start")
    func apiToFile() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { client async throws in
            #expect(try await client.post("/api/folders", ["uid": "alerts", "title": "Alerts"]).status == 200)
            #expect(try await client.post("/api/v1/provisioning/alert-rules", AlertRuleTests.rule()).status == 201)
            try Fixture.write(Self.alertingFile(), to: root.appendingPathComponent("alerting/rules.yaml"))
            let reload = try await client.request(.post, "/api/admin/provisioning/alerting/reload")
            #expect(reload.status == 500)
            #expect(reload.message == "Internal Server Error")
            #expect(try await client.get("/api/v1/provisioning/alert-rules/p95").object["provenance"] as? String == "api")
        }
        // The same conflict while starting: the api rule is kept in the data directory (as in
        // Grafana's database) and the next start refuses it, as Grafana exits.
        let data = root.appendingPathComponent("data")
        var configuration = Fixture.configuration(provisioning: root.appendingPathComponent("empty").path)
        configuration.dataPath = data.path
        try await Fixture.withStandIn(configuration) { client async throws in
            #expect(try await client.post("/api/folders", ["uid": "alerts", "title": "Alerts"]).status == 200)
            #expect(try await client.post("/api/v1/provisioning/alert-rules", AlertRuleTests.rule()).status == 201)
        }
        configuration.provisioningPath = root.path
        do {
            try await Fixture.withStandIn(configuration) { _ async throws in }
            Issue.record("provisioning accepted an api rule becoming file")
        } catch let error as StandInError {
            guard case .provisioning(_, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(reason.contains("cannot change provenance from 'api' to 'file'"))
        }
    }

    @Test("reload applies a changed alerting file, keeps rules the file no longer lists, and sets the group interval")
    func reloadAlerting() async throws {
        try await Self.withProvisioned { client, root async throws in
            let folder = try #require(try await client.get("/api/v1/provisioning/alert-rules/p95").object["folderUID"] as? String)
            #expect(try await client.get("/api/v1/provisioning/folder/\(folder)/rule-groups/guide").object["interval"] as? Int == 120)
            try Fixture.write(
                Self.alertingFile(title: "Renamed").replacingOccurrences(of: "uid: p95", with: "uid: p99"),
                to: root.appendingPathComponent("alerting/rules.yaml"))
            let reload = try await client.request(.post, "/api/admin/provisioning/alerting/reload")
            #expect(reload.status == 200)
            #expect(reload.message == "Alerting config reloaded")
            #expect(try await client.get("/api/v1/provisioning/alert-rules/p99").object["title"] as? String == "Renamed")
            #expect(try await client.get("/api/v1/provisioning/alert-rules/p95").status == 200)
        }
    }

    @Test("query models in alerting files are kept raw: $__rate_interval survives")
    func rawModel() async throws {
        try await Self.withProvisioned { client, _ async throws in
            let rule = try await client.get("/api/v1/provisioning/alert-rules/p95").object
            let data = try #require(rule["data"] as? [[String: Any]])
            #expect((data.first?["model"] as? [String: Any])?["expr"] as? String == "sum(rate(http_requests_total[$__rate_interval]))")
        }
    }

    @Test("a rule group without folder (folderUID alone) stops the start")
    func groupWithoutFolder() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Fixture.write(
            Self.alertingFile().replacingOccurrences(of: "folder: Alerts", with: "folderUID: alerts"),
            to: root.appendingPathComponent("alerting/rules.yaml"))
        await #expect(throws: StandInError.self) {
            try await Fixture.withStandIn(Fixture.configuration(provisioning: root.path)) { _ async throws in }
        }
    }

    @Test("five failed logins in five minutes block the user: the right password then gets 401 login-attempt.blocked")
    func lockout() async throws {
        try await Fixture.withStandIn(Fixture.configuration(password: "s3cret")) { client async throws in
            let wrong = client.with(authorization: StandInClient.basic("admin", "admin"))
            for _ in 1...4 { #expect(try await wrong.get("/api/user").status == 401) }
            #expect(try await client.get("/api/user").status == 200)
            let fifth = try await wrong.get("/api/user")
            #expect(fifth.object["messageId"] as? String == "password-auth.failed")
            let blocked = try await client.get("/api/user")
            #expect(blocked.status == 401)
            #expect(blocked.message == "Invalid username or password")
            #expect(blocked.object["messageId"] as? String == "login-attempt.blocked")
        }
    }

    @Test("failed logins older than five minutes no longer count")
    func lockoutWindow() async throws {
        let clock = TestClock()
        let state = try GrafanaState(configuration: Fixture.configuration(password: "s3cret"), clock: { clock.now })
        let wrong = StandInClient.basic("admin", "admin"), right = StandInClient.basic("admin", "s3cret")
        for _ in 1...5 { _ = await state.authenticate(authorization: wrong) }
        if case .success = await state.authenticate(authorization: right) { Issue.record("not blocked after five failures") }
        clock.advance(by: 301)
        #expect(await state.failedLoginCount(user: "admin") == 0)
        if case .failure = await state.authenticate(authorization: right) { Issue.record("still blocked after the window") }
    }

    struct PermissionCase: Sendable, CustomStringConvertible {
        var role: String
        var method: String
        var path: String
        var needed: String?
        var description: String { "\(role) \(method) \(path)" }
    }

    @Test(
        "basic-role permissions",
        arguments: [
            PermissionCase(role: "Editor", method: "POST", path: "/api/datasources", needed: "datasources:create"),
            PermissionCase(role: "Editor", method: "PUT", path: "/api/datasources/uid/x", needed: "datasources:write"),
            PermissionCase(role: "Editor", method: "GET", path: "/api/datasources/uid/x", needed: nil),
            PermissionCase(role: "Editor", method: "POST", path: "/api/folders", needed: nil),
            PermissionCase(role: "Editor", method: "POST", path: "/api/dashboards/db", needed: nil),
            PermissionCase(role: "Editor", method: "POST", path: "/api/v1/provisioning/alert-rules", needed: "alert.provisioning:write"),
            PermissionCase(role: "Admin", method: "POST", path: "/api/admin/provisioning/alerting/reload", needed: "provisioning:reload"),
            PermissionCase(role: "Admin", method: "POST", path: "/api/datasources", needed: nil),
            PermissionCase(role: "Viewer", method: "POST", path: "/api/folders", needed: "folders:create"),
            PermissionCase(role: "Viewer", method: "DELETE", path: "/api/dashboards/uid/x", needed: "dashboards:delete"),
            PermissionCase(role: "Viewer", method: "GET", path: "/api/v1/provisioning/alert-rules", needed: nil),
        ])
    func permissions(_ testCase: PermissionCase) {
        let identity = Identity.serviceAccount(id: 2, login: "sa", role: testCase.role)
        #expect(requiredPermission(method: testCase.method, path: testCase.path, identity: identity) == testCase.needed)
    }

    @Test("an Editor token gets Grafana's 403 access-denied body on datasource create")
    func editorDatasource() async throws {
        try await Fixture.withStandIn { client async throws in
            let id = try #require(try await client.post("/api/serviceaccounts", ["name": "editor", "role": "Editor"]).object["id"] as? Int)
            let key = try #require(try await client.post("/api/serviceaccounts/\(id)/tokens", ["name": "t"]).object["key"] as? String)
            let editor = client.with(authorization: "Bearer \(key)")
            let refused = try await editor.post("/api/datasources", ["name": "P", "type": "prometheus", "url": "http://p:9090"])
            #expect(refused.status == 403)
            #expect(refused.object["title"] as? String == "Access denied")
            #expect(refused.message?.hasSuffix("Permissions needed: datasources:create") == true)
            #expect(try await editor.post("/api/folders", ["uid": "f", "title": "F"]).status == 200)
        }
    }

    @Test("/api/frontend/settings answers buildInfo with the version")
    func frontendSettings() async throws {
        try await Fixture.withStandIn { client async throws in
            let settings = try await client.get("/api/frontend/settings")
            #expect(settings.status == 200)
            #expect((settings.object["buildInfo"] as? [String: Any])?["version"] as? String == StandInConfiguration.version)
        }
    }
}

/// A settable clock for the lockout window.
final class TestClock: @unchecked Sendable {
    // Safe: tests set and read it from one task at a time, under the lock.
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}
