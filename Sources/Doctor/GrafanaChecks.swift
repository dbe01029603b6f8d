import Foundation
import Grafana

extension Doctor {
    /// What the Grafana checks need: a client and what provisioning promises.
    public struct GrafanaSetup: Sendable {
        public var client: Grafana.Client
        public var datasourceUID: String
        public var dashboardUIDs: [String]
        public var alertRuleUIDs: [String]
        /// How the default-password check avoids costing lockouts (see `DefaultPasswordPolicy`).
        public var defaultPassword: DefaultPasswordPolicy

        public init(
            client: Grafana.Client, datasourceUID: String = Grafana.datasourceUID, dashboardUIDs: [String], alertRuleUIDs: [String],
            defaultPassword: DefaultPasswordPolicy = DefaultPasswordPolicy(stateFile: nil)
        ) {
            self.client = client
            self.datasourceUID = datasourceUID
            self.dashboardUIDs = dashboardUIDs
            self.alertRuleUIDs = alertRuleUIDs
            self.defaultPassword = defaultPassword
        }
    }

    /// Grafana: healthy, credentials accepted, the default password changed, the datasource
    /// present and working, the guide's dashboards and alert rules provisioned.
    static func grafanaChecks(_ setup: GrafanaSetup) -> [Check] {
        let grafana = setup.client
        let url = grafana.url
        let reprovision = "provision Grafana: stackpilot provision"
        // No request only to test the credentials: the datasource lookup that the datasource check
        // needs anyway is the run's first authenticated request, and its answer says whether Grafana
        // accepts them. A refusal is remembered (no secret) so that StackPilot as a whole costs at
        // most one failed login per `minimumInterval`; the other checks do not log in after one.
        let verified = Once<Bool> { try await verifiedLookup(setup) }
        let credentialsRemedy =
            "set GRAFANA_ADMIN_PASSWORD in stacks/.env (what the grafana service gets, read by StackPilot too), or GRAFANA_USER and GRAFANA_PASSWORD (or GRAFANA_PASSWORD_FILE), or GRAFANA_TOKEN for a service account"
        /// Grafana being down is the health check's failure; the others say they could not look.
        func whenReachable(_ name: String, _ body: @escaping @Sendable () async throws -> Finding) -> Check {
            Check(.grafana, name) {
                do {
                    return try await body()
                } catch let error as Grafana.ClientError {
                    if case .transport = error { return .notApplicable("cannot look: Grafana does not answer (see the health check)") }
                    throw error
                }
            }
        }
        /// Checks that log in: only once the credentials are known to be accepted.
        func whenAccepted(_ name: String, _ body: @escaping @Sendable () async throws -> Finding) -> Check {
            whenReachable(name) {
                do { _ = try await verified.run() } catch is Grafana.ProvisionError {
                    return .notApplicable("cannot look: Grafana refuses StackPilot's credentials (see the credentials check)")
                }
                return try await body()
            }
        }
        return [
            Check(.grafana, "health") {
                do {
                    let health = try await grafana.health()
                    let what =
                        health.standIn
                        ? "grafana-standin \(health.version ?? "") (a stand-in for Grafana's HTTP API, not Grafana)" : "Grafana \(health.version ?? "")"
                    guard health.database?.lowercased() ?? "ok" == "ok" else {
                        return .failure(
                            "\(what) at \(url) reports its database as \(health.database ?? "?")", remedy: ["read Grafana's log: stackpilot logs grafana"])
                    }
                    return .ok("\(what) is healthy at \(url)")
                } catch {
                    return .failure(
                        "Grafana does not answer at \(url)", evidence: ["\(error)"],
                        remedy: [
                            "is it running? stackpilot ps", "start it: stackpilot up", "if it runs elsewhere, set GRAFANA_URL",
                        ])
                }
            },
            whenReachable("credentials") {
                do {
                    _ = try await verified.run()
                    return .ok("Grafana accepts \(grafana.credentials)")
                } catch let error as Grafana.ProvisionError {
                    return .failure("Grafana refuses \(grafana.credentials)", evidence: ["\(error)"], remedy: [credentialsRemedy])
                }
            },
            whenReachable("default-password") {
                let accepted: Bool
                do {
                    _ = try await verified.run()
                    accepted = true
                } catch is Grafana.ProvisionError {
                    accepted = false
                }
                return try await defaultPasswordFinding(setup, accepted: accepted)
            },
            whenAccepted("datasource") {
                guard try await verified.run() else {
                    return .failure("the Prometheus datasource \(setup.datasourceUID) is missing", remedy: [reprovision], fix: .provisionGrafana)
                }
                let health = try await grafana.datasourceHealth(uid: setup.datasourceUID)
                guard health.isOK else {
                    return .failure(
                        "the datasource \(setup.datasourceUID) exists but Grafana cannot query Prometheus through it",
                        evidence: ["Grafana says: \(health.message)"],
                        remedy: [
                            "is Prometheus running and on Grafana's network? Its URL in the datasource must be the one Grafana reaches (http://prometheus:9090 inside the network)"
                        ])
                }
                return .ok("datasource \(setup.datasourceUID) works: \(health.message)")
            },
            whenAccepted("dashboards") {
                var missing: [String] = []
                for uid in setup.dashboardUIDs where try await grafana.dashboard(uid: uid) == nil {
                    missing.append(uid)
                }
                guard missing.isEmpty else {
                    return .failure(
                        "dashboard\(missing.count == 1 ? "" : "s") missing in Grafana: \(missing.joined(separator: ", "))",
                        evidence: ["expected from dashboards/: \(setup.dashboardUIDs.joined(separator: ", "))"],
                        remedy: [reprovision], fix: .provisionGrafana)
                }
                return .ok("all \(setup.dashboardUIDs.count) dashboards of dashboards/ are in Grafana")
            },
            whenAccepted("alert-rules") {
                let present = Set(try await grafana.alertRules().compactMap { $0["uid"]?.stringValue })
                let missing = setup.alertRuleUIDs.filter { !present.contains($0) }
                guard missing.isEmpty else {
                    return .failure(
                        "alert rule\(missing.count == 1 ? "" : "s") missing in Grafana: \(missing.joined(separator: ", "))",
                        remedy: [reprovision], fix: .provisionGrafana)
                }
                return .ok("all \(setup.alertRuleUIDs.count) alert rules are provisioned")
            },
        ]
    }

    /// The datasource lookup (whether it exists) that also judges the credentials, unless they were refused less than
    /// `minimumInterval` ago (then no attempt: the remembered refusal is reported).
    static func verifiedLookup(_ setup: GrafanaSetup) async throws -> Bool {
        let grafana = setup.client
        let policy = setup.defaultPassword
        let memoryFile = policy.stateFile?.deletingLastPathComponent().appendingPathComponent("grafana-credentials.json")
        let fingerprint = credentialsFingerprint(grafana.credentials)
        let now = policy.now()
        if let memory = readRefusal(memoryFile), memory.url == grafana.url, memory.fingerprint == fingerprint,
            !mayRetryCredentials(refusedAt: memory.refusedAt, now: now, minimumInterval: policy.minimumInterval)
        {
            throw Grafana.ProvisionError.unauthorized(
                url: grafana.url,
                credentials:
                    "\(grafana.credentials), refused \(Int(now.timeIntervalSince(memory.refusedAt) / 60)) min ago: not tried again for \(Int(policy.minimumInterval / 60)) minutes, to stay clear of Grafana's login lockout"
            )
        }
        do {
            let exists = try await grafana.datasource(uid: setup.datasourceUID) != nil
            if let memoryFile, readRefusal(memoryFile) != nil { try? FileManager.default.removeItem(at: memoryFile) }
            return exists
        } catch {
            guard let status = error.status, status == 401 || status == 403 else { throw error }
            writeRefusal(CredentialsRefusal(url: grafana.url, fingerprint: fingerprint, refusedAt: now), to: memoryFile)
            throw Grafana.ProvisionError.unauthorized(url: grafana.url, credentials: grafana.credentials.description)
        }
    }

    static let defaultPasswordRemedy = [
        "set another password: GRAFANA_ADMIN_PASSWORD in stacks/.env (or the environment) for the grafana service, then recreate it with stackpilot up; StackPilot reads the same variable",
        "or change it in Grafana and give stackpilot the new one through GRAFANA_PASSWORD (or GRAFANA_PASSWORD_FILE)",
    ]

    /// The default-password finding: judged from StackPilot's own login when it can, else from one
    /// admin/admin attempt per `policy.minimumInterval`, remembered (never from a periodic run).
    static func defaultPasswordFinding(_ setup: GrafanaSetup, accepted: Bool) async throws -> Finding {
        let grafana = setup.client
        let policy = setup.defaultPassword
        func finding(_ acceptsDefault: Bool, _ note: String) -> Finding {
            acceptsDefault
                ? .warning("Grafana still accepts the default admin/admin\(note)", remedy: defaultPasswordRemedy)
                : .ok("the default admin/admin password has been changed\(note)")
        }
        switch judgeDefaultPassword(credentials: grafana.credentials, accepted: accepted) {
        case .stillDefault: return finding(true, " (StackPilot logs in with it)")
        case .changed: return finding(false, " (StackPilot logs in as admin with another password)")
        case .unknown: break
        }
        let now = policy.now()
        let memory = readMemory(policy.stateFile)
        if mayTryDefaultPassword(memory: memory, url: grafana.url, now: now, policy: policy) {
            let acceptsDefault = try await grafana.accepts(user: "admin", password: "admin")
            writeMemory(DefaultPasswordMemory(url: grafana.url, attemptedAt: now, acceptsDefault: acceptsDefault), to: policy.stateFile)
            return finding(acceptsDefault, "")
        }
        if let memory, memory.url == grafana.url {
            let minutes = max(0, Int(now.timeIntervalSince(memory.attemptedAt) / 60))
            return finding(
                memory.acceptsDefault,
                " (as of \(minutes) min ago: admin/admin is tried at most every \(Int(policy.minimumInterval / 60)) minutes, never by supervise, to stay clear of Grafana's login lockout)"
            )
        }
        return .notApplicable("not checked: trying admin/admin counts towards Grafana's login lockout, so supervise never does; run stackpilot doctor to check")
    }
}
