import ContainerStats
import DockerEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PrometheusAPI
import Synchronization
import Testing

@testable import Supervisor

/// An engine that answers from payloads a test sets: stands in for the Docker engine in these
/// unit tests of the metric mapping (the integration suite runs the exporter against the real one).
final class ScriptedEngine: StatsEngine {
    struct Container {
        var target: StatsTarget
        var stats: ContainerStatsResponse
    }

    let containers = Mutex<[Container]>([])
    let failing = Mutex(false)

    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }

    func runningContainers(labels: [String]) async throws -> [StatsTarget] {
        if failing.withLock({ $0 }) { throw Down() }
        return containers.withLock { $0.map(\.target) }
    }

    func oneShotStats(id: String) async throws -> ContainerStatsResponse {
        guard let found = containers.withLock({ $0.first { $0.target.id == id } }) else { throw Down() }
        return found.stats
    }
}

func payload(cpuNanos: UInt64, memory: UInt64, inactiveFile: UInt64, limit: UInt64, rx: UInt64, read: UInt64, pids: UInt64) -> ContainerStatsResponse {
    ContainerStatsResponse(
        read: "2026-11-25T10:00:00Z",
        pidsStats: .init(current: pids),
        blkioStats: .init(ioServiceBytesRecursive: [.init(major: 254, minor: 0, op: "Read", value: read), .init(major: 254, minor: 0, op: "Write", value: 7)]),
        cpuStats: .init(cpuUsage: .init(totalUsage: cpuNanos), systemCpuUsage: 1_000_000_000_000, onlineCpus: 2),
        memoryStats: .init(usage: memory, stats: ["total_inactive_file": inactiveFile], limit: limit),
        networks: ["eth0": .init(rxBytes: rx, txBytes: 5)])
}

let everyMetric = [
    "container_cpu_usage_seconds_total", "container_memory_usage_bytes", "container_memory_working_set_bytes",
    "container_spec_memory_limit_bytes", "container_network_receive_bytes_total", "container_network_transmit_bytes_total",
    "container_fs_reads_bytes_total", "container_fs_writes_bytes_total", "container_pids", "container_last_seen",
]

@Suite("ContainerMetricsExporter")
struct ExporterTests {
    let a = StatsTarget(
        id: String(repeating: "a", count: 64), name: "/app-api-1", image: "workload-sim:0.1.0",
        labels: [DockerEngine.ComposeLabels.project: "app", DockerEngine.ComposeLabels.service: "api"])
    let b = StatsTarget(
        id: String(repeating: "b", count: 64), name: "/app-model-api-1", image: "workload-sim:0.1.0",
        labels: [DockerEngine.ComposeLabels.project: "app", DockerEngine.ComposeLabels.service: "model-api"])

    func makeExporter(_ engine: ScriptedEngine) throws -> ContainerMetricsExporter {
        let collector = try StatsCollector(source: .api, engine: engine, logger: Logger(label: "test"))
        return ContainerMetricsExporter(
            engine: engine, collector: collector, configuration: .init(cacheTTL: .zero), machineMemory: 8 << 30, logger: Logger(label: "test"))
    }

    @Test("every listed metric is present for every container, with cAdvisor's labels and values")
    func everyMetricForEveryContainer() async throws {
        let engine = ScriptedEngine()
        engine.containers.withLock {
            $0 = [
                .init(
                    target: a,
                    stats: payload(cpuNanos: 2_500_000_000, memory: 100 << 20, inactiveFile: 10 << 20, limit: 512 << 20, rx: 1000, read: 4096, pids: 4)),
                .init(target: b, stats: payload(cpuNanos: 1_000_000_000, memory: 50 << 20, inactiveFile: 0, limit: 8 << 30, rx: 10, read: 0, pids: 9)),
            ]
        }
        let exporter = try makeExporter(engine)
        let families = try ExpositionParser().parse(await exporter.scrape())
        for name in everyMetric {
            let family = try #require(families[family: name], "missing \(name)")
            let names = Set(family.samples.compactMap { $0.label("name") })
            #expect(names == ["app-api-1", "app-model-api-1"], "\(name)")
        }
        #expect(families[family: "container_cpu_usage_seconds_total"]?.type == .counter)
        #expect(families[family: "container_memory_usage_bytes"]?.type == .gauge)

        func value(_ metric: String, _ name: String) -> Double? {
            families[family: metric]?.samples.first { $0.label("name") == name }?.value
        }
        #expect(value("container_cpu_usage_seconds_total", "app-api-1") == 2.5)
        #expect(value("container_memory_usage_bytes", "app-api-1") == Double(100 << 20))
        #expect(value("container_memory_working_set_bytes", "app-api-1") == Double(90 << 20))
        #expect(value("container_spec_memory_limit_bytes", "app-api-1") == Double(512 << 20))
        #expect(value("container_spec_memory_limit_bytes", "app-model-api-1") == 0, "the machine's memory means unlimited: 0, as cAdvisor")
        #expect(value("container_network_receive_bytes_total", "app-api-1") == 1000)
        #expect(value("container_fs_reads_bytes_total", "app-api-1") == 4096)
        #expect(value("container_pids", "app-model-api-1") == 9)
        let lastSeen = try #require(value("container_last_seen", "app-api-1"))
        #expect(abs(lastSeen - Date().timeIntervalSince1970) < 60)

        let sample = try #require(families[family: "container_cpu_usage_seconds_total"]?.samples.first { $0.label("name") == "app-api-1" })
        #expect(sample.label("id") == "/docker/\(a.id)")
        #expect(sample.label("image") == "workload-sim:0.1.0")
        #expect(sample.label("container_label_com_docker_compose_project") == "app")
        #expect(sample.label("container_label_com_docker_compose_service") == "api")
        #expect(sample.label("cpu") == "total")
        #expect(families[family: "container_network_receive_bytes_total"]?.samples.first?.label("interface") == "eth0")
        #expect(families[family: "stackpilot_exporter_up"]?.samples.first?.value == 1)
        #expect(families[family: "stackpilot_exporter_containers"]?.samples.first?.value == 2)
    }

    @Test("a container that stops disappears from every metric; counters follow the cgroup's values")
    func stoppedContainerDisappears() async throws {
        let engine = ScriptedEngine()
        engine.containers.withLock {
            $0 = [
                .init(target: a, stats: payload(cpuNanos: 1_000_000_000, memory: 1 << 20, inactiveFile: 0, limit: 1 << 30, rx: 100, read: 0, pids: 1)),
                .init(target: b, stats: payload(cpuNanos: 1_000_000_000, memory: 1 << 20, inactiveFile: 0, limit: 1 << 30, rx: 100, read: 0, pids: 1)),
            ]
        }
        let exporter = try makeExporter(engine)
        _ = await exporter.scrape()
        engine.containers.withLock {
            $0 = [.init(target: a, stats: payload(cpuNanos: 3_000_000_000, memory: 1 << 20, inactiveFile: 0, limit: 1 << 30, rx: 250, read: 0, pids: 1))]
        }
        let text = await exporter.scrape()
        #expect(!text.contains("app-model-api-1"))
        let families = try ExpositionParser().parse(text)
        #expect(families[family: "container_cpu_usage_seconds_total"]?.samples.count == 1)
        #expect(families[family: "container_cpu_usage_seconds_total"]?.samples.first?.value == 3)
        #expect(families[family: "container_network_receive_bytes_total"]?.samples.first?.value == 250)

        // The container restarted: its counters began again, and so does the exported counter.
        engine.containers.withLock {
            $0 = [.init(target: a, stats: payload(cpuNanos: 500_000_000, memory: 1 << 20, inactiveFile: 0, limit: 1 << 30, rx: 10, read: 0, pids: 1))]
        }
        let restarted = try ExpositionParser().parse(await exporter.scrape())
        #expect(restarted[family: "container_cpu_usage_seconds_total"]?.samples.first?.value == 0.5)
    }

    @Test("an unreachable engine counts an engine error, sets up to 0 and /healthz answers 503")
    func engineDown() async throws {
        let engine = ScriptedEngine()
        engine.failing.withLock { $0 = true }
        let exporter = try makeExporter(engine)
        let families = try ExpositionParser().parse(await exporter.scrape())
        #expect(families[family: "stackpilot_exporter_engine_errors_total"]?.samples.first?.value == 1)
        #expect(families[family: "stackpilot_exporter_up"]?.samples.first?.value == 0)
        #expect(exporter.health.status == "engine unreachable")
        #expect(exporter.health.lastError?.contains("connection refused") == true)

        let app = Application(router: ExporterServer.router(exporter: exporter))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test("the HTTP routes serve the exposition format and health JSON")
    func routes() async throws {
        let engine = ScriptedEngine()
        engine.containers.withLock { $0 = [.init(target: a, stats: payload(cpuNanos: 1, memory: 1, inactiveFile: 0, limit: 2, rx: 1, read: 1, pids: 1))] }
        let exporter = try makeExporter(engine)
        let app = Application(router: ExporterServer.router(exporter: exporter))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let families = try ExpositionParser().parse(String(buffer: response.body))
                #expect(families[family: "container_pids"]?.samples.count == 1)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(json?["status"] as? String == "ok")
                #expect(json?["containers"] as? Int == 1)
                #expect(json?["source"] as? String == "api")
            }
        }
    }

    @Test("concurrent scrapes within the cache period share one collection")
    func cache() async throws {
        let engine = ScriptedEngine()
        engine.containers.withLock { $0 = [.init(target: a, stats: payload(cpuNanos: 1, memory: 1, inactiveFile: 0, limit: 2, rx: 1, read: 1, pids: 1))] }
        let collector = try StatsCollector(source: .api, engine: engine, logger: Logger(label: "test"))
        let exporter = ContainerMetricsExporter(
            engine: engine, collector: collector, configuration: .init(cacheTTL: .seconds(60)), logger: Logger(label: "test"))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = await exporter.scrape() } }
        }
        let families = try ExpositionParser().parse(await exporter.scrape())
        #expect(families[family: "stackpilot_exporter_collections_total"]?.samples.first?.value == 1)
    }

    @Test(
        "--listen parsing",
        arguments: [
            ("0.0.0.0:9338", "0.0.0.0", 9338), ("127.0.0.1:0", "127.0.0.1", 0), ("[::1]:9338", "::1", 9338), (":9338", "0.0.0.0", 9338),
        ])
    func listen(text: String, host: String, port: Int) throws {
        let parsed = try ExporterServer.parseListen(text)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test("bad --listen values are rejected with the value in the message", arguments: ["9338", "host:", "host:99999", "host:abc"])
    func badListen(text: String) {
        do {
            _ = try ExporterServer.parseListen(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(text))
        }
    }
}
