import DockerEngine
import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing

@Suite("Prometheus (local image) scraping the stack", .serialized, .requiresEngine, .timeLimit(.minutes(30)))
struct PrometheusIntegrationTests {
    /// Prometheus configuration of the test: the contract's jobs, at a 1 s interval.
    static let config = """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: prometheus
            static_configs: [{targets: ["localhost:9090"]}]
          - job_name: api
            static_configs: [{targets: ["api:5000"]}]
          - job_name: model-api
            static_configs: [{targets: ["model-api:5001"]}]
          - job_name: node-exporter
            static_configs: [{targets: ["node-exporter:9100"]}]
          - job_name: missing
            scrape_interval: 2s
            static_configs: [{targets: ["missing:9999"]}]
        """

    @Test("on an engine network, Prometheus reports node-exporter, api and model-api up; the client reads targets, config and queries")
    func targetsUp() async throws {
        try LocalImages.ensure(["prometheus", "node-exporter", "workload-sim"])
        try await EngineFixture.with(area: "prom") { fixture in
            let engine = fixture.engine
            let network = fixture.name("net")
            let created = try await engine.createNetwork(.init(name: network, labels: fixture.labels))
            fixture.removeNetworkLater(created.id)

            let directory = FileManager.default.temporaryDirectory.appending(path: fixture.prefix)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let configFile = directory.appending(path: "prometheus.yml")
            try Self.config.write(to: configFile, atomically: true, encoding: .utf8)
            // Prometheus runs as nobody: the file must be world-readable.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configFile.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)

            func run(_ service: String, image: String, env: [String] = [], hostConfig: DockerEngine.HostConfig = .init()) async throws -> String {
                var host = hostConfig
                host.networkMode = network
                var config = DockerEngine.ContainerConfig(image: LocalImages.tag(image), env: env, labels: fixture.labels, hostConfig: host)
                config.networkingConfig = .init(endpointsConfig: [network: .init(aliases: [service])])
                let container = try await engine.createContainer(name: fixture.name(service), config)
                fixture.removeContainerLater(container.id)
                try await engine.startContainer(container.id)
                return container.id
            }

            _ = try await run("node-exporter", image: "node-exporter")
            _ = try await run("model-api", image: "workload-sim", env: ["WORKLOAD_ROLE=model-api", "LOAD_RATE=5"])
            _ = try await run("api", image: "workload-sim", env: ["WORKLOAD_ROLE=api", "LOAD_RATE=5", "MODEL_API_URL=http://model-api:5001"])
            var prometheusHost = DockerEngine.HostConfig()
            prometheusHost.binds = ["\(configFile.path):/etc/prometheus/prometheus.yml:ro"]
            prometheusHost.portBindings = ["9090/tcp": [.init(hostIP: "127.0.0.1", hostPort: "")]]
            let prometheus = try await run("prometheus", image: "prometheus", hostConfig: prometheusHost)

            let inspect = try await engine.inspectContainer(prometheus)
            let hostPort = try #require(inspect.networkSettings?.ports?["9090/tcp"]??.first?.hostPort, "no published port for Prometheus")
            let url = "http://127.0.0.1:\(hostPort)"
            let client = PrometheusAPI.Client(
                transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: Logger(label: "test"))

            let ready = await EngineFixture.eventually(timeout: .seconds(60)) { (try? await client.ready()) == true }
            #expect(ready, "Prometheus at \(url) did not become ready")

            var targets = try await client.targets()
            let expectedUp = ["prometheus", "api", "model-api", "node-exporter"]
            let allUp = await EngineFixture.eventually(timeout: .seconds(60)) {
                guard let current = try? await client.targets() else { return false }
                targets = current
                return expectedUp.allSatisfy { job in current.active(job: job).first?.health == .up }
            }
            #expect(allUp, "targets: \(targets.activeTargets.map { "\($0.scrapePool)=\($0.health.rawValue) \($0.lastError)" })")
            for job in expectedUp {
                let target = try #require(targets.active(job: job).first, "no target for job \(job)")
                #expect(target.health == .up)
                #expect(target.lastError.isEmpty)
            }
            // A target that does not exist is down with a reason.
            let missingDown = await EngineFixture.eventually(timeout: .seconds(30)) {
                (try? await client.targets())?.active(job: "missing").first?.health == .down
            }
            #expect(missingDown)
            #expect(try await client.targets().active(job: "missing").first?.lastError.isEmpty == false)

            let config = try await client.config()
            #expect(config.globalScrapeInterval == .seconds(1))
            #expect(config.job("missing")?.scrapeInterval == .seconds(2))
            #expect(config.job("api")?.staticTargets == ["api:5000"])
            let flags = try await client.flags()
            #expect(flags["config.file"] == "/etc/prometheus/prometheus.yml")

            // The workload's metrics arrive: inferences flow from the load generators through the api.
            let flowing = await EngineFixture.eventually(timeout: .seconds(60)) {
                let result = try? await client.query("sum(model_inference_total{job=\"model-api\"})")
                return (result?.singleValue ?? 0) > 0
            }
            #expect(flowing)
            let up = try await client.query("up")
            #expect(up.vector.count == 5)
            let range = try await client.queryRange("up{job=\"api\"}", start: Date().addingTimeInterval(-10), end: Date(), step: .seconds(1))
            #expect(range.matrix.first?.values.isEmpty == false)
            // A PromQL syntax error is Prometheus' bad_data, as .http(400).
            let error = try await #require(throws: PrometheusAPI.Error.self) { _ = try await client.query("sum(") }
            guard case .http(400, "bad_data", _, _) = error else {
                Issue.record("expected .http(400, bad_data), got \(error)")
                return
            }
        }
    }
}
