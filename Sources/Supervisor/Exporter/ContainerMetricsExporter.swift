import ContainerStats
import DockerEngine
import Foundation
import Logging
import Prometheus
import Synchronization

/// Per-container metrics with cAdvisor's names, labels and meaning, so dashboards written for
/// cAdvisor work unchanged, plus the exporter's own health.
///
/// Metrics (cAdvisor's HELP texts):
/// - `container_cpu_usage_seconds_total{cpu="total"}` counter: cumulative CPU time.
/// - `container_memory_usage_bytes` gauge: usage including all page cache.
/// - `container_memory_working_set_bytes` gauge: usage − inactive file (= docker stats' MEM USAGE).
/// - `container_spec_memory_limit_bytes` gauge: the cgroup's limit; 0 when unlimited, as cAdvisor
///   reports it (the engine substitutes the host's memory; we turn that back into 0).
/// - `container_network_receive_bytes_total` / `container_network_transmit_bytes_total`
///   `{interface}` counters.
/// - `container_fs_reads_bytes_total` / `container_fs_writes_bytes_total` `{device}` counters
///   (blkio/io.stat bytes per block device; `device` is `/dev/<name>` when sysfs names it,
///   else `MAJ:MIN`).
/// - `container_pids` gauge (not a cAdvisor name: asked for by the guide's dashboards) and
///   `container_threads` (cAdvisor's name for the same `pids.current`: it counts tasks, i.e. threads).
///   cAdvisor's `container_processes` counts processes by listing them and is not exported.
/// - `container_last_seen` gauge: unix time of the sample.
///
/// Labels: `id` (`/docker/<id>`, cAdvisor's cgroup-path form), `name`, `image`, and
/// `container_label_com_docker_compose_project`/`_service` (cAdvisor's form of docker labels).
///
/// Own health: `stackpilot_exporter_scrape_duration_seconds` (last collection),
/// `stackpilot_exporter_collections_total`, `stackpilot_exporter_engine_errors_total`,
/// `stackpilot_exporter_sample_errors_total`, `stackpilot_exporter_containers`,
/// `stackpilot_exporter_up` (1 when the last collection reached the engine).
///
/// Collection happens on scrape, at most once per `cacheTTL` (concurrent scrapes share one
/// collection), never on a timer. A container that is no longer running has all its series
/// unregistered at the next collection.
public final class ContainerMetricsExporter: Sendable {
    public struct Configuration: Sendable {
        /// Only containers carrying these labels (`key` or `key=value`); empty: every running container.
        public var labels: [String]
        /// Scrapes within this time of the last collection are served from it.
        public var cacheTTL: Duration
        /// Where `/sys/dev/block` lives, to name block devices.
        public var sysRoot: String

        public init(labels: [String] = [], cacheTTL: Duration = .seconds(2), sysRoot: String = "/sys") {
            self.labels = labels
            self.cacheTTL = cacheTTL
            self.sysRoot = sysRoot
        }
    }

    /// What `/healthz` reports.
    public struct Health: Sendable, Codable, Equatable {
        public var status: String
        public var source: String
        public var containers: Int
        public var lastCollection: Date?
        public var lastError: String?
    }

    public let registry: PrometheusCollectorRegistry
    public let configuration: Configuration
    private let engine: any StatsEngine
    private let collector: StatsCollector
    private let logger: Logger
    private let machineMemory: UInt64
    private let state = Mutex(State())
    private let gate: CollectionGate
    /// GPU series (GPUMetrics.swift), collected with the containers; `nil`: none.
    private let gpu: GPUMetrics?

    struct State {
        var series: [String: ContainerSeries] = [:]
        var health = Health(status: "starting", source: "", containers: 0, lastCollection: nil, lastError: nil)
    }

    public init(
        engine: any StatsEngine, collector: StatsCollector, configuration: Configuration = .init(), registry: PrometheusCollectorRegistry = .init(),
        machineMemory: UInt64? = nil, gpu: GPUMetrics? = nil, logger: Logger
    ) {
        self.gpu = gpu
        self.engine = engine
        self.collector = collector
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.machineMemory = machineMemory ?? ((try? CgroupReader())?.machineMemory() ?? 0)
        self.gate = CollectionGate(ttl: configuration.cacheTTL)
        self.own = OwnMetrics(registry: registry)
        state.withLock { $0.health.source = collector.source.rawValue }
    }

    private let own: OwnMetrics

    /// Collects (or reuses a collection younger than `cacheTTL`) and renders the exposition text.
    public func scrape() async -> String {
        await refresh()
        return registry.emitToString()
    }

    public var health: Health { state.withLock { $0.health } }

    /// One collection, shared by concurrent callers and skipped when the last one is fresh.
    public func refresh() async {
        await gate.run { await self.collect() }
    }

    private func collect() async {
        let started = ContinuousClock.now
        own.collections.increment()
        let targets: [StatsTarget]
        do {
            targets = try await engine.runningContainers(labels: configuration.labels)
        } catch {
            own.engineErrors.increment()
            own.up.set(0.0)
            logger.warning("cannot list containers", metadata: ["error": "\(error)"])
            state.withLock {
                $0.health.status = "engine unreachable"
                $0.health.lastError = "\(error)"
                $0.health.lastCollection = Date()
            }
            own.duration.set(seconds(ContinuousClock.now - started))
            return
        }
        let snapshot = await collector.sample(targets)
        gpu?.collect(targets: targets)
        if !snapshot.failures.isEmpty {
            own.sampleErrors.increment(by: Int64(snapshot.failures.count))
            if snapshot.source == .api {
                // A failed one-shot request is an engine error too (the container may also just have stopped).
                own.engineErrors.increment(by: Int64(snapshot.failures.count))
            }
        }
        let now = Date()
        state.withLock { state in
            var alive = Set<String>()
            for entry in snapshot.entries {
                alive.insert(entry.id)
                let target = targets.first { $0.id == entry.id } ?? StatsTarget(id: entry.id, name: entry.name, image: entry.image)
                var series = state.series[entry.id] ?? ContainerSeries(target: target, registry: registry)
                series.update(entry: entry, raw: snapshot.raw[entry.id], machineMemory: machineMemory, sysRoot: configuration.sysRoot, now: now)
                state.series[entry.id] = series
            }
            for (id, series) in state.series where !alive.contains(id) {
                series.unregister()
                state.series[id] = nil
            }
            state.health = Health(
                status: "ok", source: snapshot.source.rawValue, containers: alive.count, lastCollection: now,
                lastError: snapshot.failures.first.map { "\($0.error)" })
        }
        own.up.set(1.0)
        own.containers.set(Double(snapshot.entries.count))
        own.duration.set(seconds(ContinuousClock.now - started))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Runs at most one collection at a time and skips it when the previous one finished less than
/// `ttl` ago; callers arriving during a collection wait for it.
actor CollectionGate {
    private let ttl: Duration
    private var last: ContinuousClock.Instant?
    private var running: Task<Void, Never>?

    init(ttl: Duration) { self.ttl = ttl }

    func run(_ work: @escaping @Sendable () async -> Void) async {
        if let running {
            await running.value
            return
        }
        if let last, ContinuousClock.now - last < ttl { return }
        let task = Task { await work() }
        running = task
        await task.value
        running = nil
        last = .now
    }
}

/// The exporter's own health metrics.
struct OwnMetrics: Sendable {
    let duration: Gauge
    let collections: Counter
    let engineErrors: Counter
    let sampleErrors: Counter
    let containers: Gauge
    let up: Gauge

    init(registry: PrometheusCollectorRegistry) {
        duration = registry.makeGauge(
            descriptor: .init(
                metricName: "stackpilot_exporter_scrape_duration_seconds", unitName: "", helpText: "Time the last collection of container stats took."))
        collections = registry.makeCounter(
            descriptor: .init(
                metricName: "stackpilot_exporter_collections_total", unitName: "",
                helpText: "Collections of container stats (at most one per cache period, triggered by scrapes)."))
        engineErrors = registry.makeCounter(
            descriptor: .init(
                metricName: "stackpilot_exporter_engine_errors_total", unitName: "", helpText: "Docker engine requests that failed during collections."))
        sampleErrors = registry.makeCounter(
            descriptor: .init(
                metricName: "stackpilot_exporter_sample_errors_total", unitName: "",
                helpText: "Containers that could not be sampled (for example: stopped during the collection)."))
        containers = registry.makeGauge(
            descriptor: .init(metricName: "stackpilot_exporter_containers", unitName: "", helpText: "Containers in the last collection."))
        up = registry.makeGauge(
            descriptor: .init(
                metricName: "stackpilot_exporter_up", unitName: "", helpText: "1 when the last collection reached the Docker engine, 0 otherwise."))
    }
}

/// The series of one container. Counters are advanced by the difference to the last value seen
/// (swift-prometheus counters cannot be set); a value that went down (the container restarted
/// and its cgroup counters began again) resets the counter first.
struct ContainerSeries {
    let registry: PrometheusCollectorRegistry
    let labels: [(String, String)]
    let cpu: Counter
    let memoryUsage: Gauge
    let workingSet: Gauge
    let memoryLimit: Gauge
    let pids: Gauge
    let threads: Gauge
    let lastSeen: Gauge
    var receive: [String: Counter] = [:]
    var transmit: [String: Counter] = [:]
    var reads: [String: Counter] = [:]
    var writes: [String: Counter] = [:]
    var lastValues: [String: Double] = [:]

    static let help: [String: String] = [
        "container_cpu_usage_seconds_total": "Cumulative cpu time consumed in seconds.",
        "container_memory_usage_bytes": "Current memory usage in bytes, including all memory regardless of when it was accessed",
        "container_memory_working_set_bytes": "Current working set in bytes.",
        "container_spec_memory_limit_bytes": "Memory limit for the container.",
        "container_network_receive_bytes_total": "Cumulative count of bytes received",
        "container_network_transmit_bytes_total": "Cumulative count of bytes transmitted",
        "container_fs_reads_bytes_total": "Cumulative count of bytes read",
        "container_fs_writes_bytes_total": "Cumulative count of bytes written",
        "container_pids": "Number of tasks (processes and threads) in the container (pids.current).",
        "container_threads": "Number of threads running inside the container",
        "container_last_seen": "Last time a container was seen by the exporter",
    ]

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }

    init(target: StatsTarget, registry: PrometheusCollectorRegistry) {
        self.registry = registry
        labels = [
            ("id", "/docker/\(target.id)"),
            ("name", target.name),
            ("image", target.image),
            ("container_label_com_docker_compose_project", target.project ?? ""),
            ("container_label_com_docker_compose_service", target.service ?? ""),
        ]
        cpu = registry.makeCounter(descriptor: Self.descriptor("container_cpu_usage_seconds_total"), labels: labels + [("cpu", "total")])
        memoryUsage = registry.makeGauge(descriptor: Self.descriptor("container_memory_usage_bytes"), labels: labels)
        workingSet = registry.makeGauge(descriptor: Self.descriptor("container_memory_working_set_bytes"), labels: labels)
        memoryLimit = registry.makeGauge(descriptor: Self.descriptor("container_spec_memory_limit_bytes"), labels: labels)
        pids = registry.makeGauge(descriptor: Self.descriptor("container_pids"), labels: labels)
        threads = registry.makeGauge(descriptor: Self.descriptor("container_threads"), labels: labels)
        lastSeen = registry.makeGauge(descriptor: Self.descriptor("container_last_seen"), labels: labels)
    }

    mutating func update(entry: ContainerStatsEntry, raw: ContainerStatsResponse?, machineMemory: UInt64, sysRoot: String, now: Date) {
        advance(cpu, key: "cpu", to: entry.cpuUsageSecondsTotal)
        memoryUsage.set(Double(entry.memoryUsageBytes))
        workingSet.set(Double(entry.memoryUsedBytes))
        let unlimited = entry.memoryLimitBytes >= (1 << 62) || (machineMemory > 0 && entry.memoryLimitBytes >= machineMemory)
        memoryLimit.set(unlimited ? 0 : Double(entry.memoryLimitBytes))
        pids.set(Double(entry.pids))
        threads.set(Double(entry.pids))
        lastSeen.set(now.timeIntervalSince1970.rounded(.down))

        for (interface, counters) in raw?.networks ?? [:] {
            let rx =
                receive[interface]
                ?? registry.makeCounter(descriptor: Self.descriptor("container_network_receive_bytes_total"), labels: labels + [("interface", interface)])
            let tx =
                transmit[interface]
                ?? registry.makeCounter(descriptor: Self.descriptor("container_network_transmit_bytes_total"), labels: labels + [("interface", interface)])
            receive[interface] = rx
            transmit[interface] = tx
            advance(rx, key: "rx:\(interface)", to: Double(counters.rxBytes))
            advance(tx, key: "tx:\(interface)", to: Double(counters.txBytes))
        }

        var perDevice: [String: (read: UInt64, write: UInt64)] = [:]
        for entry in raw?.blkioStats.ioServiceBytesRecursive ?? [] {
            let device = Self.deviceName(major: entry.major, minor: entry.minor, sysRoot: sysRoot)
            switch entry.op.first {
            case "r", "R": perDevice[device, default: (0, 0)].read &+= entry.value
            case "w", "W": perDevice[device, default: (0, 0)].write &+= entry.value
            default: continue
            }
        }
        for (device, io) in perDevice {
            let r = reads[device] ?? registry.makeCounter(descriptor: Self.descriptor("container_fs_reads_bytes_total"), labels: labels + [("device", device)])
            let w =
                writes[device] ?? registry.makeCounter(descriptor: Self.descriptor("container_fs_writes_bytes_total"), labels: labels + [("device", device)])
            reads[device] = r
            writes[device] = w
            advance(r, key: "r:\(device)", to: Double(io.read))
            advance(w, key: "w:\(device)", to: Double(io.write))
        }
    }

    private mutating func advance(_ counter: Counter, key: String, to value: Double) {
        let last = lastValues[key] ?? 0
        if value < last {
            counter.reset()
            counter.increment(by: value)
        } else if value > last {
            counter.increment(by: value - last)
        }
        lastValues[key] = value
    }

    func unregister() {
        for gauge in [memoryUsage, workingSet, memoryLimit, pids, threads, lastSeen] { registry.unregisterGauge(gauge) }
        registry.unregisterCounter(cpu)
        for counter in Array(receive.values) + Array(transmit.values) + Array(reads.values) + Array(writes.values) {
            registry.unregisterCounter(counter)
        }
    }

    /// `/dev/<DEVNAME>` from `/sys/dev/block/MAJ:MIN/uevent`, else `MAJ:MIN`. Looked up once per
    /// device, not at every scrape for every container.
    static func deviceName(major: UInt64, minor: UInt64, sysRoot: String) -> String {
        let id = "\(major):\(minor)"
        let key = "\(sysRoot)|\(id)"
        if let known = deviceNames.withLock({ $0[key] }) { return known }
        var name = id
        if let text = try? String(contentsOfFile: "\(sysRoot)/dev/block/\(id)/uevent", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("DEVNAME=") {
                name = "/dev/" + line.dropFirst("DEVNAME=".count)
                break
            }
        }
        deviceNames.withLock { $0[key] = name }
        return name
    }

    private static let deviceNames = Mutex<[String: String]>([:])
}
