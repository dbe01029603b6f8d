import Compose
import Foundation
import Grafana
import GrafanaStandIn
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing
import WorkloadSim

@testable import Doctor

/// Doctor's checks against real parts: workload-sim in process, Debian's Prometheus scraping it,
/// and the Grafana stand-in — each fault must give the right check, evidence and remedy.
@Suite("Doctor, against real Prometheus, workload-sim and the Grafana stand-in", .serialized, .requiresEngine)
struct DoctorIntegrationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let logger: Logger = {
        var l = Logger(label: "doctor-test"); l.logLevel = .error; return l
    }()

    static func target(_ job: String, port: Int, path: String = "/metrics", metrics: [String]) throws -> Manifest.Target {
        let object: [String: Any] = [
            "job": job, "service": job, "project": "p", "address": "\(job):1",
            "metricsURL": "http://127.0.0.1:\(port)\(path)", "metrics": metrics,
        ]
        let json = try JSONSerialization.data(withJSONObject: object)
        return try JSONDecoder().decode(Manifest.Target.self, from: json)
    }

    static func alerts() throws -> [GuideAlert] {
        let desired = try Grafana.Sources(repositoryRoot: repositoryRoot).load()
        return desired.alertGroups.flatMap(\.rules).compactMap(GuideAlert.init(rule:))
    }

    @Test("the repository's six alert rules are all understood by doctor")
    func sixAlerts() throws {
        let alerts = try Self.alerts()
        #expect(
            Set(alerts.map(\.uid)) == ["high-inference-latency", "high-error-rate", "low-gpu-memory", "high-cpu-usage", "high-memory-usage", "low-disk-space"])
        #expect(alerts.first { $0.uid == "high-inference-latency" }?.threshold == 5)
        #expect(alerts.first { $0.uid == "high-cpu-usage" }?.holdFor == .seconds(300))
    }

    /// The in-process server answers in milliseconds, but CI runs the suites in parallel on two
    /// cores: doctor's 5 s limit is for users' services, not for a starved test process.
    static let patient: Duration = .seconds(30)

    @Test("metrics checks: all expected metrics pass; a missing metric, a non-metrics endpoint and a dead port fail with a remedy")
    func metricsChecks() async throws {
        try await LocalPrometheus.withWorkload(role: .modelAPI, modelAPIURL: "http://127.0.0.1:9", loadRate: 5, logger: Self.logger) { port in
            let healthy = try Self.target(
                "model-api", port: port, metrics: ["model_inference_latency_seconds", "model_inference_total", "model_tokens_total", "gpu_memory_allocated_mb"])
            let ok = try await Doctor.metricsFinding(healthy, timeout: Self.patient)
            #expect(ok.status == .ok, "\(ok)")

            let missing = try await Doctor.metricsFinding(
                try Self.target("model-api", port: port, metrics: ["model_inference_total", "rag_cache_hits_total"]), timeout: Self.patient)
            #expect(missing.status == .failure)
            #expect(missing.code == "metrics.missing")
            #expect(missing.summary.contains("rag_cache_hits_total"), "names the missing metric")
            #expect(!missing.remedy.isEmpty)

            let notMetrics = try await Doctor.metricsFinding(
                try Self.target("model-api", port: port, path: "/no-such-page", metrics: ["model_inference_total"]), timeout: Self.patient)
            #expect(notMetrics.status == .failure)
            #expect(notMetrics.code == "metrics.status")

            let dead = try await Doctor.metricsFinding(
                try Self.target("api", port: try TestServers.freePort(), metrics: ["http_requests_total"]), timeout: Self.patient)
            #expect(dead.status == .failure)
            #expect(dead.code == "metrics.unreachable")
        }
    }

    /// Debian's Prometheus scraping one in-process model-api with `faults`, every second.
    static func withPrometheus(faults: Faults, _ body: @Sendable (PrometheusAPI.Client) async throws -> Void) async throws {
        let configuration = WorkloadConfiguration(role: .modelAPI, host: "127.0.0.1", port: 0, modelAPIURL: "http://127.0.0.1:9", loadRate: 8, faults: faults)
        let server = WorkloadServer(configuration: configuration, logger: logger, makeTransport: defaultTransportFactory)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await TestServers.with({
            defer { continuation.finish() }
            try await server.run(shutdownSignals: []) { continuation.yield($0) }
        }) {
            var iterator = ports.makeAsyncIterator()
            let modelPort = try #require(await iterator.next())
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-doctor-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let (prometheus, client) = try LocalPrometheus.launchScraping(modelAPIPort: modelPort, directory: directory, logger: logger)
            defer { LocalPrometheus.stop(prometheus) }
            _ = await EngineFixture.eventually(timeout: .seconds(30)) { (try? await client.ready()) == true }
            try await body(client)
        }
    }

    @Test("a 6 s latency fault pushes p95 over 5 s: the latency alert fails with the guide's remedies")
    func latencyFault() async throws {
        let alert = try #require(try Self.alerts().first { $0.uid == "high-inference-latency" })
        try await Self.withPrometheus(faults: Faults(latencySeconds: 6)) { prometheus in
            var finding = Doctor.Finding.ok("not evaluated")
            let failed = await EngineFixture.eventually(timeout: .seconds(90)) {
                finding = (try? await Doctor.alertFinding(prometheus, alert)) ?? finding
                return finding.status == .failure
            }
            #expect(failed, "\(finding)")
            #expect(finding.remedy.joined().lowercased().contains("gpu"))
            #expect(finding.evidence.contains { $0.contains("histogram_quantile") })
        }
    }

    @Test("a 10 % error ratio fails the error-rate alert; the GPU alert is evaluated or not applicable, never an error")
    func errorRatioFault() async throws {
        let alerts = try Self.alerts()
        let errorRate = try #require(alerts.first { $0.uid == "high-error-rate" })
        let gpu = try #require(alerts.first { $0.uid == "low-gpu-memory" })
        try await Self.withPrometheus(faults: Faults(errorRatio: 0.10)) { prometheus in
            var finding = Doctor.Finding.ok("not evaluated")
            let failed = await EngineFixture.eventually(timeout: .seconds(60)) {
                finding = (try? await Doctor.alertFinding(prometheus, errorRate)) ?? finding
                return finding.status == .failure
            }
            #expect(failed, "\(finding)")
            let gpuFinding = try await Doctor.alertFinding(prometheus, gpu)
            #expect(gpuFinding.status != .failure, "\(gpuFinding)")

            // The same Prometheus: ready, and its 1 s scrape interval is flagged against the guide's 15 s.
            let manifestTargets = [try Self.target("model-api", port: 1, metrics: ["model_inference_total"])]
            let manifest = try JSONDecoder().decode(
                Manifest.self,
                from: Data(
                    """
                    {"path":"/m","directory":"/","deployment":[],"network":"n","prometheus":{"url":"\(prometheus.endpoint)"},
                     "grafana":{"url":"http://127.0.0.1:1","credentials":{"userEnv":"U","passwordEnv":"P","defaultUser":"admin","defaultPassword":"admin"}},
                     "dashboardsDirectory":"/d","targets":\(String(decoding: try JSONEncoder().encode(manifestTargets), as: UTF8.self))}
                    """.utf8))
            let report = await Doctor.Runner().run(Doctor.prometheusChecks(prometheus, manifest: manifest))
            let byName = Dictionary(uniqueKeysWithValues: report.results.map { ($0.check, $0.finding) })
            #expect(byName["ready"]?.status == .ok)
            #expect(byName["configuration"]?.status == .warning)
            #expect(byName["configuration"]?.code == "prometheus.configuration.interval")
        }
    }

    @Test("Prometheus stopped: the ready check fails, and the alert checks say they cannot evaluate instead of failing six times")
    func prometheusDown() async throws {
        let url = "http://127.0.0.1:\(try TestServers.freePort())"
        let prometheus = PrometheusAPI.Client(transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: Self.logger)
        let manifest = try JSONDecoder().decode(
            Manifest.self,
            from: Data(
                """
                {"path":"/m","directory":"/","deployment":[],"network":"n","prometheus":{"url":"\(url)"},
                 "grafana":{"url":"http://127.0.0.1:1","credentials":{"userEnv":"U","passwordEnv":"P","defaultUser":"admin","defaultPassword":"admin"}},
                 "dashboardsDirectory":"/d","targets":[]}
                """.utf8))
        let report = await Doctor.Runner().run(
            Doctor.prometheusChecks(prometheus, manifest: manifest) + Doctor.alertChecks(prometheus, alerts: try Self.alerts()))
        #expect(report.results.first { $0.check == "ready" }?.finding.status == .failure)
        #expect(report.results.filter { $0.group == .alerts }.allSatisfy { $0.finding.status == .notApplicable })
    }

    @Test(
        "Grafana: datasource, dashboards and alert rules missing are failures that --fix can provision; after provisioning they pass; admin/admin is a warning")
    func grafanaChecks() async throws {
        // Grafana's provisioning folder starts empty; the files arrive while it runs.
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-doctor-grafana-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mount) }
        try await withRunningStandIn(StandInConfiguration(host: "127.0.0.1", port: 0, provisioningPath: mount.path)) { url in
            let connection = try Grafana.Connection(url: url, credentials: .basic(user: "admin", password: "admin"))
            let client = Grafana.Client(transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), connection: connection, logger: Self.logger)
            let sources = Grafana.Sources(repositoryRoot: Self.repositoryRoot)
            let desired = try sources.load()
            let setup = Doctor.GrafanaSetup(
                client: client, dashboardUIDs: desired.dashboards.compactMap(\.dashboard.uid),
                alertRuleUIDs: desired.alertGroups.flatMap(\.rules).compactMap { $0["uid"]?.stringValue })
            func run() async -> [String: Doctor.Finding] {
                let report = await Doctor.Runner().run(Doctor.grafanaChecks(setup))
                return Dictionary(uniqueKeysWithValues: report.results.map { ($0.check, $0.finding) })
            }
            let before = await run()
            #expect(before["health"]?.status == .ok)
            #expect(before["health"]?.summary.contains("stand-in") == true)
            #expect(before["default-password"]?.status == .warning)
            for check in ["datasource", "dashboards", "alert-rules"] {
                #expect(before[check]?.status == .failure, "\(check): \(String(describing: before[check]))")
                #expect(before[check]?.fix == .provisionGrafana)
            }
            // Datasource and alert rules belong to Grafana's file provisioning: provision asks Grafana to read them.
            for kind in ["datasources", "alerting"] {
                try FileManager.default.copyItem(
                    at: Self.repositoryRoot.appendingPathComponent("stacks/grafana/provisioning/\(kind)"),
                    to: mount.appendingPathComponent(kind))
            }
            let provisioned = try await Grafana.Provisioner(client: client, sources: sources, healthTimeout: .seconds(10)).sync()
            #expect(provisioned.succeeded)
            let after = await run()
            #expect(after["dashboards"]?.status == .ok)
            #expect(after["alert-rules"]?.status == .ok)
            // The datasource exists now; its URL (http://prometheus:9090) only resolves inside the
            // stack's network, so Grafana's own health check of it must fail — and doctor says so.
            #expect(after["datasource"]?.status == .failure)
            #expect(after["datasource"]?.summary.contains("cannot query Prometheus") == true)
        }
    }
}
