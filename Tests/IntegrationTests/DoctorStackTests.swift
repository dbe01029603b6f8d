import DockerEngine
import Foundation
import Grafana
import PrometheusAPI
import TestSupport
import Testing

@testable import Doctor

/// `stackpilot doctor` as a user runs it (the binary, its exit code, its JSON report) against the
/// repository's own stacks on the real engine: local images, real Prometheus, the Grafana
/// stand-in provisioned by `stackpilot up`. One deployment serves the whole suite (see
/// `DoctorStackDeployment`: own project names, network and ports, so a user deployment on the same
/// machine is never touched); every test that breaks something puts it back.
@Suite(
    "Doctor on the repository's stacks (real engine, Prometheus, Grafana stand-in)",
    .serialized, .requiresEngine, .doctorStackDeployment, .timeLimit(.minutes(30)))
struct DoctorStackTests {
    /// Checks whose verdict is about the machine that runs the tests, not about the deployment: a
    /// loaded CI machine really is above 90 % CPU, and doctor is right to say so.
    static let hostConditions: Set<String> = ["engine/disk-space", "alerts/high-cpu-usage", "alerts/high-memory-usage", "alerts/low-disk-space"]

    static func key(_ result: Doctor.Result) -> String { "\(result.group.rawValue)/\(result.check)" }

    static func describe(_ results: [Doctor.Result]) -> String {
        results.map { "\(key($0)) \($0.finding.status.rawValue): \($0.finding.summary) \($0.finding.evidence)" }.joined(separator: "\n")
    }

    /// Failures that are about the deployment (host conditions left out).
    static func deploymentFailures(_ report: Doctor.Report) -> [Doctor.Result] {
        report.results.filter { $0.finding.status == .failure && !hostConditions.contains(key($0)) }
    }

    // MARK: Healthy

    @Test("healthy deployment: no check fails, exit 0; the only warning is Grafana's default admin/admin (besides the host's own load)")
    func healthy() async throws {
        let deployment = try DoctorStackDeployment.shared()
        // The latency and error-rate conditions are rates: they need two scrapes of model-api with
        // traffic in between (15 s apart); until then doctor rightly says "no data yet".
        var latest: (run: DoctorStackDeployment.Run, report: Doctor.Report)?
        let evaluated = try await EngineFixture.eventually(timeout: .seconds(120)) {
            latest = try await deployment.doctor()
            return ["high-inference-latency", "high-error-rate"].allSatisfy { latest?.report.finding(.alerts, $0)?.status != .notApplicable }
        }
        let (run, report) = try #require(latest)
        #expect(evaluated, "the rate-based alert conditions never had data:\n\(Self.describe(report.results.filter { $0.group == .alerts }))")
        let failures = report.results.filter { $0.finding.status == .failure }
        #expect(failures.isEmpty, "\(Self.describe(failures))")
        #expect(run.status == 0, "\(run)")

        let stacks = report.results.filter { $0.group == .stacks }
        let expectedServices =
            ["engine-proxy", "exporter", "grafana", "node-exporter", "prometheus"].map { "\(deployment.monitoringProject)/\($0)" }
            + ["api", "model-api"].map { "\(deployment.appProject)/\($0)" }
        #expect(Set(stacks.map(\.check)) == Set(expectedServices))
        for result in stacks {
            #expect(result.finding.status == .ok && result.finding.summary.hasSuffix("is running and healthy"), "\(Self.describe([result]))")
        }

        let metrics = report.results.filter { $0.group == .metrics }
        #expect(Set(metrics.map(\.check)) == ["api", "model-api", "node-exporter", "stackpilot"])
        for result in metrics {
            #expect(result.finding.status == .ok, "\(Self.describe([result]))")
        }

        #expect(report.finding(.prometheus, "ready")?.status == .ok)
        #expect(report.finding(.prometheus, "configuration")?.summary == "configuration loaded, 5 jobs, scrape interval 15 s")
        #expect(report.finding(.prometheus, "targets")?.summary == "all 5 targets are up")

        let health = try #require(report.finding(.grafana, "health"))
        #expect(health.status == .ok && health.summary.contains("stand-in") && health.summary.contains(deployment.grafanaURL), "\(health)")
        #expect(report.finding(.grafana, "credentials")?.status == .ok)
        #expect(report.finding(.grafana, "datasource")?.status == .ok, "\(String(describing: report.finding(.grafana, "datasource")))")
        #expect(report.finding(.grafana, "dashboards")?.summary == "all 2 dashboards of dashboards/ are in Grafana")
        #expect(report.finding(.grafana, "alert-rules")?.summary == "all 6 alert rules are provisioned")
        let password = try #require(report.finding(.grafana, "default-password"))
        #expect(password.status == .warning && password.summary.contains("admin/admin") && !password.remedy.isEmpty)

        let alerts = report.results.filter { $0.group == .alerts }
        #expect(
            Set(alerts.map(\.check)) == [
                "high-inference-latency", "high-error-rate", "low-gpu-memory", "high-cpu-usage", "high-memory-usage", "low-disk-space",
            ])
        #expect(report.finding(.alerts, "high-inference-latency")?.status == .ok)
        #expect(report.finding(.alerts, "high-error-rate")?.status == .ok)
        #expect([.ok, .notApplicable].contains(report.finding(.alerts, "low-gpu-memory")?.status))
        for uid in ["high-cpu-usage", "high-memory-usage", "low-disk-space"] {
            let finding = try #require(report.finding(.alerts, uid))
            #expect(finding.status != .notApplicable && finding.evidence.first?.hasPrefix("now ") == true, "\(uid) was not evaluated: \(finding)")
        }

        let resources = try #require(report.finding(.resources, "containers"))
        #expect(resources.status == .ok && resources.evidence.first?.contains("7 containers") == true, "\(resources)")

        // Exactly which warnings: the default password; host conditions only when the host is in that state.
        let warnings = Set(report.results.filter { $0.finding.status == .warning }.map(Self.key))
        #expect(
            warnings.subtracting(Self.hostConditions) == ["grafana/default-password"],
            "\(Self.describe(report.results.filter { $0.finding.status == .warning }))")
        for result in report.results where result.finding.status == .warning && Self.hostConditions.contains(Self.key(result)) {
            #expect(!result.finding.remedy.isEmpty, "\(Self.describe([result]))")
        }
    }

    @Test("without a terminal the table is plain ASCII, one line per check with evidence under problems; --only keeps the named groups")
    func tableAndOnly() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let table = try await deployment.stackpilot(["doctor"])
        #expect(table.stdout.contains("[ok] targets: all 5 targets are up\n"), "\(table)")
        #expect(table.stdout.contains("[!] default-password: Grafana still accepts the default admin/admin"))
        #expect(table.stdout.contains("\nPrometheus\n") && table.stdout.contains("\nGrafana\n") && table.stdout.hasPrefix("Docker engine\n"))
        #expect(table.stdout.contains("Doctor found problems:"))
        #expect(!table.stdout.contains("\u{1B}[") && !table.stdout.contains("✓"))

        let (run, only) = try await deployment.doctor(["--only", "prometheus", "grafana"])
        #expect(Set(only.results.map(\.group)) == [.prometheus, .grafana], "\(run)")
        #expect(only.results.count == 9)
        #expect(run.status == 0, "\(run)")
    }

    @Test("an alert with `for:` is a warning while Prometheus has less data than the window, a failure once it has the whole window")
    func holdWindow() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let prometheus = deployment.prometheus()
        func alert(holdFor: Duration) -> GuideAlert {
            GuideAlert(
                uid: "test-up", title: "Prometheus up", expression: "100 * up{job=\"prometheus\"}", comparison: .above,
                threshold: 90, holdFor: holdFor, summary: "Prometheus has been up", hints: "")
        }
        // The deployment is younger than an hour: the condition holds for all the data there is.
        let hour = try await Doctor.alertFinding(prometheus, alert(holdFor: .seconds(3600)))
        #expect(hour.status == .warning, "\(hour)")
        #expect(hour.summary.hasSuffix("not yet for 60 min"), "\(hour)")
        #expect(hour.evidence.contains { $0.contains("of the 240 evaluations of the last 60 min") }, "\(hour)")
        // Fifteen seconds are covered by the scrapes since the deployment came up.
        let short = try await Doctor.alertFinding(prometheus, alert(holdFor: .seconds(15)))
        #expect(short.status == .failure, "\(short)")
        #expect(short.summary == "Prometheus has been up (100)")
    }

    // MARK: Faults

    @Test("a target down in Prometheus (api stopped): the targets check shows it down with its lastError, stacks and metrics say why, exit 1")
    func targetDown() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let api = try await deployment.container("api", project: deployment.appProject)
        try await deployment.engine.stopContainer(api.id, timeout: 5)
        do {
            // A stopped container leaves the network: once Prometheus has scraped since, it cannot
            // resolve api any more (a scrape racing the stop may see "connection refused" first).
            let diagnosis = "api: api (\(deployment.appProject)) is not running or not on the network \(deployment.network) — see its stacks check"
            var latest: (run: DoctorStackDeployment.Run, report: Doctor.Report)?
            let seen = try await EngineFixture.eventually(timeout: .seconds(120)) {
                latest = try await deployment.doctor(["--only", "stacks", "metrics", "prometheus"])
                return latest?.report.finding(.prometheus, "targets")?.remedy.contains(diagnosis) == true
            }
            let (run, report) = try #require(latest)
            #expect(seen, "Prometheus never reported api down:\n\(run)")
            #expect(run.status == 1)

            let targets = try #require(report.finding(.prometheus, "targets"))
            #expect(targets.code == "prometheus.targets.down", "\(targets)")
            #expect(targets.summary.hasSuffix(": api"), "names the target: \(targets)")
            let apiLine = try #require(targets.evidence.first { $0.hasPrefix("api ") }, "\(targets.evidence)")
            let lastError = apiLine.components(separatedBy: ": down — ").dropFirst().joined()
            #expect(!lastError.isEmpty, "no lastError in \(apiLine)")
            #expect(targets.evidence.filter { $0.hasSuffix(": up") }.count == 4, "\(targets.evidence)")
            #expect(targets.remedy.contains { $0.contains("lastError") })
            // The stopped container is gone from the network: Prometheus cannot resolve it, and the remedy says what that means.
            #expect(targets.remedy.contains(diagnosis), "\(targets.remedy)")

            let stack = try #require(report.finding(.stacks, "\(deployment.appProject)/api"))
            #expect(stack.status == .failure && stack.summary.hasPrefix("api is not running"), "\(stack)")
            #expect(stack.fix == .startContainer(id: api.id, service: "api"))
            #expect(report.finding(.stacks, "\(deployment.appProject)/model-api")?.status == .ok)
            let metrics = try #require(report.finding(.metrics, "api"))
            #expect(metrics.status == .failure && metrics.summary.hasSuffix("does not answer"), "\(metrics)")
            #expect(report.finding(.metrics, "model-api")?.status == .ok)

            let table = try await deployment.stackpilot(["doctor", "--only", "stacks", "prometheus"])
            #expect(table.status == 1)
            #expect(table.stdout.contains("[x] targets: 1 of 5 targets are not up: api\n"), "\(table)")
            #expect(table.stdout.contains("stackpilot doctor --fix would start the stopped container of api"))
        } catch {
            try? await deployment.restore("api", project: deployment.appProject)
            throw error
        }
        try await deployment.restore("api", project: deployment.appProject)
    }

    @Test("Grafana stand-in down: the health check fails with a remedy, the other Grafana checks say they cannot look, exit 1")
    func grafanaDown() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let grafana = try await deployment.container("grafana", project: deployment.monitoringProject)
        try await deployment.engine.stopContainer(grafana.id, timeout: 5)
        do {
            let (run, report) = try await deployment.doctor()
            #expect(run.status == 1)
            let health = try #require(report.finding(.grafana, "health"))
            #expect(health.status == .failure && health.summary == "Grafana does not answer at \(deployment.grafanaURL)", "\(health)")
            #expect(health.remedy.contains { $0.contains("stackpilot up") })
            for check in ["credentials", "default-password", "datasource", "dashboards", "alert-rules"] {
                let finding = try #require(report.finding(.grafana, check))
                #expect(finding.status == .notApplicable && finding.summary.hasPrefix("cannot look"), "\(check): \(finding)")
            }
            let stack = try #require(report.finding(.stacks, "\(deployment.monitoringProject)/grafana"))
            #expect(stack.status == .failure && stack.fix == .startContainer(id: grafana.id, service: "grafana"), "\(stack)")
            // Nothing else is dragged down with it.
            #expect(report.finding(.prometheus, "targets")?.status == .ok)
            #expect(
                Self.deploymentFailures(report).map(Self.key).sorted() == ["grafana/health", "stacks/\(deployment.monitoringProject)/grafana"],
                "\(Self.describe(Self.deploymentFailures(report)))")
        } catch {
            try? await deployment.restore("grafana", project: deployment.monitoringProject)
            throw error
        }
        try await deployment.restore("grafana", project: deployment.monitoringProject)
        let provision = try await deployment.stackpilot(["provision"])
        #expect(provision.status == 0, "\(provision)")
    }

    // MARK: --fix

    @Test("--fix starts a stopped service, waits for it, and the re-check passes; the engine has it running and healthy")
    func fixStartsStoppedService() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let modelAPI = try await deployment.container("model-api", project: deployment.appProject)
        try await deployment.engine.stopContainer(modelAPI.id, timeout: 5)
        do {
            let (before, broken) = try await deployment.doctor(["--only", "stacks"])
            #expect(before.status == 1)
            #expect(broken.finding(.stacks, "\(deployment.appProject)/model-api")?.fix == .startContainer(id: modelAPI.id, service: "model-api"))

            let (run, report) = try await deployment.doctor(["--fix"])
            #expect(run.stderr.contains("fixed: start the stopped container of model-api"), "\(run)")
            #expect(Self.deploymentFailures(report).isEmpty, "\(Self.describe(Self.deploymentFailures(report)))\n\(run)")
            #expect(report.finding(.stacks, "\(deployment.appProject)/model-api")?.status == .ok)
            #expect(report.finding(.metrics, "model-api")?.status == .ok)
            #expect(report.finding(.prometheus, "targets")?.status == .ok)
            #expect(run.status == (report.hasFailure ? 1 : 0))

            let state = try await deployment.container("model-api", project: deployment.appProject).state
            #expect(state?.running == true && state?.health?.status == .healthy)
        } catch {
            try? await deployment.restore("model-api", project: deployment.appProject)
            throw error
        }
        try await deployment.restore("model-api", project: deployment.appProject)
    }

    @Test("--fix restarts an unhealthy container (api frozen with SIGSTOP until its healthcheck fails) and it recovers")
    func fixRestartsUnhealthy() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let api = try await deployment.container("api", project: deployment.appProject)
        let startedBefore = api.state?.startedAt
        // SIGSTOP from the engine freezes the server: the container runs, its healthcheck times out.
        try await deployment.engine.killContainer(api.id, signal: "SIGSTOP")
        do {
            // 5 retries of a 10 s interval and a 5 s timeout: over a minute; wait generously.
            let unhealthy = try await EngineFixture.eventually(timeout: .seconds(300)) {
                try await deployment.container("api", project: deployment.appProject).state?.health?.status == .unhealthy
            }
            try #require(unhealthy, "api never became unhealthy")

            let (before, broken) = try await deployment.doctor(["--only", "stacks"])
            #expect(before.status == 1)
            let finding = try #require(broken.finding(.stacks, "\(deployment.appProject)/api"))
            #expect(finding.status == .failure && finding.summary.hasPrefix("api is running but unhealthy"), "\(finding)")
            #expect(finding.fix == .restartContainer(id: api.id, service: "api"))
            #expect(finding.evidence.contains { $0.hasPrefix("last healthcheck") }, "\(finding.evidence)")

            let (run, report) = try await deployment.doctor(["--fix", "--only", "stacks", "metrics", "prometheus"])
            #expect(run.stderr.contains("fixed: restart the unhealthy container of api"), "\(run)")
            #expect(report.finding(.stacks, "\(deployment.appProject)/api")?.status == .ok, "\(run)")
            #expect(report.finding(.metrics, "api")?.status == .ok)
            #expect(report.finding(.prometheus, "targets")?.status == .ok, "\(run)")
            #expect(run.status == 0, "\(run)")

            let after = try await deployment.container("api", project: deployment.appProject)
            #expect(after.state?.running == true && after.state?.health?.status == .healthy)
            #expect(after.state?.startedAt != startedBefore, "api was not restarted")
        } catch {
            try? await deployment.restore("api", project: deployment.appProject)
            throw error
        }
        try await deployment.restore("api", project: deployment.appProject)
    }

    @Test("--fix re-provisions Grafana: a Grafana that lost its datasource and dashboards gets failures with the fix, and has them back afterwards")
    func fixReprovisions() async throws {
        let deployment = try DoctorStackDeployment.shared()
        let grafana = try deployment.grafana()
        // Provisioned datasources and dashboards cannot be deleted over the API (Grafana refuses,
        // and so does the stand-in): Grafana loses them when it starts without its provisioning
        // files. So: restart it with those two files moved aside, then put the files back.
        try await deployment.restartGrafana(withoutProvisioning: ["datasources/prometheus.yml", "dashboards/stackpilot.yml"])
        do {
            #expect(try await grafana.datasource(uid: Grafana.datasourceUID) == nil)
            #expect(try await grafana.dashboard(uid: "model-performance") == nil)

            let (before, broken) = try await deployment.doctor(["--only", "grafana"])
            #expect(before.status == 1)
            let dashboards = try #require(broken.finding(.grafana, "dashboards"))
            #expect(
                dashboards.status == .failure && dashboards.summary == "dashboards missing in Grafana: model-performance, system-performance", "\(dashboards)")
            #expect(dashboards.fix == .provisionGrafana)
            let datasource = try #require(broken.finding(.grafana, "datasource"))
            #expect(datasource.status == .failure && datasource.summary == "the Prometheus datasource \(Grafana.datasourceUID) is missing", "\(datasource)")
            #expect(datasource.fix == .provisionGrafana)

            let (run, report) = try await deployment.doctor(["--fix", "--only", "grafana"])
            #expect(run.stderr.components(separatedBy: "fixed: provision Grafana again").count == 2, "provisioned once: \(run)")
            #expect(run.status == 0, "\(run)")
            for check in ["health", "credentials", "datasource", "dashboards", "alert-rules"] {
                #expect(report.finding(.grafana, check)?.status == .ok, "\(check): \(String(describing: report.finding(.grafana, check)))")
            }
            #expect(try await grafana.datasource(uid: Grafana.datasourceUID) != nil)
            #expect(try await grafana.dashboard(uid: "model-performance") != nil)
            #expect(try await grafana.dashboard(uid: "system-performance") != nil)
        } catch {
            _ = try? await deployment.stackpilot(["provision"])
            throw error
        }
    }
}

extension Doctor.Report {
    func finding(_ group: Doctor.Group, _ check: String) -> Doctor.Finding? {
        results.first { $0.group == group && $0.check == check }?.finding
    }
}
