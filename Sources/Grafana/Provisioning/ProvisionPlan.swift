import Durations
import Foundation
import JSONDocument

extension Grafana {
    /// What Grafana holds of what the repository manages, read with GET requests only before
    /// anything is planned. A read that Grafana refused (other than 401) is kept as its error, so
    /// the plan turns it into one failed item.
    public struct ObservedState: Sendable {
        /// The stored datasource per uid of the repository's datasources (`nil`: Grafana has none).
        public var datasources: [String: Result<JSONValue?, ClientError>]
        /// Every datasource Grafana has, to repair dashboards' dangling references.
        public var datasourceSummaries: [DatasourceSummary]
        public var folders: [Folder]
        /// The stored dashboard per uid of the repository's dashboards that Grafana has.
        public var dashboards: [String: StoredDashboard]
        /// Every dashboard Grafana lists (read only to find prune candidates).
        public var searchHits: [SearchHit]
        /// Every alert rule by uid, or Grafana's refusal to list them.
        public var alertRules: Result<[String: JSONValue], ClientError>

        public init(
            datasources: [String: Result<JSONValue?, ClientError>] = [:], datasourceSummaries: [DatasourceSummary] = [],
            folders: [Folder] = [], dashboards: [String: StoredDashboard] = [:], searchHits: [SearchHit] = [],
            alertRules: Result<[String: JSONValue], ClientError> = .success([:])
        ) {
            self.datasources = datasources
            self.datasourceSummaries = datasourceSummaries
            self.folders = folders
            self.dashboards = dashboards
            self.searchHits = searchHits
            self.alertRules = alertRules
        }
    }

    /// The diff of the repository against Grafana: one step per datasource, folder, dashboard,
    /// alert rule and prune candidate, each with the item it reports (in a dry run, what would
    /// happen and why). `ProvisionPlanner.plan` makes it; `Provisioner.execute` performs it.
    public struct ProvisionPlan: Sendable {
        public struct Step: Sendable {
            /// The item as planned: `action` is what would happen, `detail` why.
            public var item: ProvisionReport.Item
            public var operation: Operation
        }

        /// The write a step needs; `.none` for what is in sync or fails whatever is done.
        public enum Operation: Sendable {
            case none
            /// A datasource created through the API (or updated there): PUT or POST.
            case writeDatasource(desired: JSONValue, existing: JSONValue?)
            /// A datasource that Grafana's file provisioning owns (or that is missing): ask Grafana
            /// to read its datasource files again, check, and create a missing one through the API.
            case reloadDatasource(desired: JSONValue, existing: JSONValue?)
            case createFolder(uid: String, title: String)
            case renameFolder(uid: String, title: String)
            case saveDashboard(body: Data, path: String, provisioned: Bool)
            case deleteDashboard(uid: String)
            /// A rule that is missing or different: Grafana reads its alerting files again (once
            /// for all such rules); a rule held with another provenance is deleted first.
            case reloadAlertRule(AlertRuleChange)
            case deleteAlertRule(uid: String)
        }

        public struct AlertRuleChange: Sendable {
            public var uid: String
            public var payload: JSONValue
            public var path: String
            /// Held with provenance other than `file` (written through the API): delete it first.
            public var deleteFirst: Bool
        }

        /// A rule group whose interval is checked after the rules (only the file sets it).
        public struct GroupCheck: Sendable, Equatable {
            public var folderUID: String
            public var name: String
            public var seconds: Int
            public var path: String
        }

        public var steps: [Step]
        public var groupChecks: [GroupCheck]
        /// The group checks run before the step at this index (after the rules, before the
        /// rules' prune candidates).
        public var groupChecksIndex: Int

        /// The report of a dry run: every planned item, nothing changed.
        public func report(grafanaURL: String, standIn: Bool) -> ProvisionReport {
            ProvisionReport(grafanaURL: grafanaURL, standIn: standIn, dryRun: true, items: steps.map(\.item))
        }
    }

    /// The pure half of provisioning: desired state and observed state in, plan out.
    public enum ProvisionPlanner {
        /// Fields Grafana never returns (secrets), so they cannot be compared.
        static let uncomparableDatasourceKeys: Set<String> = ["secureJsonData", "basicAuthPassword", "password"]
        /// Keys Grafana sets itself on stored rules.
        static let volatileRuleKeys: Set<String> = ["id", "updated", "provenance", "orgID"]

        public static func plan(_ desired: DesiredState, observed: ObservedState, prune: Bool, credentials: Credentials) -> ProvisionPlan {
            var steps = datasources(desired, observed, credentials: credentials)
            let (folderSteps, folderUIDs) = folders(desired, observed)
            steps += folderSteps
            steps += dashboards(desired, observed, folderUIDs: folderUIDs, prune: prune)
            let (ruleSteps, checks, prunes) = alertRules(desired, observed, folderUIDs: folderUIDs, prune: prune, credentials: credentials)
            steps += ruleSteps
            let index = steps.count
            return ProvisionPlan(steps: steps + prunes, groupChecks: checks, groupChecksIndex: index)
        }

        // MARK: datasources

        /// The datasource's owner is whoever created it in this Grafana, which its `readOnly` says:
        /// a provisioned one belongs to Grafana's file provisioning (reload, never written); one
        /// created through the API is updated through the API; a missing one is first looked for
        /// with a reload, and only then created.
        static func datasources(_ desired: DesiredState, _ observed: ObservedState, credentials: Credentials) -> [ProvisionPlan.Step] {
            desired.datasources.map { wanted in
                let uid = wanted["uid"]?.stringValue ?? ""
                let name = wanted["name"]?.stringValue ?? uid
                func step(_ action: ProvisionReport.Action, _ detail: String?, _ operation: ProvisionPlan.Operation) -> ProvisionPlan.Step {
                    .init(item: .init(kind: .datasource, uid: uid, title: name, action: action, detail: detail), operation: operation)
                }
                let existing: JSONValue?
                switch observed.datasources[uid] ?? .success(nil) {
                case .failure(let error):
                    return step(.failed, Provisioner.explainDatasourceFailure(error, name: name, credentials: credentials), .none)
                case .success(let held):
                    existing = held
                }
                if let existing, wanted.isSubset(of: existing, ignoring: uncomparableDatasourceKeys) {
                    return step(.unchanged, nil, .none)
                }
                guard let existing else {
                    return step(
                        .created, "not in Grafana: Grafana is asked to read its datasource files, else it is created through the API",
                        .reloadDatasource(desired: wanted, existing: nil))
                }
                let changed = differingKeys(wanted, existing)
                if existing["readOnly"]?.boolValue == true {
                    return step(
                        .updated,
                        [changed, "provisioned from a file: Grafana is asked to read its datasource files again"].compactMap { $0 }.joined(separator: "; "),
                        .reloadDatasource(desired: wanted, existing: existing))
                }
                return step(.updated, changed, .writeDatasource(desired: wanted, existing: existing))
            }
        }

        /// "changed: a, b" for the keys the file sets differently from Grafana; nil when none.
        static func differingKeys(_ desired: JSONValue, _ existing: JSONValue) -> String? {
            guard let mine = desired.objectValue else { return nil }
            let keys = mine.keys.sorted().filter { key in
                !(existing[key].map { mine[key]!.isSubset(of: $0) } ?? mine[key]!.isEmptyish)
            }
            return keys.isEmpty ? nil : "changed: " + keys.joined(separator: ", ")
        }

        // MARK: folders

        /// Every folder the dashboards and alert groups need; returns the steps and desired folder
        /// uid -> the uid Grafana uses (an existing folder with the same title is adopted).
        static func folders(_ desired: DesiredState, _ observed: ObservedState) -> ([ProvisionPlan.Step], [String: String]) {
            var wanted = desired.dashboardFolders
            for group in desired.alertGroups {
                let folder = FolderSpec(uid: Grafana.folderUID(forTitle: group.folderTitle), title: group.folderTitle, directory: "")
                if !wanted.contains(where: { $0.uid == folder.uid }) { wanted.append(folder) }
            }
            var steps: [ProvisionPlan.Step] = []
            var mapping: [String: String] = [:]
            for folder in wanted {
                if let match = observed.folders.first(where: { $0.uid == folder.uid }) {
                    mapping[folder.uid] = match.uid
                    if match.title == folder.title {
                        steps.append(.init(item: .init(kind: .folder, uid: folder.uid, title: folder.title, action: .unchanged), operation: .none))
                    } else {
                        steps.append(
                            .init(
                                item: .init(kind: .folder, uid: folder.uid, title: folder.title, action: .updated, detail: "renamed from \"\(match.title)\""),
                                operation: .renameFolder(uid: folder.uid, title: folder.title)))
                    }
                } else if let match = observed.folders.first(where: { $0.title == folder.title }) {
                    mapping[folder.uid] = match.uid
                    steps.append(
                        .init(
                            item: .init(
                                kind: .folder, uid: match.uid, title: folder.title, action: .unchanged, detail: "existing folder with this title adopted"),
                            operation: .none))
                } else {
                    mapping[folder.uid] = folder.uid
                    steps.append(
                        .init(
                            item: .init(kind: .folder, uid: folder.uid, title: folder.title, action: .created),
                            operation: .createFolder(uid: folder.uid, title: folder.title)))
                }
            }
            return (steps, mapping)
        }

        // MARK: dashboards

        static func dashboards(_ desired: DesiredState, _ observed: ObservedState, folderUIDs: [String: String], prune: Bool) -> [ProvisionPlan.Step] {
            var knownUIDs = Set(observed.datasourceSummaries.map(\.uid))
            knownUIDs.formUnion(desired.datasources.compactMap { $0["uid"]?.stringValue })
            let knownNames = Set(observed.datasourceSummaries.map(\.name)).union(desired.datasources.compactMap { $0["name"]?.stringValue })
            var steps: [ProvisionPlan.Step] = []
            for source in desired.dashboards {
                var dashboard = source.dashboard
                let uid = dashboard.uid!
                let title = dashboard.title
                let repairs = dashboard.repairDatasources(existingUIDs: knownUIDs, existingNames: knownNames, target: desired.prometheusDatasourceUID)
                let repairNote = repairs.isEmpty ? nil : repairs.map(\.description).joined(separator: "; ")
                let folderUid = source.folder.map { folderUIDs[$0.uid] ?? $0.uid }
                let stored = observed.dashboards[uid]
                if let stored, stored.dashboard.isEquivalent(to: dashboard), (stored.meta.folderUid ?? "") == (folderUid ?? "") {
                    steps.append(.init(item: .init(kind: .dashboard, uid: uid, title: title, action: .unchanged, detail: repairNote), operation: .none))
                    continue
                }
                var detail = repairNote ?? (stored == nil ? nil : "the model differs from \(URL(fileURLWithPath: source.path).lastPathComponent)")
                if let stored, (stored.meta.folderUid ?? "") != (folderUid ?? "") {
                    detail = [repairNote, "moved from folder \"\(stored.meta.folderTitle ?? stored.meta.folderUid ?? "General")\""].compactMap { $0 }.joined(
                        separator: "; ")
                }
                let body = dashboard.saveRequest(
                    folderUid: folderUid, version: stored?.meta.version ?? stored?.dashboard.model["version"]?.int,
                    message: "stackpilot provision from \(URL(fileURLWithPath: source.path).lastPathComponent)")
                steps.append(
                    .init(
                        item: .init(kind: .dashboard, uid: uid, title: title, action: stored == nil ? .created : .updated, detail: detail),
                        operation: .saveDashboard(body: body, path: source.path, provisioned: stored?.meta.provisioned ?? false)))
            }
            guard prune else { return steps }
            let managed = Set(desired.dashboardFolders.map { folderUIDs[$0.uid] ?? $0.uid })
            let wanted = Set(desired.dashboards.compactMap(\.dashboard.uid))
            for hit in observed.searchHits where managed.contains(hit.folderUid ?? "") && !wanted.contains(hit.uid) {
                steps.append(
                    .init(
                        item: .init(
                            kind: .dashboard, uid: hit.uid, title: hit.title, action: .removed,
                            detail: "in managed folder \"\(hit.folderTitle ?? hit.folderUid ?? "")\" but no longer in the repository"),
                        operation: .deleteDashboard(uid: hit.uid)))
            }
            return steps
        }

        // MARK: alert rules

        /// Alert rules belong to Grafana's file provisioning: a missing or different rule is read
        /// again by Grafana from its alerting files, never written through the API. A rule of the
        /// files held with provenance `api` (written by an older StackPilot) would stop Grafana's
        /// next start, so it is deleted first. Pruning deletes rules of the managed groups that the
        /// files no longer list, except file-provisioned ones, which Grafana keeps.
        static func alertRules(
            _ desired: DesiredState, _ observed: ObservedState, folderUIDs: [String: String], prune: Bool,
            credentials: Credentials
        ) -> ([ProvisionPlan.Step], [ProvisionPlan.GroupCheck], prunes: [ProvisionPlan.Step]) {
            guard !desired.alertGroups.isEmpty else { return ([], [], []) }
            var steps: [ProvisionPlan.Step] = []
            var checks: [ProvisionPlan.GroupCheck] = []
            var managed: [String: String] = [:]
            var wantedUIDs: Set<String> = []
            let held: [String: JSONValue]
            switch observed.alertRules {
            case .success(let rules): held = rules
            case .failure(let error):
                for group in desired.alertGroups {
                    for rule in group.rules {
                        let uid = rule["uid"]?.stringValue ?? ""
                        steps.append(
                            .init(
                                item: .init(
                                    kind: .alertRule, uid: uid, title: rule["title"]?.stringValue ?? uid, action: .failed,
                                    detail:
                                        "Grafana refused to list alert rules (\(error.status ?? 0): \(error.grafanaMessage)); \(credentials) may need the Admin role."
                                ),
                                operation: .none))
                    }
                }
                return (steps, [], [])
            }
            for group in desired.alertGroups {
                let folderUID = folderUIDs[Grafana.folderUID(forTitle: group.folderTitle)] ?? Grafana.folderUID(forTitle: group.folderTitle)
                managed[folderUID + "/" + group.name] = managed[folderUID + "/" + group.name] ?? group.path
                for rule in group.rules {
                    var payload = rule
                    payload["folderUID"] = .string(folderUID)
                    payload["ruleGroup"] = .string(group.name)
                    payload["orgID"] = .int(1)
                    let uid = rule["uid"]!.stringValue!
                    let title = rule["title"]?.stringValue ?? uid
                    wantedUIDs.insert(uid)
                    let stored = held[uid]
                    if let stored, isCurrent(payload, stored) {
                        steps.append(.init(item: .init(kind: .alertRule, uid: uid, title: title, action: .unchanged), operation: .none))
                        continue
                    }
                    let provenance = stored?["provenance"]?.stringValue
                    let adopted = provenance.map { $0 != "file" } ?? false
                    let reason =
                        adopted
                        ? "held with provenance '\(provenance ?? "")' (written through the API), which would stop Grafana's next start: deleted and read again from \(group.path)"
                        : stored.flatMap { differingKeys(payload, $0) } ?? (stored == nil ? "not in Grafana" : "not held with provenance 'file'")
                    steps.append(
                        .init(
                            item: .init(
                                kind: .alertRule, uid: uid, title: title, action: stored == nil ? .created : .updated,
                                detail: reason + "; Grafana is asked to read its alerting files again"),
                            operation: .reloadAlertRule(.init(uid: uid, payload: payload, path: group.path, deleteFirst: adopted))))
                }
                let seconds = group.interval.flatMap(PrometheusDuration.parse).map { Int($0.components.seconds) } ?? 60
                checks.append(.init(folderUID: folderUID, name: group.name, seconds: seconds, path: group.path))
            }
            guard prune else { return (steps, checks, []) }
            var prunes: [ProvisionPlan.Step] = []
            for (uid, rule) in held.sorted(by: { $0.key < $1.key }) where !wantedUIDs.contains(uid) {
                guard let folder = rule["folderUID"]?.stringValue, let group = rule["ruleGroup"]?.stringValue,
                    let path = managed[folder + "/" + group]
                else { continue }
                let title = rule["title"]?.stringValue ?? uid
                if rule["provenance"]?.stringValue == "file" {
                    prunes.append(
                        .init(
                            item: .init(
                                kind: .alertRule, uid: uid, title: title, action: .failed,
                                detail:
                                    "Grafana keeps file-provisioned rules that the file no longer lists, and refuses to delete them through the API: add `deleteRules: [{orgId: 1, uid: \(uid)}]` to \(path), then provision again."
                            ),
                            operation: .none))
                    continue
                }
                prunes.append(
                    .init(
                        item: .init(
                            kind: .alertRule, uid: uid, title: title, action: .removed, detail: "in group \"\(group)\" but no longer in the repository"),
                        operation: .deleteAlertRule(uid: uid)))
            }
            return (steps, checks, prunes)
        }

        /// Whether Grafana holds the rule as the file says, read from the file.
        static func isCurrent(_ payload: JSONValue, _ held: JSONValue?) -> Bool {
            guard let held else { return false }
            return payload.isSubset(of: held, ignoring: volatileRuleKeys) && held["provenance"]?.stringValue == "file"
        }
    }
}
