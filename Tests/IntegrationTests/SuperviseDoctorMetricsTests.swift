import Compose
import ContainerStats
import DockerEngine
import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing
import WorkloadSim

@testable import Doctor
@testable import Supervisor

/// Doctor as metrics, the way `stackpilot supervise` runs it: the exporter's HTTP server and
/// DoctorMetricsService in one SupervisorGroup, sharing the exporter's registry, against real
/// parts — an in-process workload-sim model API, Debian's Prometheus scraping it, and a container
/// on the real engine. Faults are injected and cleared; the exporter's /metrics must follow.
@Suite("Supervise: doctor as metrics, against real parts", .serialized, .requiresEngine, .requiresPrometheus)
struct SuperviseDoctorMetricsTests {
    static let logger: Logger = {
        var l = Logger(label: "supervise-doctor-test"); l.logLevel = .error; return l
    }()

    /// `stackpilot_check_status` per `group/check`, read from the exporter's /metrics over HTTP.
    struct Exported {
        var statuses: [String: Double] = [:]
        var doctorRuns: Double = 0

        init(_ text: String) throws {
            for family in try ExpositionParser().parse(text) {
                switch family.name {
                case "stackpilot_check_status":
                    for sample in family.samples {
                        statuses["\(sample.label("group") ?? "?")/\(sample.label("check") ?? "?")"] = sample.value
                    }
                case "stackpilot_doctor_runs_total":
                    doctorRuns = family.samples.first?.value ?? 0
                default: break
                }
            }
        }
    }

    static func scrape(_ exporter: CurlTransport) async throws -> Exported {
        let response = try await exporter.send(HTTPRequest(path: "/metrics"))
        try #require(response.status == 200, "exporter /metrics answered \(response.status)")
        return try Exported(String(decoding: response.body, as: UTF8.self))
    }

    /// Polls the exporter until `condition` holds; returns the last scrape either way.
    static func waitFor(_ exporter: CurlTransport, timeout: Duration, _ condition: (Exported) -> Bool) async -> (held: Bool, last: Exported?) {
        var last: Exported?
        let held = await EngineFixture.eventually(timeout: timeout) {
            guard let scraped = try? await scrape(exporter) else { return false }
            last = scraped
            return condition(scraped)
        }
        return (held, last)
    }

    /// A compose project of one service, `worker`, as doctor's stack checks read it.
    static func project(named name: String, in directory: URL) throws -> ComposeProject {
        let file = directory.appendingPathComponent("compose.yml")
        try Data("services:\n  worker:\n    image: stackpilot-test/busybox:latest\n    command: [sleep, \"3600\"]\n".utf8).write(to: file)
        return try ComposeLoader(logger: logger).load(
            ComposeLoadOptions(files: [file.path], projectName: name, environment: [:], currentDirectory: directory.path))
    }

    @Test(
        "stackpilot_check_status on the exporter's /metrics moves 0 -> 2 -> 0 for the check a fault breaks: GPU pressure through Prometheus, a stopped container"
    )
    func checkStatusFollowsFaults() async throws {
        try await EngineFixture.with(area: "supdoc") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(fixture.name("dir"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }

            // A container of a compose project: the "stacks" check's subject.
            let projectName = fixture.name("p")
            let project = try Self.project(named: projectName, in: directory)
            let worker = try await fixture.sleeper("worker", image: image, project: projectName)
            let stackCheck = "stacks/\(projectName)/worker"

            // workload-sim's model API, with some traffic of its own, scraped by Prometheus every second.
            let adminToken = "sptest-supdoc-admin-\(UUID().uuidString)"
            let configuration = WorkloadConfiguration(
                role: .modelAPI, host: "127.0.0.1", port: 0, modelAPIURL: "http://127.0.0.1:9", loadRate: 5, faults: .none,
                adminToken: try AdminToken(adminToken))
            let workload = WorkloadServer(configuration: configuration, logger: Self.logger, makeTransport: defaultTransportFactory)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            try await TestServers.with({
                defer { continuation.finish() }
                try await workload.run(shutdownSignals: []) { continuation.yield($0) }
            }) {
                var iterator = ports.makeAsyncIterator()
                let modelPort = try #require(await iterator.next(), "workload-sim did not start")
                let (prometheusProcess, prometheus) = try LocalPrometheus.launchScraping(modelAPIPort: modelPort, directory: directory, logger: Self.logger)
                defer { LocalPrometheus.stop(prometheusProcess) }
                let scraped = await EngineFixture.eventually(timeout: .seconds(60)) {
                    ((try? await prometheus.query("gpu_memory_total_mb").vector.count) ?? 0) > 0
                }
                try #require(scraped, "Prometheus never scraped workload-sim's GPU gauges")

                // The supervisor's side: the exporter and doctor-as-metrics on one registry, one group.
                let engine = fixture.engine
                let collector = try StatsCollector(source: .api, engine: engine, logger: Self.logger)
                let exporter = ContainerMetricsExporter(
                    engine: engine, collector: collector,
                    configuration: .init(labels: ["\(EngineFixture.labelKey)=\(fixture.prefix)"]), logger: Self.logger)
                let target = try DoctorIntegrationTests.target("model-api", port: modelPort, metrics: ["model_inference_total", "gpu_memory_allocated_mb"])
                let alerts = try DoctorIntegrationTests.alerts()
                let doctor = DoctorMetricsService(interval: .seconds(1), registry: exporter.registry, logger: Self.logger) {
                    Doctor.stackChecks(engine, projects: [project]) + Doctor.metricsChecks([target]) + Doctor.alertChecks(prometheus, alerts: alerts)
                }
                let (exporterPorts, exporterContinuation) = AsyncStream.makeStream(of: Int.self)
                let http = ExporterServer.makeService(exporter: exporter, host: "127.0.0.1", port: 0, logger: Self.logger) { exporterContinuation.yield($0) }
                let group = SupervisorGroup(services: [http, doctor])
                try await TestServers.with({
                    defer { exporterContinuation.finish() }
                    try await group.run(logger: Self.logger, shutdownSignals: [])
                }) {
                    var exporterIterator = exporterPorts.makeAsyncIterator()
                    let exporterPort = try #require(await exporterIterator.next(), "the exporter did not start")
                    let metrics = try CurlTransport(endpoint: HTTPEndpoint(address: .url("http://127.0.0.1:\(exporterPort)")))

                    // Before any fault: every check answered, the two under test at 0, after a doctor
                    // run that saw Prometheus's GPU data.
                    let baselineRuns = try await Self.scrape(metrics).doctorRuns
                    let before = await Self.waitFor(metrics, timeout: .seconds(60)) {
                        $0.doctorRuns >= baselineRuns + 2 && $0.statuses[stackCheck] == 0 && $0.statuses["alerts/low-gpu-memory"] == 0
                            && $0.statuses["metrics/model-api"] == 0
                    }
                    #expect(before.held, "baseline not reached: \(String(describing: before.last?.statuses))")
                    let baselineFailures = Set((before.last?.statuses ?? [:]).filter { $0.value == 2 }.keys)

                    // Fault 1: the GPU fills up (workload-sim's admin endpoint, as a user would inject it).
                    let admin = try CurlTransport(endpoint: HTTPEndpoint(address: .url("http://127.0.0.1:\(modelPort)")))
                    let authorization = ("Authorization", "Bearer \(adminToken)")
                    let injected = try await admin.send(
                        HTTPRequest(
                            method: .post, path: "/admin/faults", headers: [("Content-Type", "application/json"), authorization],
                            body: Data(#"{"gpu_pressure": 0.95}"#.utf8)))
                    #expect(injected.status == 200)
                    let failing = await Self.waitFor(metrics, timeout: .seconds(90)) { $0.statuses["alerts/low-gpu-memory"] == 2 }
                    #expect(failing.held, "low-gpu-memory never reached 2: \(String(describing: failing.last?.statuses))")
                    // Only that check moved to 2.
                    let failedDuringFault = Set((failing.last?.statuses ?? [:]).filter { $0.value == 2 }.keys)
                    #expect(failedDuringFault == baselineFailures.union(["alerts/low-gpu-memory"]))
                    #expect(failing.last?.statuses[stackCheck] == 0)

                    let cleared = try await admin.send(HTTPRequest(method: .delete, path: "/admin/faults", headers: [authorization]))
                    #expect(cleared.status == 200)
                    let recovered = await Self.waitFor(metrics, timeout: .seconds(90)) { $0.statuses["alerts/low-gpu-memory"] == 0 }
                    #expect(recovered.held, "low-gpu-memory did not return to 0: \(String(describing: recovered.last?.statuses))")

                    // Fault 2: the service's container is stopped.
                    try await engine.stopContainer(worker, timeout: 1)
                    let stopped = await Self.waitFor(metrics, timeout: .seconds(60)) { $0.statuses[stackCheck] == 2 }
                    #expect(stopped.held, "\(stackCheck) never reached 2: \(String(describing: stopped.last?.statuses))")
                    #expect(stopped.last?.statuses["alerts/low-gpu-memory"] == 0)
                    try await engine.startContainer(worker)
                    let started = await Self.waitFor(metrics, timeout: .seconds(60)) { $0.statuses[stackCheck] == 0 }
                    #expect(started.held, "\(stackCheck) did not return to 0: \(String(describing: started.last?.statuses))")
                }
            }
        }
    }
}
