import Durations
import Foundation
import JSONDocument
import Logging

extension Grafana {
    /// Brings Grafana in line with the repository: datasource, folders, dashboards, alert rules.
    ///
    /// Plan, then execute, as `up` does: every source is loaded and validated first (bad input
    /// never reaches Grafana); Grafana's health is awaited and the credentials checked; `observe`
    /// reads what Grafana holds (GET only); `ProvisionPlanner.plan` diffs it against the
    /// repository (pure); `execute` performs the plan in order — datasources, folders (always
    /// before their dashboards), dashboards, alert rules, removals — each refusal one failed item,
    /// the rest going on. A dry run stops after the plan; a second run finds nothing to do.
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
            let observed = try await observe(desired, prune: prune)
            let plan = ProvisionPlanner.plan(desired, observed: observed, prune: prune, credentials: client.credentials)
            if dryRun { return plan.report(grafanaURL: client.url, standIn: health.standIn) }
            var report = ProvisionReport(grafanaURL: client.url, standIn: health.standIn, dryRun: false)
            report.items = try await execute(plan)
            return report
        }

        /// Whether an error ends the run (no answer, rejected credentials) rather than one item.
        static func endsRun(_ error: ClientError) -> Bool { error.status == nil || error.status == 401 }

        // MARK: observe

        /// What Grafana holds of what `desired` manages. GET requests only.
        public func observe(_ desired: DesiredState, prune: Bool) async throws(ClientError) -> ObservedState {
            var observed = ObservedState()
            for datasource in desired.datasources {
                let uid = datasource["uid"]?.stringValue ?? ""
                do {
                    observed.datasources[uid] = .success(try await client.datasource(uid: uid))
                } catch {
                    if Self.endsRun(error) { throw error }
                    observed.datasources[uid] = .failure(error)
                }
            }
            if !desired.dashboardFolders.isEmpty || !desired.alertGroups.isEmpty {
                observed.folders = try await client.folders()
            }
            if !desired.dashboards.isEmpty {
                observed.datasourceSummaries = try await client.datasources()
            }
            for source in desired.dashboards {
                guard let uid = source.dashboard.uid else { continue }
                observed.dashboards[uid] = try await client.dashboard(uid: uid)
            }
            if prune { observed.searchHits = try await client.searchDashboards() }
            if !desired.alertGroups.isEmpty {
                observed.alertRules = await rulesByUID()
                if case .failure(let error) = observed.alertRules, Self.endsRun(error) { throw error }
            }
            return observed
        }

        func rulesByUID() async -> Result<[String: JSONValue], ClientError> {
            do {
                var byUID: [String: JSONValue] = [:]
                for rule in try await client.alertRules() { if let uid = rule["uid"]?.stringValue { byUID[uid] = rule } }
                return .success(byUID)
            } catch {
                return .failure(error)
            }
        }

        // MARK: execute

        /// Performs `plan` step by step and returns one item per step (and per failed group
        /// check). A refusal is that item's failure; no answer or rejected credentials end the run.
        public func execute(_ plan: ProvisionPlan) async throws(ClientError) -> [ProvisionReport.Item] {
            var items: [ProvisionReport.Item] = []
            var datasourceReload = ReloadOnce(kind: .datasources)
            var alerting: AlertingOutcome?
            for (index, step) in plan.steps.enumerated() {
                if index == plan.groupChecksIndex { items += await checkGroupIntervals(plan.groupChecks) }
                var item = step.item
                switch step.operation {
                case .none:
                    break
                case .writeDatasource(let desired, let existing):
                    item = try await writeDatasource(item, desired: desired, existing: existing)
                case .reloadDatasource(let desired, let existing):
                    item = try await reloadDatasource(item, desired: desired, existing: existing, reload: &datasourceReload)
                case .createFolder(let uid, let title):
                    _ = try await client.createFolder(uid: uid, title: title)
                case .renameFolder(let uid, let title):
                    try await client.updateFolder(uid: uid, title: title)
                case .saveDashboard(let body, let path, let provisioned):
                    do {
                        _ = try await client.saveDashboard(body: body)
                    } catch {
                        if Self.endsRun(error) { throw error }
                        logger.debug("dashboard refused", metadata: ["uid": "\(item.uid)"])
                        item.action = .failed
                        item.detail = Self.explainSaveFailure(error, uid: item.uid, title: item.title, path: path, provisioned: provisioned)
                    }
                case .deleteDashboard(let uid):
                    do {
                        try await client.deleteDashboard(uid: uid)
                    } catch {
                        if Self.endsRun(error) { throw error }
                        let message = error.grafanaMessage
                        item.action = .failed
                        item.detail =
                            error.status == 403 && !message.localizedCaseInsensitiveContains("provisioned")
                            ? "Grafana refused to delete it (403: \(message)): \(client.credentials) may not delete dashboards; use an Editor or Admin."
                            : "Grafana refused to delete it (\(error.status ?? 0): \(message)); if it is provisioned from a file, remove the file from Grafana's provisioning directory instead."
                    }
                case .reloadAlertRule(let change):
                    if alerting == nil { alerting = try await applyAlerting(plan) }
                    item = judge(item, change: change, outcome: alerting!)
                case .deleteAlertRule(let uid):
                    // Grafana may have dropped it itself when it read its files again.
                    if let alerting, alerting.after[uid] == nil { continue }
                    do {
                        try await client.deleteAlertRule(uid: uid)
                    } catch {
                        if Self.endsRun(error) { throw error }
                        item.action = .failed
                        item.detail = "Grafana refused to delete it (\(error.status ?? 0): \(error.grafanaMessage)); delete it in Grafana's alerting UI."
                    }
                }
                items.append(item)
            }
            if plan.groupChecksIndex >= plan.steps.count { items += await checkGroupIntervals(plan.groupChecks) }
            return items
        }

        // MARK: datasources

        func writeDatasource(_ planned: ProvisionReport.Item, desired: JSONValue, existing: JSONValue?) async throws(ClientError) -> ProvisionReport.Item {
            var item = planned
            do {
                if let existing {
                    try await client.updateDatasource(uid: item.uid, desired)
                    item.detail = ProvisionPlanner.differingKeys(desired, existing)
                } else {
                    try await client.createDatasource(desired)
                    item.detail = "Grafana does not provision it from a file, so it was created through the API"
                }
            } catch {
                if Self.endsRun(error) { throw error }
                item.action = .failed
                item.detail = Self.explainDatasourceFailure(error, name: item.title, credentials: client.credentials)
            }
            return item
        }

        func reloadDatasource(
            _ planned: ProvisionReport.Item, desired: JSONValue, existing before: JSONValue?,
            reload: inout ReloadOnce
        ) async throws(ClientError) -> ProvisionReport.Item {
            var item = planned
            do throws(ClientError) {
                do throws(ClientError) {
                    try await reload.run(client)
                } catch {
                    // A missing datasource is created through the API when Grafana cannot be asked to
                    // look at its files; a provisioned one cannot be changed otherwise.
                    if before != nil { throw error }
                }
                let existing = try await client.datasource(uid: item.uid)
                if let existing, desired.isSubset(of: existing, ignoring: ProvisionPlanner.uncomparableDatasourceKeys) {
                    item.detail = "read again by Grafana from its datasource provisioning files"
                    return item
                }
                if let existing, existing["readOnly"]?.boolValue == true {
                    item.action = .failed
                    item.detail =
                        "provisioned read-only from a file in Grafana, and still different after Grafana read its provisioning files again (\(ProvisionPlanner.differingKeys(desired, existing) ?? "changed")): Grafana reads another file than \(sources.datasourcesDirectory?.path ?? "the repository's"); mount stacks/grafana/provisioning at /etc/grafana/provisioning, as stacks/monitoring.yml does."
                    return item
                }
                return try await writeDatasource(item, desired: desired, existing: existing)
            } catch {
                if Self.endsRun(error) { throw error }
                item.action = .failed
                item.detail = Self.explainDatasourceFailure(error, name: item.title, credentials: client.credentials)
                return item
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
                return
                    "Grafana refused (403: \(message)): only an Admin may create or change datasources, and \(credentials) is not one; use an Admin service-account token or the admin user."
            case 409:
                return
                    "Grafana refused (409: \(message)): another datasource already has the name \"\(name)\" or its uid; rename or delete that datasource in Grafana, or rename this one in the provisioning file."
            default:
                return "Grafana refused (\(status): \(message)); check the datasource provisioning file."
            }
        }

        // MARK: dashboards

        /// One sentence saying what happened and what to do, for the documented refusals.
        static func explainSaveFailure(_ error: ClientError, uid: String, title: String, path: String, provisioned: Bool) -> String {
            switch error {
            case .http(_, _, 412, let message, let status):
                switch status {
                case "version-mismatch":
                    return
                        "Grafana answered 412 version-mismatch: the dashboard was changed in Grafana while provisioning ran; run provision again, or first keep that change with `stackpilot export --uid \(uid)`."
                case "name-exists":
                    return
                        "Grafana answered 412 name-exists: another dashboard titled \"\(title)\" with a different uid is in the same folder; rename or delete that dashboard in Grafana, or change the title in \(path)."
                case "plugin-dashboard":
                    return "Grafana answered 412 plugin-dashboard: a plugin's dashboard has this uid; give \(path) a different uid."
                default:
                    return "Grafana answered 412 (\(message)); change the uid or title in \(path)."
                }
            case .http(_, _, let status, let message, _) where provisioned || message.localizedCaseInsensitiveContains("provisioned"):
                return
                    "Grafana refused the update (\(status): \(message)): this dashboard is provisioned from a file in Grafana; edit that file (or set allowUiUpdates: true in its provider) instead of updating it through the API."
            default:
                return error.description
            }
        }

        // MARK: alert rules

        /// What happened when the rules that needed it were read again by Grafana.
        struct AlertingOutcome {
            var after: [String: JSONValue]
            var deleteFailures: [String: ClientError]
            var reloadFailure: ClientError?
        }

        /// Deletes the planned rules held with another provenance, asks Grafana once to read its
        /// alerting files again, and reads the rules back.
        func applyAlerting(_ plan: ProvisionPlan) async throws(ClientError) -> AlertingOutcome {
            var outcome = AlertingOutcome(after: [:], deleteFailures: [:])
            for step in plan.steps {
                guard case .reloadAlertRule(let change) = step.operation, change.deleteFirst else { continue }
                do {
                    try await client.deleteAlertRule(uid: change.uid)
                } catch {
                    if Self.endsRun(error) { throw error }
                    outcome.deleteFailures[change.uid] = error
                }
            }
            do {
                try await client.reloadProvisioning(.alerting)
            } catch {
                if Self.endsRun(error) { throw error }
                outcome.reloadFailure = error
            }
            switch await rulesByUID() {
            case .success(let rules): outcome.after = rules
            case .failure(let error): throw error
            }
            return outcome
        }

        /// The rule's item once Grafana read its files again: as planned when Grafana now holds it
        /// as the file says, else failed with why.
        func judge(_ planned: ProvisionReport.Item, change: ProvisionPlan.AlertRuleChange, outcome: AlertingOutcome) -> ProvisionReport.Item {
            var item = planned
            let reason = item.detail?.replacingOccurrences(of: "; Grafana is asked to read its alerting files again", with: "")
            if ProvisionPlanner.isCurrent(change.payload, outcome.after[change.uid]) {
                item.detail = [reason, "read again by Grafana from its alerting provisioning files"].compactMap { $0 }.joined(separator: "; ")
                return item
            }
            item.action = .failed
            item.detail = Self.explainRuleFailure(
                path: change.path, held: outcome.after[change.uid], delete: outcome.deleteFailures[change.uid],
                reload: outcome.reloadFailure, credentials: client.credentials)
            return item
        }

        /// One sentence saying why a rule is still not as the file says, and what to do.
        static func explainRuleFailure(path: String, held: JSONValue?, delete: ClientError?, reload: ClientError?, credentials: Credentials) -> String {
            if let delete {
                return
                    "Grafana holds it with provenance '\(held?["provenance"]?.stringValue ?? "")' and refused to delete it (\(delete.status ?? 0): \(delete.grafanaMessage)); Grafana will not start while \(path) also defines it: delete the rule in Grafana's alerting UI."
            }
            if let reload {
                if reload.status == 403 {
                    return
                        "Grafana refused to read its alerting files again (403: \(reload.grafanaMessage)): only a Grafana server admin may reload provisioning, and \(credentials) is not one; use the admin user's credentials, or restart Grafana to apply \(path)."
                }
                return
                    "Grafana could not apply its alerting files (\(reload.status ?? 0): \(reload.grafanaMessage)); read why in Grafana's log (stackpilot logs grafana), then fix \(path)."
            }
            if held == nil {
                return
                    "not in Grafana after it read its alerting files again: Grafana does not read \(path); mount stacks/grafana/provisioning at /etc/grafana/provisioning, as stacks/monitoring.yml does."
            }
            return
                "still different from \(path) after Grafana read its alerting files again: Grafana reads another copy of the file; mount stacks/grafana/provisioning at /etc/grafana/provisioning, as stacks/monitoring.yml does."
        }

        /// The group's evaluation interval is set by the file (only a rule-group PUT could set it
        /// through the API, which the file owner forbids); a group whose interval differs is a
        /// failed item.
        func checkGroupIntervals(_ checks: [ProvisionPlan.GroupCheck]) async -> [ProvisionReport.Item] {
            var items: [ProvisionReport.Item] = []
            for check in checks {
                let held: JSONValue?
                do {
                    held = try await client.alertRuleGroup(folderUID: check.folderUID, group: check.name)
                } catch {
                    continue  // the rules' items already say what is wrong
                }
                guard let seconds = held?["interval"]?.intValue, seconds != check.seconds else { continue }
                items.append(
                    .init(
                        kind: .ruleGroup, uid: check.folderUID + "/" + check.name, title: check.name, action: .failed,
                        detail:
                            "Grafana evaluates the group every \(seconds) s, \(check.path) says \(check.seconds) s: Grafana has not read the file's interval; restart Grafana or check which file it reads."
                    ))
            }
            return items
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
