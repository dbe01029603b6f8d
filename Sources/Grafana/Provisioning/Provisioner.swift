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

        func syncDatasources(_ datasources: [JSONValue], dryRun: Bool, into report: inout ProvisionReport) async throws {
            for desired in datasources {
                let uid = desired["uid"]?.stringValue ?? ""
                let name = desired["name"]?.stringValue ?? uid
                guard let existing = try await client.datasource(uid: uid) else {
                    do {
                        if !dryRun { try await client.createDatasource(desired) }
                        report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .created))
                    } catch {
                        guard error.status == 409 else { throw error }
                        let message = error.grafanaMessage
                        report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .failed,
                            detail: "Grafana refused to create it (\(message)): another datasource already has the name \"\(name)\"; rename or delete that datasource in Grafana, or rename this one in the provisioning file."))
                    }
                    continue
                }
                if desired.isSubset(of: existing, ignoring: Self.uncomparableDatasourceKeys) {
                    report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .unchanged))
                    continue
                }
                do {
                    if !dryRun { try await client.updateDatasource(uid: uid, desired) }
                    report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .updated, detail: Self.differingKeys(desired, existing)))
                } catch {
                    guard let status = error.status, status == 403 || status == 400 else { throw error }
                    let message = error.grafanaMessage
                    report.items.append(.init(kind: .datasource, uid: uid, title: name, action: .failed,
                        detail: "Grafana refused the update (\(status): \(message)); it is probably provisioned read-only from a file: change Grafana's datasource provisioning file instead."))
                }
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
                    if let status = error.status, status == 401 { throw error }
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
                    guard let status = error.status, status == 400 || status == 403 else { throw error }
                    let message = error.grafanaMessage
                    report.items.append(.init(kind: .dashboard, uid: hit.uid, title: hit.title, action: .failed,
                        detail: "Grafana refused to delete it (\(status): \(message)); it is provisioned from a file: remove the file from Grafana's provisioning directory instead."))
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

        func syncAlertRules(_ groups: [AlertGroupSpec], folderUIDs: [String: String], dryRun: Bool, prune: Bool, into report: inout ProvisionReport) async throws {
            var wanted: [String: Set<String>] = [:]  // "folder/group" -> rule uids
            for group in groups {
                let folderUID = folderUIDs[Grafana.folderUID(forTitle: group.folderTitle)] ?? Grafana.folderUID(forTitle: group.folderTitle)
                wanted[folderUID + "/" + group.name, default: []].formUnion(group.rules.compactMap { $0["uid"]?.stringValue })
                for rule in group.rules {
                    var payload = rule
                    payload["folderUID"] = .string(folderUID)
                    payload["ruleGroup"] = .string(group.name)
                    payload["orgID"] = .int(1)
                    let uid = rule["uid"]!.stringValue!
                    let title = rule["title"]?.stringValue ?? uid
                    do {
                        guard let existing = try await client.alertRule(uid: uid) else {
                            if !dryRun { try await client.createAlertRule(payload) }
                            report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .created))
                            continue
                        }
                        if payload.isSubset(of: existing, ignoring: Self.volatileRuleKeys) {
                            report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .unchanged))
                            continue
                        }
                        if !dryRun { try await client.updateAlertRule(uid: uid, payload) }
                        report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .updated, detail: Self.differingKeys(payload, existing)))
                    } catch {
                        guard let status = error.status, (400..<500).contains(status), status != 401 else { throw error }
                        let message = error.grafanaMessage
                        report.items.append(.init(kind: .alertRule, uid: uid, title: title, action: .failed,
                            detail: "Grafana refused the rule (\(status): \(message))" + (message.localizedCaseInsensitiveContains("provenance") || message.localizedCaseInsensitiveContains("provisioned") ? "; it is provisioned from a file in Grafana: edit \(group.path) there instead." : "; check \(group.path).")))
                    }
                }
            }
            guard prune, !wanted.isEmpty else { return }
            for rule in try await client.alertRules() {
                guard let uid = rule["uid"]?.stringValue, let folder = rule["folderUID"]?.stringValue, let group = rule["ruleGroup"]?.stringValue,
                      let uids = wanted[folder + "/" + group], !uids.contains(uid) else { continue }
                if !dryRun { try await client.deleteAlertRule(uid: uid) }
                report.items.append(.init(kind: .alertRule, uid: uid, title: rule["title"]?.stringValue ?? uid, action: .removed, detail: "in group \"\(group)\" but no longer in the repository"))
            }
        }
    }
}
