import Foundation
import HTTPTransport
import Testing

@testable import GrafanaStandIn

/// Every endpoint StackPilot calls (Sources/Grafana/Endpoints, plus `GET /api/user` of the
/// default-password check; datasource health is pinned in DatasourceTests, against a real Prometheus), pinned to Grafana's documented answers: status and body shape, each
/// row citing the Grafana doc (docs/sources/developers/http_api/…) or the OpenAPI spec
/// (public/api-merged.json, by operationId) it follows.
@Suite("grafana-standin contract: Grafana's documented answers for StackPilot's endpoints")
struct ContractTests {
    enum Auth: Sendable { case admin, token, wrongPassword }

    struct Case: Sendable, CustomStringConvertible {
        var method: String
        var path: String
        var body: String? = nil
        var auth: Auth = .admin
        var status: Int
        /// Members the answer's JSON object (or its first element, for arrays) must have.
        var keys: [String] = []
        /// String members with their exact value.
        var values: [String: String] = [:]
        var isArray = false
        var source: String
        var description: String { "\(method) \(path) → \(status)" }
    }

    static let rule = "high-error-rate"
    static let cases: [Case] = [
        Case(
            method: "GET", path: "/api/health", status: 200, keys: ["commit", "database", "version"], values: ["database": "ok"],
            source: "docs/sources/developers/http_api/other.md (Returns health information); api-merged.json getHealth"),
        Case(
            method: "GET", path: "/api/user", status: 200, keys: ["id", "login", "email", "isGrafanaAdmin", "orgId"],
            source: "docs/sources/developers/http_api/user.md (Actual user); api-merged.json getSignedInUser"),
        Case(
            method: "GET", path: "/api/user", auth: .wrongPassword, status: 401, keys: ["message", "messageId"],
            values: ["message": "Invalid username or password", "messageId": "password-auth.failed"],
            source: "pkg/services/authn/clients/password.go (errInvalidPassword); api-merged.json responses.unauthorisedError"),
        Case(
            method: "GET", path: "/api/datasources", status: 200, keys: ["id", "uid", "name", "type", "url", "isDefault", "readOnly"], isArray: true,
            source: "docs/sources/developers/http_api/data_source.md (Get all data sources); api-merged.json getDataSources"),
        Case(
            method: "GET", path: "/api/datasources/uid/stackpilot-prometheus", status: 200,
            keys: ["id", "uid", "name", "type", "access", "url", "jsonData", "version", "readOnly"], values: ["uid": "stackpilot-prometheus"],
            source: "data_source.md (Get a single data source by uid); api-merged.json getDataSourceByUID"),
        Case(
            method: "GET", path: "/api/datasources/uid/missing", status: 404, values: ["message": "Data source not found"],
            source: "data_source.md; pkg/api/datasources.go (GetDataSourceByUID: 404 Data source not found)"),
        Case(
            method: "POST", path: "/api/datasources", body: #"{"name":"C","type":"prometheus","uid":"c-ds","url":"http://p:9090","access":"proxy"}"#,
            status: 200, keys: ["datasource", "id", "message", "name"], values: ["message": "Datasource added", "name": "C"],
            source: "data_source.md (Create a data source); api-merged.json addDataSource"),
        Case(
            method: "POST", path: "/api/datasources", body: #"{"name":"Prometheus","type":"prometheus","access":"proxy"}"#,
            status: 409, values: ["message": "data source with the same name already exists"],
            source: "data_source.md (Create: 409 data source with the same name already exists); pkg/services/datasources/errors.go"),
        Case(
            method: "POST", path: "/api/datasources", body: #"{"name":"E","type":"prometheus"}"#, auth: .token, status: 200,
            keys: ["datasource"], source: "data_source.md (service account with the Admin role: datasources:create)"),
        Case(
            method: "PUT", path: "/api/datasources/uid/stackpilot-prometheus",
            body: #"{"name":"Prometheus","type":"prometheus","url":"http://other:9090","access":"proxy"}"#,
            status: 403, values: ["message": "Cannot update read-only data source"],
            source: "data_source.md (provisioned, editable: false); pkg/api/datasources.go (403 Cannot update read-only data source)"),
        Case(
            method: "GET", path: "/api/folders?limit=1", status: 200, keys: ["id", "uid", "title"], isArray: true,
            source: "docs/sources/developers/http_api/folder.md (Get all folders); api-merged.json getFolders"),
        Case(
            method: "GET", path: "/api/folders/cf", status: 200, keys: ["id", "uid", "title", "url", "version"], values: ["uid": "cf"],
            source: "folder.md (Get folder by uid); api-merged.json getFolderByUID"),
        Case(
            method: "GET", path: "/api/folders/missing", status: 404, values: ["message": "folder not found", "status": "not-found"],
            source: "folder.md (404 Folder not found); pkg/api/apierrors/folder.go ToFolderErrorResponse"),
        Case(
            method: "POST", path: "/api/folders", body: #"{"uid":"new-f","title":"New F"}"#, status: 200, keys: ["id", "uid", "title", "url", "version"],
            source: "folder.md (Create folder); api-merged.json createFolder"),
        Case(
            method: "POST", path: "/api/folders", body: #"{"uid":"cf","title":"Other"}"#, status: 409,
            values: ["message": "a folder/dashboard with the same uid already exists"],
            source: "folder.md (409 Folder with same uid already exists); pkg/services/dashboards/errors.go"),
        Case(
            method: "PUT", path: "/api/folders/cf", body: #"{"title":"Renamed","overwrite":true}"#, status: 200, values: ["title": "Renamed"],
            source: "folder.md (Update folder; overwrite); api-merged.json updateFolder"),
        Case(
            method: "PUT", path: "/api/folders/cf", body: #"{"title":"Renamed","version":99}"#, status: 412,
            values: ["status": "version-mismatch"], source: "folder.md (412 Precondition failed); pkg/api/apierrors/folder.go"),
        Case(
            method: "GET", path: "/api/search?type=dash-db", status: 200, keys: ["id", "uid", "title", "type", "url", "tags"], isArray: true,
            source: "docs/sources/developers/http_api/folder_dashboard_search.md; api-merged.json search"),
        Case(
            method: "POST", path: "/api/dashboards/db", body: #"{"dashboard":{"title":"N","uid":"n"},"folderUid":"cf","overwrite":false}"#,
            status: 200, keys: ["id", "uid", "url", "status", "version", "slug"], values: ["status": "success"],
            source: "docs/sources/developers/http_api/dashboard.md (Create / Update dashboard); api-merged.json postDashboard"),
        Case(
            method: "POST", path: "/api/dashboards/db", body: #"{"dashboard":{"title":"D","uid":"cd","version":5},"overwrite":false}"#,
            status: 412, values: ["status": "version-mismatch", "message": "The dashboard has been changed by someone else"],
            source: "dashboard.md (412 Precondition failed: version-mismatch); pkg/services/dashboards/errors.go"),
        Case(
            method: "GET", path: "/api/dashboards/uid/cd", status: 200, keys: ["dashboard", "meta"],
            source: "dashboard.md (Get dashboard by uid); api-merged.json getDashboardByUID"),
        Case(
            method: "GET", path: "/api/dashboards/uid/missing", status: 404, values: ["message": "Dashboard not found"],
            source: "dashboard.md (404 Not found); pkg/services/dashboards/errors.go ErrDashboardNotFound"),
        Case(
            method: "DELETE", path: "/api/dashboards/uid/cd", status: 200, keys: ["title", "message", "id", "uid"],
            source: "dashboard.md (Delete dashboard by uid); api-merged.json deleteDashboardByUID"),
        Case(
            method: "GET", path: "/api/v1/provisioning/alert-rules", status: 200,
            keys: ["uid", "title", "folderUID", "ruleGroup", "condition", "data", "for", "provenance"], isArray: true,
            source: "docs/sources/developers/http_api/alerting_provisioning.md (ProvisionedAlertRules); api-merged.json RouteGetAlertRules"),
        Case(
            method: "GET", path: "/api/v1/provisioning/alert-rules/\(rule)", status: 200, keys: ["uid", "title", "provenance"],
            values: ["uid": rule, "provenance": "file"], source: "alerting_provisioning.md (Get alert rule); api-merged.json RouteGetAlertRule"),
        Case(
            method: "GET", path: "/api/v1/provisioning/alert-rules/missing", status: 404,
            source: "alerting_provisioning.md (404 Not found, no body); api-merged.json RouteGetAlertRule"),
        Case(
            method: "DELETE", path: "/api/v1/provisioning/alert-rules/\(rule)", status: 409,
            values: ["messageId": "alerting.provenanceMismatch"],
            source: "pkg/services/ngalert/provisioning/validation/provenance.go; pkg/services/ngalert/api/api_provisioning.go (409)"),
        Case(
            method: "DELETE", path: "/api/v1/provisioning/alert-rules/missing", status: 204,
            source: "alerting_provisioning.md (Delete alert rule: 204 No content); api-merged.json RouteDeleteAlertRule"),
        Case(
            method: "POST", path: "/api/admin/provisioning/alerting/reload", status: 200, values: ["message": "Alerting config reloaded"],
            source: "docs/sources/developers/http_api/admin.md (Reload provisioning configurations); pkg/api/admin_provisioning.go"),
        Case(
            method: "POST", path: "/api/admin/provisioning/alerting/reload", auth: .token, status: 403, keys: ["message"],
            source: "admin.md (only Grafana server admins: provisioning:reload); pkg/api/api.go"),
    ]

    @Test("status and body shape as Grafana documents them", arguments: cases)
    func contract(_ testCase: Case) async throws {
        var configuration = Fixture.configuration(
            password: "contract-pw", provisioning: GrafanaClientTests.root.appendingPathComponent("stacks/grafana/provisioning").path,
            token: "glsa_contract")
        configuration.environment = [:]
        try await Fixture.withStandIn(configuration) { client async throws in
            #expect(try await client.post("/api/folders", ["uid": "cf", "title": "Contract"]).status == 200)
            #expect(try await client.post("/api/dashboards/db", ["dashboard": ["title": "D", "uid": "cd"]]).status == 200)
            let caller: StandInClient
            switch testCase.auth {
            case .admin: caller = client
            case .token: caller = client.with(authorization: "Bearer glsa_contract")
            case .wrongPassword: caller = client.with(authorization: StandInClient.basic("admin", "admin"))
            }
            let reply = try await caller.request(try #require(HTTPMethod(rawValue: testCase.method)), testCase.path, raw: testCase.body)
            #expect(reply.status == testCase.status, "\(testCase.source): \(reply.text.prefix(200))")
            let object = testCase.isArray ? (reply.array.first ?? [:]) : reply.object
            if testCase.isArray { #expect(reply.json is [Any], "\(testCase.source)") }
            for key in testCase.keys { #expect(object[key] != nil, "\(key) missing; \(testCase.source)") }
            for (key, value) in testCase.values { #expect(object[key] as? String == value, "\(key); \(testCase.source)") }
            if testCase.status == 204 || (testCase.status == 404 && testCase.path.hasPrefix("/api/v1/")) { #expect(reply.body.isEmpty) }
        }
    }
}
