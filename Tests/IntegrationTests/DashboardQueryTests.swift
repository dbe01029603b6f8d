import Foundation
import Grafana
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing
import WorkloadSim

/// Every panel query of dashboards/ (and every alert rule query of stacks/grafana/provisioning)
/// against a real Prometheus — Debian's /usr/bin/prometheus on 127.0.0.1 — scraping an in-process
/// workload-sim (api and model-api) and Debian's node exporter: no query may fail, and every panel
/// fed by those sources must return data.
@Suite("Dashboard PromQL against real Prometheus", .serialized, .requiresPrometheus)
struct DashboardQueryTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A panel or rule query with the Grafana variables it uses replaced as Grafana would.
    struct Query: Sendable, CustomStringConvertible {
        var source: String
        var expression: String
        /// Fed by the StackPilot exporter or doctor, which this test does not run: only "no error".
        var needsExporter: Bool { expression.contains("container_") || expression.contains("stackpilot_check_status") }
        var description: String { "\(source): \(expression)" }
    }

    static func grafanaVariablesReplaced(_ expression: String) -> String {
        expression
            .replacingOccurrences(of: "$__rate_interval", with: "1m")
            .replacingOccurrences(of: "$__interval", with: "15s")
            .replacingOccurrences(of: "$__range", with: "5m")
            .replacingOccurrences(of: "=~\"$model\"", with: "=~\".*\"")
            .replacingOccurrences(of: "=~\"$node\"", with: "=~\".*\"")
    }

    static func queries() throws -> [Query] {
        let desired = try Grafana.Sources(repositoryRoot: repositoryRoot).load()
        var result: [Query] = []
        for source in desired.dashboards {
            for panel in source.dashboard.model["panels"]?.elements ?? [] {
                for target in panel["targets"]?.elements ?? [] {
                    guard let expr = target["expr"]?.string else { continue }
                    let name = "\(source.dashboard.uid ?? "?") / \(panel["title"]?.string ?? "?") / \(target["refId"]?.string ?? "?")"
                    result.append(Query(source: name, expression: grafanaVariablesReplaced(expr)))
                }
            }
        }
        for group in desired.alertGroups {
            for rule in group.rules {
                for query in rule["data"]?.arrayValue ?? [] {
                    guard let expr = query["model"]?["expr"]?.stringValue else { continue }
                    result.append(Query(source: "alert \(rule["uid"]?.stringValue ?? "?")", expression: expr))
                }
            }
        }
        return result
    }

    @Test("every dashboard and alert query runs without error, and returns data once workload-sim and node-exporter are scraped")
    func panelQueries() async throws {
        let queries = try Self.queries()
        #expect(queries.count >= 25, "the dashboards lost their queries? \(queries.count)")
        try await LocalPrometheus.with { prometheus in
            // Wait until every data-bearing query has data (rates need two scrapes), at most 90 s.
            let deadline = ContinuousClock.now + .seconds(90)
            var missing: [Query] = []
            repeat {
                missing = []
                for query in queries where !query.needsExporter {
                    if try await prometheus.query(query.expression).isEmpty { missing.append(query) }
                }
                if missing.isEmpty { break }
                try await Task.sleep(for: .seconds(2))
            } while ContinuousClock.now < deadline
            #expect(missing.isEmpty, "no data for: \(missing.map(\.description).joined(separator: "\n"))")

            // Every query, exporter-fed ones included, must be valid PromQL that Prometheus accepts.
            for query in queries {
                do {
                    _ = try await prometheus.query(query.expression)
                } catch {
                    Issue.record("query failed: \(query): \(error)")
                }
            }
        }
    }

    @Test("the error-rate alert query sees the injected error ratio and the latency quantiles are ordered")
    func alertQueriesMeasure() async throws {
        try await LocalPrometheus.with { prometheus in
            let errorRate = try #require(try Self.queries().first { $0.source == "alert high-error-rate" }).expression
            // LocalPrometheus injects a 20 % error ratio; the rule fires above 5 %. The first scrapes
            // cover few requests (a loaded machine sends fewer), so the ratio is noisy at first: wait
            // until it settles in the band, and report the last value if it never does.
            var value: Double?
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline {
                value = try await prometheus.query(errorRate).first
                if let value, value > 5, value < 60 { break }
                try await Task.sleep(for: .seconds(2))
            }
            let rate = try #require(value)
            #expect(rate > 5 && rate < 60, "error rate \(rate) %")
            let p50 = try #require(try await prometheus.query("histogram_quantile(0.5, sum by (le) (rate(model_inference_latency_seconds_bucket[1m])))").first)
            let p99 = try #require(try await prometheus.query("histogram_quantile(0.99, sum by (le) (rate(model_inference_latency_seconds_bucket[1m])))").first)
            #expect(p50 <= p99)
        }
    }
}

/// Debian's Prometheus and node exporter as child processes on 127.0.0.1, plus workload-sim's two
/// roles in process, scraped every second. Everything is stopped and removed afterwards.
struct LocalPrometheus: Sendable {
    static let prometheusBinary = "/usr/bin/prometheus"
    static let nodeExporterBinary = "/usr/bin/prometheus-node-exporter"

    let client: PrometheusAPI.Client

    /// Values of an instant query (empty when there is no data); throws when Prometheus refuses it.
    func query(_ expression: String) async throws -> [Double] {
        let result = try await client.query(expression)
        switch result {
        case .vector(let samples): return samples.map(\.value)
        case .scalar(let point): return [point.value]
        case .matrix(let series): return series.flatMap { $0.values.map(\.value) }
        case .string: return []
        }
    }

    static func with(_ body: @Sendable (LocalPrometheus) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-dashq-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = {
            var logger = Logger(label: "dashboard-query-test")
            logger.logLevel = .error
            return logger
        }()

        try await withWorkload(role: .modelAPI, modelAPIURL: "http://127.0.0.1:9", loadRate: 10, logger: logger) { modelPort in
            try await withWorkload(role: .api, modelAPIURL: "http://127.0.0.1:\(modelPort)", loadRate: 5, logger: logger) { apiPort in
                let nodePort = try TestServers.freePort()
                let node = try launch(nodeExporterBinary, ["--web.listen-address=127.0.0.1:\(nodePort)"], directory: directory, name: "node-exporter")
                defer { stop(node) }
                let prometheusPort = try TestServers.freePort()
                let config = """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    scrape_configs:
                      - job_name: prometheus
                        static_configs: [{targets: ["127.0.0.1:\(prometheusPort)"]}]
                      - job_name: model-api
                        static_configs: [{targets: ["127.0.0.1:\(modelPort)"]}]
                      - job_name: api
                        static_configs: [{targets: ["127.0.0.1:\(apiPort)"]}]
                      - job_name: node-exporter
                        static_configs: [{targets: ["127.0.0.1:\(nodePort)"]}]
                    """
                let configFile = directory.appendingPathComponent("prometheus.yml")
                try Data(config.utf8).write(to: configFile)
                let prometheus = try launch(
                    prometheusBinary,
                    [
                        "--config.file=\(configFile.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                        "--web.listen-address=127.0.0.1:\(prometheusPort)",
                    ], directory: directory, name: "prometheus")
                defer { stop(prometheus) }
                let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url("http://127.0.0.1:\(prometheusPort)")))
                let client = PrometheusAPI.Client(transport: transport, endpoint: "http://127.0.0.1:\(prometheusPort)", logger: logger)
                let deadline = ContinuousClock.now + .seconds(30)
                while true {
                    if (try? await client.ready()) == true { break }
                    guard ContinuousClock.now < deadline, prometheus.isRunning else {
                        let log = (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
                        Issue.record("Prometheus did not become ready on 127.0.0.1:\(prometheusPort): \(log.suffix(2000))")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                try await body(LocalPrometheus(client: client))
            }
        }
    }

    /// Runs a workload-sim role in process on a free port, with a 20 % error ratio on the model API.
    static func withWorkload(
        role: WorkloadRole, modelAPIURL: String, loadRate: Double, logger: Logger, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let faults = role == .modelAPI ? Faults(errorRatio: 0.2) : Faults.none
        let configuration = WorkloadConfiguration(role: role, host: "127.0.0.1", port: 0, modelAPIURL: modelAPIURL, loadRate: loadRate, faults: faults)
        let server = WorkloadServer(configuration: configuration, logger: logger, makeTransport: defaultTransportFactory)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await TestServers.with({
            defer { continuation.finish() }
            try await server.run(shutdownSignals: []) { port in continuation.yield(port) }
        }) {
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next(), "workload-sim \(role) did not start")
            try await body(port)
        }
    }

    static func launch(_ binary: String, _ arguments: [String], directory: URL, name: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Debian's Prometheus on a free loopback port, keeping its files in `directory`, scraping one
    /// model-api target on 127.0.0.1:`modelAPIPort` every second. Stop the process with `stop`.
    static func launchScraping(modelAPIPort: Int, directory: URL, logger: Logger) throws -> (process: Process, client: PrometheusAPI.Client) {
        let port = try TestServers.freePort()
        try Data(
            """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: model-api
                static_configs: [{targets: ["127.0.0.1:\(modelAPIPort)"]}]
            """.utf8
        ).write(to: directory.appendingPathComponent("prometheus.yml"))
        let process = try launch(
            prometheusBinary,
            [
                "--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
                "--web.listen-address=127.0.0.1:\(port)",
            ], directory: directory, name: "prometheus")
        let url = "http://127.0.0.1:\(port)"
        do {
            return (process, PrometheusAPI.Client(transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: logger))
        } catch {
            stop(process)
            throw error
        }
    }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

}

extension Trait where Self == ConditionTrait {
    /// Runs when Debian's prometheus and node exporter are installed (scripts/setup installs them);
    /// with STACKPILOT_REQUIRE_ENGINE=1 it always runs, so a missing binary fails instead of skipping.
    static var requiresPrometheus: Self {
        .enabled("needs /usr/bin/prometheus and /usr/bin/prometheus-node-exporter (set STACKPILOT_REQUIRE_ENGINE=1 to fail instead of skipping)") {
            ToolGate.runs(needing: LocalPrometheus.prometheusBinary, LocalPrometheus.nodeExporterBinary, for: "the tests that run Debian's Prometheus")
        }
    }
}
