import Foundation
import JSONDocument
import Testing

@testable import Grafana

/// `ProvisionPlanner.plan`: the pure diff of the repository against what Grafana holds.
@Suite("Grafana.ProvisionPlanner")
struct ProvisionPlannerTests {
    static let datasource: JSONValue = .object([
        "uid": .string("ds"), "name": .string("Prometheus"), "type": .string("prometheus"),
        "url": .string("http://prometheus:9090"),
    ])

    static func with(_ value: JSONValue, _ changes: [String: JSONValue]) -> JSONValue {
        guard case .object(var object) = value else { return value }
        for (key, change) in changes { object[key] = change }
        return .object(object)
    }

    static func rule(_ uid: String, provenance: String? = nil, folder: String = "stackpilot-alerts", group: String = "guide") -> JSONValue {
        var object: [String: JSONValue] = [
            "uid": .string(uid), "title": .string(uid.uppercased()), "condition": .string("A"),
            "data": .array([.object(["refId": .string("A")])]),
        ]
        if let provenance {
            object["provenance"] = .string(provenance)
            object["folderUID"] = .string(folder)
            object["ruleGroup"] = .string(group)
            object["orgID"] = .int(1)
        }
        return .object(object)
    }

    static let alertGroup = Grafana.AlertGroupSpec(
        name: "guide", folderTitle: "StackPilot Alerts", interval: "1m", rules: [rule("r1")],
        path: "alerting/rules.yml")

    /// A stable code per operation, to compare plans without comparing sentences.
    static func code(_ operation: Grafana.ProvisionPlan.Operation) -> String {
        switch operation {
        case .none: "none"
        case .writeDatasource: "write-datasource"
        case .reloadDatasource: "reload-datasource"
        case .createFolder: "create-folder"
        case .renameFolder: "rename-folder"
        case .saveDashboard: "save-dashboard"
        case .deleteDashboard: "delete-dashboard"
        case .reloadAlertRule(let change): change.deleteFirst ? "delete-then-reload-rule" : "reload-rule"
        case .deleteAlertRule: "delete-rule"
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var desired: Grafana.DesiredState
        var observed: Grafana.ObservedState
        var prune = false
        /// (kind, uid, action, operation code) per step, in order.
        var expected: [String]
    }

    static let ruleFolder = Grafana.Folder(uid: Grafana.folderUID(forTitle: "StackPilot Alerts"), title: "StackPilot Alerts")

    static let cases: [Case] = [
        Case(
            testDescription: "a missing datasource: Grafana reads its files, else it is created",
            desired: .init(datasources: [datasource], dashboards: [], dashboardFolders: [], alertGroups: []),
            observed: .init(datasources: ["ds": .success(nil)]),
            expected: ["datasource ds created reload-datasource"]),
        Case(
            testDescription: "a datasource as the file says (server defaults added) is unchanged",
            desired: .init(datasources: [datasource], dashboards: [], dashboardFolders: [], alertGroups: []),
            observed: .init(datasources: ["ds": .success(with(datasource, ["id": .int(1), "access": .string("proxy")]))]),
            expected: ["datasource ds unchanged none"]),
        Case(
            testDescription: "a file-provisioned datasource that differs is read again, never written",
            desired: .init(datasources: [datasource], dashboards: [], dashboardFolders: [], alertGroups: []),
            observed: .init(datasources: ["ds": .success(with(datasource, ["url": .string("http://old:9090"), "readOnly": .bool(true)]))]),
            expected: ["datasource ds updated reload-datasource"]),
        Case(
            testDescription: "an API-created datasource that differs is updated through the API",
            desired: .init(datasources: [datasource], dashboards: [], dashboardFolders: [], alertGroups: []),
            observed: .init(datasources: ["ds": .success(with(datasource, ["url": .string("http://old:9090"), "readOnly": .bool(false)]))]),
            expected: ["datasource ds updated write-datasource"]),
        Case(
            testDescription: "a refused datasource read is one failed item",
            desired: .init(datasources: [datasource], dashboards: [], dashboardFolders: [], alertGroups: []),
            observed: .init(datasources: ["ds": .failure(.http(method: "GET", path: "/api/datasources/uid/ds", status: 403, message: "no", grafanaStatus: nil))]
            ),
            expected: ["datasource ds failed none"]),
        Case(
            testDescription: "folders: created when missing, renamed by uid, adopted by title",
            desired: .init(
                datasources: [], dashboards: [],
                dashboardFolders: [
                    .init(uid: "a", title: "A", directory: "A"), .init(uid: "b", title: "B", directory: "B"),
                    .init(uid: "c", title: "C", directory: "C"),
                ], alertGroups: []),
            observed: .init(folders: [.init(uid: "b", title: "Old B"), .init(uid: "other", title: "C")]),
            expected: ["folder a created create-folder", "folder b updated rename-folder", "folder other unchanged none"]),
        Case(
            testDescription: "alert rules: a missing rule is read again by Grafana, its folder created first",
            desired: .init(datasources: [], dashboards: [], dashboardFolders: [], alertGroups: [alertGroup]),
            observed: .init(alertRules: .success([:])),
            expected: ["folder \(ruleFolder.uid) created create-folder", "alert-rule r1 created reload-rule"]),
        Case(
            testDescription: "alert rules: one held as written through the API is deleted, then read again",
            desired: .init(datasources: [], dashboards: [], dashboardFolders: [], alertGroups: [alertGroup]),
            observed: .init(folders: [ruleFolder], alertRules: .success(["r1": rule("r1", provenance: "api", folder: ruleFolder.uid)])),
            expected: ["folder \(ruleFolder.uid) unchanged none", "alert-rule r1 updated delete-then-reload-rule"]),
        Case(
            testDescription: "alert rules: one held from the file as the file says is unchanged",
            desired: .init(datasources: [], dashboards: [], dashboardFolders: [], alertGroups: [alertGroup]),
            observed: .init(folders: [ruleFolder], alertRules: .success(["r1": rule("r1", provenance: "file", folder: ruleFolder.uid)])),
            expected: ["folder \(ruleFolder.uid) unchanged none", "alert-rule r1 unchanged none"]),
        Case(
            testDescription: "alert rules: a refused listing fails every rule, and nothing is written",
            desired: .init(datasources: [], dashboards: [], dashboardFolders: [], alertGroups: [alertGroup]),
            observed: .init(
                folders: [ruleFolder],
                alertRules: .failure(.http(method: "GET", path: "/api/v1/provisioning/alert-rules", status: 403, message: "no", grafanaStatus: nil))),
            expected: ["folder \(ruleFolder.uid) unchanged none", "alert-rule r1 failed none"]),
        Case(
            testDescription: "prune: a rule the files dropped is deleted, a file-provisioned one is a failed item, others' groups are left",
            desired: .init(datasources: [], dashboards: [], dashboardFolders: [], alertGroups: [alertGroup]),
            observed: .init(
                folders: [ruleFolder],
                alertRules: .success([
                    "r1": rule("r1", provenance: "file", folder: ruleFolder.uid),
                    "r2": rule("r2", provenance: "api", folder: ruleFolder.uid),
                    "r3": rule("r3", provenance: "file", folder: ruleFolder.uid),
                    "r4": rule("r4", provenance: "api", folder: ruleFolder.uid, group: "someone-else"),
                ])),
            prune: true,
            expected: [
                "folder \(ruleFolder.uid) unchanged none", "alert-rule r1 unchanged none", "alert-rule r2 removed delete-rule",
                "alert-rule r3 failed none",
            ]),
    ]

    @Test("each object gets the action its state calls for", arguments: cases)
    func plan(_ c: Case) {
        let plan = Grafana.ProvisionPlanner.plan(c.desired, observed: c.observed, prune: c.prune, credentials: .basic(user: "admin", password: "x"))
        let got = plan.steps.map { "\($0.item.kind.rawValue) \($0.item.uid) \($0.item.action.rawValue) \(Self.code($0.operation))" }
        #expect(got == c.expected)
        #expect(
            plan.steps.allSatisfy { $0.item.action == .unchanged || $0.item.detail != nil || $0.item.kind == .folder },
            "every change carries its reason")
    }

    @Test("dashboards: new, equal, changed and moved, and prune candidates only in managed folders")
    func dashboards() throws {
        func board(_ uid: String, _ title: String) throws -> Grafana.DashboardJSON {
            try Grafana.DashboardJSON(data: Data(#"{"uid": "\#(uid)", "title": "\#(title)", "panels": []}"#.utf8))
        }
        let folder = Grafana.defaultFolder
        let desired = Grafana.DesiredState(
            datasources: [],
            dashboards: [
                .init(path: "dashboards/new.json", folder: folder, dashboard: try board("new", "New")),
                .init(path: "dashboards/same.json", folder: folder, dashboard: try board("same", "Same")),
                .init(path: "dashboards/changed.json", folder: folder, dashboard: try board("changed", "Changed")),
                .init(path: "dashboards/moved.json", folder: folder, dashboard: try board("moved", "Moved")),
            ], dashboardFolders: [folder], alertGroups: [])
        let meta = Grafana.DashboardMeta(version: 3, folderUid: folder.uid, folderTitle: folder.title)
        let observed = Grafana.ObservedState(
            folders: [.init(uid: folder.uid, title: folder.title)],
            dashboards: [
                "same": .init(dashboard: try board("same", "Same"), meta: meta),
                "changed": .init(dashboard: try board("changed", "Changed before"), meta: meta),
                "moved": .init(dashboard: try board("moved", "Moved"), meta: .init(version: 1, folderUid: "elsewhere", folderTitle: "Elsewhere")),
            ],
            searchHits: [.init(uid: "gone", title: "Gone", folderUid: folder.uid), .init(uid: "theirs", title: "Theirs", folderUid: "elsewhere")])
        let plan = Grafana.ProvisionPlanner.plan(desired, observed: observed, prune: true, credentials: .none)
        let got = plan.steps.map { "\($0.item.uid) \($0.item.action.rawValue) \(Self.code($0.operation))" }
        #expect(
            got == [
                "stackpilot unchanged none", "new created save-dashboard", "same unchanged none", "changed updated save-dashboard",
                "moved updated save-dashboard", "gone removed delete-dashboard",
            ])
        #expect(Grafana.ProvisionPlanner.plan(desired, observed: observed, prune: false, credentials: .none).steps.allSatisfy { $0.item.uid != "gone" })
    }
}
