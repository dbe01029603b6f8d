import Compose
import DockerEngine
import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing

@testable import Doctor

/// Doctor's targets check right after a container came back: Prometheus' last scrape of it failed
/// while it was away, and the check must wait for the next scrape instead of reporting it down —
/// while a target whose container stays stopped is still reported down at once.
///
/// Real parts: two busybox httpd containers serving a /metrics file on published loopback ports,
/// labelled as compose services `api` and `model-api` of this test's own project, and Debian's
/// Prometheus scraping them every 2 s.
@Suite("Doctor targets check: a target whose container restarted after its last scrape is pending", .serialized, .requiresEngine, .requiresPrometheus)
struct DoctorPendingTargetTests {
    static let logger: Logger = {
        var l = Logger(label: "doctor-pending-test"); l.logLevel = .error; return l
    }()

    /// For the tests that need the check to find targets pending: a scrape counts only from 6 s
    /// after the container's start, so a check that begins within 6 s of the start (not only 2 s,
    /// the default, which a loaded CI machine can miss) finds it pending; the slack keeps the wait
    /// long enough for the scrape after that (interval 2 s + 20 s).
    static let pendingWait = Doctor.PendingScrapeWait(slack: .seconds(20), startupGrace: .seconds(6))

    struct Deployment: Sendable {
        var engine: DockerEngine.Client
        var prometheus: PrometheusAPI.Client
        var manifest: Manifest
        /// Container ids by service.
        var containers: [String: String]

        /// The targets check as `doctor` runs it: from the catalogue, through the runner, with its timeout.
        func targetsCheck(_ policy: Doctor.PendingScrapeWait = .init()) async throws -> Doctor.Finding {
            var setup = Doctor.Setup(engine: engine, manifest: manifest, projects: [], prometheus: prometheus, grafana: nil, alerts: [])
            setup.pendingScrapes = policy
            let checks = Doctor.checks(setup, only: [.prometheus])
            try #require(checks.contains { $0.name == "targets" && $0.timeout == policy.limit + .seconds(10) })
            let report = await Doctor.Runner().run(checks.filter { $0.name == "targets" })
            // doctor --format json stays valid with the new evidence.
            let json = try JSONEncoder().encode(report)
            #expect(try JSONDecoder().decode(Doctor.Report.self, from: json).results.map(\.check) == ["targets"])
            return try #require(report.results.first).finding
        }

        func target(_ job: String) async throws -> PrometheusAPI.Target? {
            try await prometheus.targets().active(job: job).first
        }

        /// Kills the service's container and waits until Prometheus has scraped it down since.
        func killAndWaitUntilDown(_ service: String) async throws {
            let id = try #require(containers[service])
            let killed = Date()
            try await engine.killContainer(id)
            var last: PrometheusAPI.Target?
            let down = try await EngineFixture.eventually(timeout: .seconds(60)) {
                last = try await target(service)
                guard let last, last.health == .down, let scraped = Doctor.scrapeDate(last.lastScrape) else { return false }
                return scraped > killed
            }
            try #require(down, "Prometheus did not see \(service) down after its container was killed: \(String(describing: last))")
        }

        /// Starts the service's container again and returns once the engine says it runs.
        func start(_ service: String) async throws {
            let id = try #require(containers[service])
            try await engine.startContainer(id)
            let running = try await engine.inspectContainer(id).state?.running == true
            try #require(running, "\(service) did not start")
        }

        /// Kills `services` (each until Prometheus has scraped it down), starts them again and runs
        /// the targets check; up to three times, until `waited` says the check had to wait. On a
        /// loaded machine Prometheus may scrape a restarted target before the check begins, which
        /// leaves nothing to wait for. Every attempt's finding goes through `expectations`.
        /// Returns whether an attempt waited.
        func restartUntilPending(
            _ services: [String], expectations: (Doctor.Finding) -> Void,
            waited: (Doctor.Finding) -> Bool
        ) async throws -> Bool {
            for _ in 0..<6 {  // the check must start within one 2 s scrape of the restarts; under load that takes tries
                for service in services { try await killAndWaitUntilDown(service) }
                for service in services { try await start(service) }
                let finding = try await targetsCheck(DoctorPendingTargetTests.pendingWait)
                expectations(finding)
                if waited(finding) { return true }
            }
            return false
        }
    }

    /// Two metrics containers, Prometheus scraping them every 2 s, both up before `body` runs.
    static func withDeployment(_ body: @Sendable (Deployment) async throws -> Void) async throws {
        try await EngineFixture.with(area: "pending") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            var containers: [String: String] = [:]
            var ports: [String: Int] = [:]
            for service in ["api", "model-api"] {
                let (id, port) = try await startMetricsContainer(fixture, image: image, service: service)
                containers[service] = id
                ports[service] = port
            }

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(fixture.prefix)-prometheus")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let prometheusPort = try TestServers.freePort()
            try Data(
                """
                global: {scrape_interval: 2s, scrape_timeout: 1s, evaluation_interval: 2s}
                scrape_configs:
                  - job_name: api
                    static_configs: [{targets: ["127.0.0.1:\(ports["api"]!)"]}]
                  - job_name: model-api
                    static_configs: [{targets: ["127.0.0.1:\(ports["model-api"]!)"]}]
                """.utf8
            ).write(to: directory.appendingPathComponent("prometheus.yml"))
            let process = try LocalPrometheus.launch(
                LocalPrometheus.prometheusBinary,
                [
                    "--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
                    "--web.listen-address=127.0.0.1:\(prometheusPort)",
                ], directory: directory, name: "prometheus")
            defer { LocalPrometheus.stop(process) }
            let url = "http://127.0.0.1:\(prometheusPort)"
            let prometheus = PrometheusAPI.Client(transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: logger)

            let manifestTargets = ["api", "model-api"].map { service in
                [
                    "job": service, "service": service, "project": fixture.prefix, "address": "\(service):8080",
                    "metricsURL": "http://127.0.0.1:\(ports[service]!)/metrics", "metrics": ["sptest_pending_up"],
                ] as [String: Any]
            }
            let manifestObject: [String: Any] = [
                "path": "/m", "directory": "/", "deployment": [], "network": fixture.name("net"), "prometheus": ["url": url],
                "grafana": [
                    "url": "http://127.0.0.1:1", "credentials": ["userEnv": "U", "passwordEnv": "P", "defaultUser": "admin", "defaultPassword": "admin"],
                ],
                "dashboardsDirectory": "/d", "targets": manifestTargets,
            ]
            let manifest = try JSONDecoder().decode(Manifest.self, from: try JSONSerialization.data(withJSONObject: manifestObject))

            var targets: [PrometheusAPI.Target] = []
            let bothUp = await EngineFixture.eventually(timeout: .seconds(90)) {
                targets = (try? await prometheus.targets().activeTargets) ?? []
                return targets.count == 2 && targets.allSatisfy { $0.health == .up }
            }
            let log = (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
            try #require(bothUp, "Prometheus did not see both metrics containers up: \(targets)\n\(log.suffix(2000))")
            try await body(Deployment(engine: engine, prometheus: prometheus, manifest: manifest, containers: containers))
        }
    }

    /// A busybox httpd serving `/metrics` on a published 127.0.0.1 port, labelled as compose
    /// service `service` of the fixture's project. A fixed host port, so it survives a restart.
    static func startMetricsContainer(_ fixture: EngineFixture, image: String, service: String) async throws -> (id: String, port: Int) {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try TestServers.freePort()
            var labels = fixture.labels
            labels["com.docker.compose.project"] = fixture.prefix
            labels["com.docker.compose.service"] = service
            var config = DockerEngine.ContainerConfig(
                image: image,
                cmd: [
                    "sh", "-c", "mkdir -p /www && echo 'sptest_pending_up 1' > /www/metrics && exec httpd -f -p 8080 -h /www",
                ], labels: labels)
            config.exposedPorts = ["8080/tcp": .init()]
            config.hostConfig = DockerEngine.HostConfig()
            config.hostConfig?.portBindings = ["8080/tcp": [.init(hostIP: "127.0.0.1", hostPort: "\(port)")]]
            let created = try await fixture.engine.createContainer(name: fixture.name("\(service)-\(port)"), config)
            fixture.removeContainerLater(created.id)
            do {
                try await fixture.engine.startContainer(created.id)
                return (created.id, port)
            } catch {
                // The free port was taken before the engine could publish it: another port.
                lastError = error
                try? await fixture.engine.removeContainer(created.id, force: true)
            }
        }
        throw try #require(lastError)
    }

    @Test("a container started again after Prometheus' failed scrape: the targets check waits for the next scrape and reports ok")
    func restartedTargetIsPendingThenUp() async throws {
        try await Self.withDeployment { deployment in
            let waitedOnce = try await deployment.restartUntilPending(["api"]) { finding in
                #expect(finding.status == .ok, "\(finding)")
                #expect(finding.summary == "all 2 targets are up", "\(finding)")
                #expect(finding.evidence.contains { $0.hasPrefix("api http") && $0.hasSuffix(": up") }, "\(finding.evidence)")
            } waited: { finding in
                finding.evidence.contains { $0.hasPrefix("api: up at its first scrape since api (sptest-pending-") }
            }
            #expect(waitedOnce, "the check never had to wait for api's first scrape after its start")
        }
    }

    @Test("a container that stays stopped is reported down at once, with no waiting, and its diagnosis")
    func stoppedTargetIsDownAtOnce() async throws {
        try await Self.withDeployment { deployment in
            try await deployment.killAndWaitUntilDown("model-api")
            // A wait would be long: it must not happen at all.
            let finding = try await deployment.targetsCheck(.init(limit: .seconds(30), slack: .seconds(30)))
            #expect(finding.status == .failure, "\(finding)")
            #expect(finding.code == "prometheus.targets.down", "\(finding)")
            #expect(finding.summary.hasSuffix(": model-api"), "names the target: \(finding)")
            #expect(!finding.evidence.contains { $0.hasPrefix("model-api: ") }, "no pending note for a stopped container: \(finding.evidence)")
            let line = try #require(finding.evidence.first { $0.hasPrefix("model-api http") }, "\(finding.evidence)")
            #expect(line.contains(": down — "), "\(line)")
            #expect(finding.remedy.contains { $0.contains("lastError") })
        }
    }

    @Test("one target restarted and one left stopped: the check waits for the first, reports only the second down")
    func restartedAndStoppedTogether() async throws {
        try await Self.withDeployment { deployment in
            try await deployment.killAndWaitUntilDown("model-api")
            let waitedOnce = try await deployment.restartUntilPending(["api"]) { finding in
                #expect(finding.status == .failure, "\(finding)")
                #expect(finding.code == "prometheus.targets.down", "\(finding)")
                #expect(finding.summary.hasSuffix(": model-api"), "names the target: \(finding)")
                #expect(!finding.evidence.contains { $0.hasPrefix("model-api: ") }, "\(finding.evidence)")
                #expect(finding.evidence.contains { $0.hasPrefix("api http") && $0.hasSuffix(": up") }, "\(finding.evidence)")
            } waited: { finding in
                finding.evidence.contains { $0.hasPrefix("api: up at its first scrape since api (") }
            }
            #expect(waitedOnce, "the check never had to wait for api's first scrape after its start")
        }
    }

    @Test("both targets restarted together: both are waited for in the same wait and reported up")
    func twoRestartedTogether() async throws {
        try await Self.withDeployment { deployment in
            let waitedForBoth = try await deployment.restartUntilPending(["api", "model-api"]) { finding in
                #expect(finding.status == .ok, "\(finding)")
                #expect(finding.summary == "all 2 targets are up", "\(finding)")
            } waited: { finding in
                let notes = finding.evidence.filter { $0.contains(": up at its first scrape since ") }
                return notes.contains { $0.hasPrefix("api: ") } && notes.contains { $0.hasPrefix("model-api: ") }
            }
            #expect(waitedForBoth, "the check never had to wait for both targets' first scrapes")
        }
    }

    @Test("the wait runs out before Prometheus scrapes the restarted target: a failure that says it was not scraped since the start")
    func waitRunsOut() async throws {
        try await Self.withDeployment { deployment in
            var sawTimeout = false
            for _ in 0..<3 where !sawTimeout {
                try await deployment.killAndWaitUntilDown("api")
                try await deployment.start("api")
                // No time to wait at all: the scrape to judge on (2 s after the start) cannot have happened.
                let finding = try await deployment.targetsCheck(.init(limit: .zero))
                if finding.status == .ok { continue }  // the machine was slow enough for that scrape to happen
                #expect(finding.status == .failure, "\(finding)")
                // notScraped, not down: a target waited on is not counted as down as well.
                #expect(finding.code == "prometheus.targets.notScraped", "\(finding)")
                #expect(finding.evidence.contains { $0.hasPrefix("api: not scraped since api (") && $0.contains("scraped every 2 s") }, "\(finding.evidence)")
                #expect(finding.remedy.contains { $0.contains("/targets") }, "\(finding.remedy)")
                sawTimeout = true
            }
            #expect(sawTimeout, "the check never ran out of time waiting")
        }
    }
}
