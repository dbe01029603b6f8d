import Durations
import Foundation
import JSONDocument
import Logging

extension Grafana {
    /// Brings Grafana in line with the repository: datasource, folders, dashboards, alert rules.
    ///
    /// Order: every source is loaded and validated first (bad input never reaches Grafana); then
    /// Grafana's health is awaited and the credentials checked; then datasources, folders (always
    /// before their dashboards), dashboards, alert rules, and with `prune` the removals. Everything
    /// is compared with what Grafana holds first, so a second run changes nothing.
    ///
    /// `stackpilot up` calls `sync(dryRun: false, prune: false)` once Grafana is healthy.
    public struct Provisioner: Sendable {
        public let client: Client
        public let sources: Sources
        public var healthTimeout: Duration

        public init(client: Client, sources: Sources, healthTimeout: Duration = .seconds(60)) {
            self.client = client
            self.sources = sources
            self.healthTimeout = healthTimeout
        }

        var logger: Logger { client.logger }

        /// Runs the sync. Throws for bad input (`ProvisionError.invalidSource`), an unreachable
        /// Grafana or rejected credentials; per-item refusals (412, provisioned dashboards) are
        /// reported as `failed` items with what to do, and the rest continues.
        public func sync(dryRun: Bool = false, prune: Bool = false) async throws -> ProvisionReport {
            let desired = try sources.load()
            let health = try await client.waitUntilHealthy(timeout: healthTimeout)
            try await client.verifyCredentials()
            var report = ProvisionReport(grafanaURL: client.url, standIn: health.standIn, dryRun: dryRun)
            try await syncDatasources(desired.datasources, dryRun: dryRun, into: &report)
            let folderUIDs = try await syncFolders(desired, dryRun: dryRun, into: &report)
            try await syncDashboards(desired, folderUIDs: folderUIDs, dryRun: dryRun, prune: prune, into: &report)
            try await syncAlertRules(desired.alertGroups, folderUIDs: folderUIDs, dryRun: dryRun, prune: prune, into: &report)
            return report
        }

        // MARK: datasources

        /// Fields Grafana never returns (secrets), so they cannot be compared.
        static let uncomparableDatasourceKeys: Set<String> = ["secureJsonData", "basicAuthPassword", "password"]

        /// The datasource's owner is whoever created it in this Grafana, which its `readOnly` says:
        /// a provisioned (`editable: false`) datasource belongs to Grafana's file provisioning, so a
        /// difference is answered by asking Grafana to read its datasource files again; one created
        /// through the API (a Grafana that does not read the file) is updated through the API. A
        /// missing one is first looked for with a reload, and only then created.
        func syncDatasources(_ datasources: [JSONValue], dryRun: Bool, into report: inout ProvisionReport) async throws {
            var reload = ReloadOnce(kind: .datasources)
            for desired in datasources {
                let uid = desired["uid"]?.stringValue ?? ""
                let name = desired["name"]?.stringValue ?? uid
                do throws(ClientError) {
                    var existing = try await client.datasource(uid: uid)
                    if let existing, desired.isSubset(of: existing, ignoring: Self.uncomparableDatasourceKeys) {
                        report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .unchanged))
                        continue
                    }
                    let before = existing
                    let fileOwned = existing == nil || existing?["readOnly"]?.boolValue == true
                    if dryRun {
                        report.items.append(.init(kind: .datasource, uid: uid, title: name, action: before == nil ? .created : .updated,
                                                  detail: fileOwned && before != nil ? "provisioned from a file: Grafana would be asked to read its datasource files again" : before.flatMap { Self.differingKeys(desired, $0) }))
                        continue
                    }
                    if fileOwned {
                        do {
                            try await reload.run(client)
                        } catch {
                            // A missing datasource is created through the API when Grafana cannot be
                            // asked to look at its files; a provisioned one cannot be changed otherwise.
                            if before != nil { throw error }
                        }
                        existing = try await client.datasource(uid: uid)
                        if let existing, desired.isSubset(of: existing, ignoring: Self.uncomparableDatasourceKeys) {
                            report.items.append(.init(kind: .datasource, uid: uid, title: name, action: before == nil ? .created : .updated,
                                                      detail: "read again by Grafana from its datasource provisioning files"))
                            continue
                        }
                        if let existing, existing["readOnly"]?.boolValue == true {
                            report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .failed,
                                detail: "provisioned read-only from a file in Grafana, and still different after Grafana read its provisioning files again (\(Self.differingKeys(desired, existing) ?? "changed")): Grafana reads another file than \(sources.datasourcesDirectory?.path ?? "the repository's"); mount stacks/grafana/provisioning at /etc/grafana/provisioning, as stacks/monitoring.yml does."))
                            continue
                        }
                    }
                    if let existing {
                        try await client.updateDatasource(uid: uid, desired)
                        report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .updated, detail: Self.differingKeys(desired, existing)))
                    } else {
                        try await client.createDatasource(desired)
                        report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .created,
                                                  detail: "Grafana does not provision it from a file, so it was created through the API"))
                    }
                } catch {
                    if error.status == 401 || error.status == nil { throw error }
                    report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .failed,
                                              detail: Self.explainDatasourceFailure(error, name: name, credentials: client.credentials)))
                }
            }
        }

        /// One sentence per refusal of a datasource write or reload.
        static func explainDatasourceFailure(_ error: ClientError, name: String, credentials: Credentials) -> String {
            let status = error.status ?? 0
            let message = error.grafanaMessage
            if case .http(_, let path, _, _, _) = error, path.hasPrefix("/api/admin/provisioning/") {
                return status == 403
                    ? "Grafana refused to read its datasource files again (403: \(message)): only a Grafana server admin may reload provisioning, and \(credentials) is not one; use the admin user's credentials (GRAFANA_USER/GRAFANA_PASSWORD), or restart Grafana."
                    : "Grafana could not read its datasource provisioning files again (\(status): \(message)); read Grafana's log: stackpilot logs grafana."
            }
            switch status {
            case 403 where message.localizedCaseInsensitiveContains("read-only"):
                return "Grafana refused (403: \(message)): the datasource is provisioned read-only from a file in Grafana; change that file instead."
            case 403:
                return "Grafana refused (403: \(message)): only an Admin may create or change datasources, and \(credentials) is not one; use an Admin service-account token or the admin user."
            case 409:
                return "Grafana refused (409: \(message)): another datasource already has the name \"\(name)\" or its uid; rename or delete that datasource in Grafana, or rename this one in the provisioning file."
            default:
                return "Grafana refused (\(status): \(message)); check the datasource provisioning file."
            }
        }

        static func differingKeys(_ desired: JSONValue, _ existing: JSONValue) -> String? {
            guard let mine = desired.objectValue else { return nil }
            let keys = mine.keys.sorted().filter { key in
                !(existing[key].map { mine[key]!.isSubset(of: $0) } ?? mine[key]!.isEmptyish)
            }
            return keys.isEmpty ? nil : "changed: " + keys.joined(separator: ", ")
        }

        // MARK: folders

        /// Ensures every folder exists; returns desired folder uid -> the uid Grafana uses (an
        /// existing folder with the same title is adopted rather than duplicated).
        func syncFolders(_ desired: DesiredState, dryRun: Bool, into report: inout ProvisionReport) async throws -> [String: String] {
            var wanted = desired.dashboardFolders
            for group in desired.alertGroups {
                let folder = FolderSpec(uid: Grafana.folderUID(forTitle: group.folderTitle), title: group.folderTitle, directory: "")
                if !wanted.contains(where: { $0.uid == folder.uid }) { wanted.append(folder) }
            }
            guard !wanted.isEmpty else { return [:] }
            let existing = try await client.folders()
            var mapping: [String: String] = [:]
            for folder in wanted {
                if let match = existing.first(where: { $0.uid == folder.uid }) {
                    mapping[folder.uid] = match.uid
                    if match.title == folder.title {
                        report.items.append(.init(kind: .folder, uid: folder.uid, title: folder.title, action: .unchanged))
                    } else {
                        if !dryRun { try await client.updateFolder(uid: folder.uid, title: folder.title) }
                        report.items.append(.init(kind: .folder, uid: folder.uid, title: folder.title, action: .updated, detail: "renamed from \"\(match.title)\""))
                    }
                } else if let match = existing.first(where: { $0.title == folder.title }) {
                    mapping[folder.uid] = match.uid
                    report.items.append(.init(kind: .folder, uid: match.uid, title: folder.title, action: .unchanged, detail: "existing folder with this title adopted"))
                } else {
                    if !dryRun { try await client.createFolder(uid: folder.uid, title: folder.title) }
                    mapping[folder.uid] = folder.uid
                    report.items.append(.init(kind: .folder, uid: folder.uid, title: folder.title, action: .created))
                }
            }
            return mapping
        }

        // MARK: dashboards

        func syncDashboards(_ desired: DesiredState, folderUIDs: [String: String], dryRun: Bool, prune: Bool, into report: inout ProvisionReport) async throws {
            let datasources = try await client.datasources()
            var knownUIDs = Set(datasources.map(\.uid))
            knownUIDs.formUnion(desired.datasources.compactMap { $0["uid"]?.stringValue })
            let knownNames = Set(datasources.map(\.name)).union(desired.datasources.compactMap { $0["name"]?.stringValue })
            let target = desired.prometheusDatasourceUID

            for source in desired.dashboards {
                var dashboard = source.dashboard
                let uid = dashboard.uid!
                let title = dashboard.title
                let repairs = dashboard.repairDatasources(existingUIDs: knownUIDs, existingNames: knownNames, target: target)
                for repair in repairs {
                    logger.warning("dangling datasource reference repaired", metadata: ["file": "\(source.path)", "reference": "\(repair.reference)", "target": "\(target)"])
                }
                let repairNote = repairs.isEmpty ? nil : repairs.map(\.description).joined(separator: "; ")
                let folderUid = source.folder.map { folderUIDs[$0.uid] ?? $0.uid }
                let stored = try await client.dashboard(uid: uid)
                if let stored, stored.dashboard.isEquivalent(to: dashboard), (stored.meta.folderUid ?? "") == (folderUid ?? "") {
                    report.items.append(.init(kind: .dashboard, uid: uid, title: title, action: .unchanged, detail: repairNote))
                    continue
                }
                let action: ProvisionReport.Action = stored == nil ? .created : .updated
                var detail = repairNote
                if let stored, (stored.meta.folderUid ?? "") != (folderUid ?? "") {
                    detail = [detail, "moved from folder \"\(stored.meta.folderTitle ?? stored.meta.folderUid ?? "General")\""].compactMap { $0 }.joined(separator: "; ")
                }
                if dryRun {
                    report.items.append(.init(kind: .dashboard, uid: uid, title: title, action: action, detail: detail))
                    continue
                }
                let body = dashboard.saveRequest(folderUid: folderUid, version: stored?.meta.version ?? stored?.dashboard.model["version"]?.int,
                                                 message: "stackpilot provision from \(URL(fileURLWithPath: source.path).lastPathComponent)")
                do {
                    _ = try await client.saveDashboard(body: body)
                    report.items.append(.init(kind: .dashboard, uid: uid, title: title, action: action, detail: detail))
                } catch {
                    if error.status == 401 || error.status == nil { throw error }
                    report.items.append(.init(kind: .dashboard, uid: uid, title: title, action: .failed,
                                              detail: Self.explainSaveFailure(error, uid: uid, title: title, path: source.path, provisioned: stored?.meta.provisioned ?? false)))
                }
            }

            guard prune else { return }
            let managed = Set(desired.dashboardFolders.map { folderUIDs[$0.uid] ?? $0.uid })
            let wanted = Set(desired.dashboards.compactMap(\.dashboard.uid))
            for hit in try await client.searchDashboards() where managed.contains(hit.folderUid ?? "") && !wanted.contains(hit.uid) {
                do {
                    if !dryRun { try await client.deleteDashboard(uid: hit.uid) }
                    report.items.append(.init(kind: .dashboard, uid: hit.uid, title: hit.title, action: .removed, detail: "in managed folder \"\(hit.folderTitle ?? hit.folderUid ?? "")\" but no longer in the repository"))
                } catch {
                    guard let status = error.status, status != 401 else { throw error }
                    let message = error.grafanaMessage
                    report.items.append(.init(kind: .dashboard, uid: hit.uid, title: hit.title, action: .failed,
                        detail: status == 403 && !message.localizedCaseInsensitiveContains("provisioned")
                            ? "Grafana refused to delete it (403: \(message)): \(client.credentials) may not delete dashboards; use an Editor or Admin."
                            : "Grafana refused to delete it (\(status): \(message)); if it is provisioned from a file, remove the file from Grafana's provisioning directory instead."))
                }
            }
        }

        /// One sentence saying what happened and what to do, for the documented refusals.
        static func explainSaveFailure(_ error: ClientError, uid: String, title: String, path: String, provisioned: Bool) -> String {
            switch error {
            case .http(_, _, 412, let message, let status):
                switch status {
                case "version-mismatch":
                    return "Grafana answered 412 version-mismatch: the dashboard was changed in Grafana while provisioning ran; run provision again, or first keep that change with `stackpilot export --uid \(uid)`."
                case "name-exists":
                    return "Grafana answered 412 name-exists: another dashboard titled \"\(title)\" with a different uid is in the same folder; rename or delete that dashboard in Grafana, or change the title in \(path)."
                case "plugin-dashboard":
                    return "Grafana answered 412 plugin-dashboard: a plugin's dashboard has this uid; give \(path) a different uid."
                default:
                    return "Grafana answered 412 (\(message)); change the uid or title in \(path)."
                }
            case .http(_, _, let status, let message, _) where provisioned || message.localizedCaseInsensitiveContains("provisioned"):
                return "Grafana refused the update (\(status): \(message)): this dashboard is provisioned from a file in Grafana; edit that file (or set allowUiUpdates: true in its provider) instead of updating it through the API."
            default:
                return error.description
            }
        }

        // MARK: alert rules

        /// Keys Grafana sets itself on stored rules.
        static let volatileRuleKeys: Set<String> = ["id", "updated", "provenance", "orgID"]

        /// Alert rules belong to Grafana's file provisioning (stacks/grafana/provisioning/alerting,
        /// mounted into Grafana): StackPilot never writes them through the API. It compares what
        /// Grafana holds with the files; when something is missing or different it asks Grafana to
        /// read the alerting files again (`POST /api/admin/provisioning/alerting/reload`) and checks
        /// again. A rule of the files that Grafana holds with provenance `api` (written by an older
        /// StackPilot) would stop Grafana's next start ("cannot change provenance from 'api' to
        /// 'file'"), so it is deleted first and read again from the file.
        func syncAlertRules(_ groups: [AlertGroupSpec], folderUIDs: [String: String], dryRun: Bool, prune: Bool, into report: inout ProvisionReport) async throws {
            guard !groups.isEmpty else { return }
            struct Wanted { var uid: String; var title: String; var payload: JSONValue; var group: AlertGroupSpec; var folderUID: String }
            var wanted: [Wanted] = []
            for group in groups {
                let folderUID = folderUIDs[Grafana.folderUID(forTitle: group.folderTitle)] ?? Grafana.folderUID(forTitle: group.folderTitle)
                for rule in group.rules {
                    var payload = rule
                    payload["folderUID"] = .string(folderUID)
                    payload["ruleGroup"] = .string(group.name)
                    payload["orgID"] = .int(1)
                    let uid = rule["uid"]!.stringValue!
                    wanted.append(Wanted(uid: uid, title: rule["title"]?.stringValue ?? uid, payload: payload, group: group, folderUID: folderUID))
                }
            }
            func stored() async throws(ClientError) -> [String: JSONValue] {
                var byUID: [String: JSONValue] = [:]
                for rule in try await client.alertRules() { if let uid = rule["uid"]?.stringValue { byUID[uid] = rule } }
                return byUID
            }
            func isCurrent(_ rule: Wanted, _ held: JSONValue?) -> Bool {
                guard let held else { return false }
                return rule.payload.isSubset(of: held, ignoring: Self.volatileRuleKeys) && held["provenance"]?.stringValue == "file"
            }
            let before: [String: JSONValue]
            do {
                before = try await stored()
            } catch {
                guard let status = error.status, status != 401 else { throw error }
                for rule in wanted {
                    report.items.append(.init(kind: .alertRule, uid: rule.uid, title: rule.title, action: .failed,
                                              detail: "Grafana refused to list alert rules (\(status): \(error.grafanaMessage)); \(client.credentials) may need the Admin role."))
                }
                return
            }
            let stale = wanted.filter { !isCurrent($0, before[$0.uid]) }
            var after = before
            var reloadFailure: ClientError?
            var deleteFailures: [String: ClientError] = [:]
            if !stale.isEmpty && !dryRun {
                for rule in stale {
                    guard let held = before[rule.uid], let provenance = held["provenance"]?.stringValue, provenance != "file" else { continue }
                    do {
                        try await client.deleteAlertRule(uid: rule.uid)
                    } catch {
                        guard error.status != nil, error.status != 401 else { throw error }
                        deleteFailures[rule.uid] = error
                    }
                }
                do {
                    try await client.reloadProvisioning(.alerting)
                } catch {
                    guard error.status != nil, error.status != 401 else { throw error }
                    reloadFailure = error
                }
                after = try await stored()
            }
            for rule in wanted {
                let held = before[rule.uid]
                if isCurrent(rule, held) {
                    report.items.append(.init(kind: .alertRule, uid: rule.uid, title: rule.title, action: .unchanged))
                    continue
                }
                let action: ProvisionReport.Action = held == nil ? .created : .updated
                let provenance = held?["provenance"]?.stringValue
                let adopted = provenance.map { $0 != "file" } ?? false
                var detail = held.flatMap { Self.differingKeys(rule.payload, $0) }
                if adopted {
                    detail = "held with provenance '\(provenance ?? "")' (written through the API), which would stop Grafana's next start: deleted and read again from \(rule.group.path)"
                }
                if dryRun {
                    report.items.append(.init(kind: .alertRule, uid: rule.uid, title: rule.title, action: action,
                                              detail: [detail, "Grafana would be asked to read its alerting files again"].compactMap { $0 }.joined(separator: "; ")))
                    continue
                }
                if isCurrent(rule, after[rule.uid]) {
                    report.items.append(.init(kind: .alertRule, uid: rule.uid, title: rule.title, action: action,
                                              detail: [detail, "read again by Grafana from its alerting provisioning files"].compactMap { $0 }.joined(separator: "; ")))
                    continue
                }
                report.items.append(.init(kind: .alertRule, uid: rule.uid, title: rule.title, action: .failed,
                                          detail: Self.explainRuleFailure(path: rule.group.path, held: after[rule.uid], delete: deleteFailures[rule.uid],
                                                                          reload: reloadFailure, credentials: client.credentials)))
            }
            await checkGroupIntervals(groups, folderUIDs: folderUIDs, dryRun: dryRun, into: &report)
            guard prune else { return }
            let managed = Dictionary(wanted.map { ($0.folderUID + "/" + $0.group.name, $0.group.path) }, uniquingKeysWith: { first, _ in first })
            let wantedUIDs = Set(wanted.map(\.uid))
            for (uid, rule) in after.sorted(by: { $0.key < $1.key }) where !wantedUIDs.contains(uid) {
                guard let folder = rule["folderUID"]?.stringValue, let group = rule["ruleGroup"]?.stringValue,
                      let path = managed[folder + "/" + group] else { continue }
                let title = rule["title"]?.stringValue ?? uid
                if rule["provenance"]?.stringValue == "file" {
                    report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .failed,
                        detail: "Grafana keeps file-provisioned rules that the file no longer lists, and refuses to delete them through the API: add `deleteRules: [{orgId: 1, uid: \(uid)}]` to \(path), then provision again."))
                    continue
                }
                do {
                    if !dryRun { try await client.deleteAlertRule(uid: uid) }
                    report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .removed, detail: "in group \"\(group)\" but no longer in the repository"))
                } catch {
                    guard let status = error.status, status != 401 else { throw error }
                    report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .failed,
                                              detail: "Grafana refused to delete it (\(status): \(error.grafanaMessage)); delete it in Grafana's alerting UI."))
                }
            }
        }

        /// One sentence saying why a rule is still not as the file says, and what to do.
        static func explainRuleFailure(path: String, held: JSONValue?, delete: ClientError?, reload: ClientError?, credentials: Credentials) -> String {
            if let delete {
                return "Grafana holds it with provenance '\(held?["provenance"]?.stringValue ?? "")' and refused to delete it (\(delete.status ?? 0): \(delete.grafanaMessage)); Grafana will not start while \(path) also defines it: delete the rule in Grafana's alerting UI."
            }
            if let reload {
                if reload.status == 403 {
                    return "Grafana refused to read its alerting files again (403: \(reload.grafanaMessage)): only a Grafana server admin may reload provisioning, and \(credentials) is not one; use the admin user's credentials, or restart Grafana to apply \(path)."
                }
                return "Grafana could not apply its alerting files (\(reload.status ?? 0): \(reload.grafanaMessage)); read why in Grafana's log (stackpilot logs grafana), then fix \(path)."
            }
            if held == nil {
                return "not in Grafana after it read its alerting files again: Grafana does not read \(path); mount stacks/grafana/provisioning at /etc/grafana/provisioning, as stacks/monitoring.yml does."
            }
            return "still different from \(path) after Grafana read its alerting files again: Grafana reads another copy of the file; mount stacks/grafana/provisioning at /etc/grafana/provisioning, as stacks/monitoring.yml does."
        }

        /// The group's evaluation interval is set by the file (only a rule-group PUT could set it
        /// through the API, which the file owner forbids); a group whose interval differs is a
        /// failed item.
        func checkGroupIntervals(_ groups: [AlertGroupSpec], folderUIDs: [String: String], dryRun: Bool, into report: inout ProvisionReport) async {
            for group in groups {
                let folderUID = folderUIDs[Grafana.folderUID(forTitle: group.folderTitle)] ?? Grafana.folderUID(forTitle: group.folderTitle)
                let wanted = group.interval.flatMap(PrometheusDuration.parse).map { Int($0.components.seconds) } ?? 60
                let held: JSONValue?
                do {
                    held = try await client.alertRuleGroup(folderUID: folderUID, group: group.name)
                } catch {
                    continue  // the rules' items already say what is wrong
                }
                guard let seconds = held?["interval"]?.intValue, seconds != wanted, !dryRun else { continue }
                report.items.append(.init(kind: .ruleGroup, uid: folderUID + "/" + group.name, title: group.name, action: .failed,
                    detail: "Grafana evaluates the group every \(seconds) s, \(group.path) says \(wanted) s: Grafana has not read the file's interval; restart Grafana or check which file it reads."))
            }
        }
    }

    /// Asks Grafana at most once per run to read one kind of provisioning file again; a refusal is
    /// remembered and thrown to every item that needed it.
    struct ReloadOnce {
        let kind: ProvisioningKind
        private var outcome: Result<Void, ClientError>?

        init(kind: ProvisioningKind) { self.kind = kind }

        mutating func run(_ client: Client) async throws(ClientError) {
            if outcome == nil {
                do {
                    try await client.reloadProvisioning(kind)
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
            }
            if case .failure(let error) = outcome { throw error }
        }
    }
}
