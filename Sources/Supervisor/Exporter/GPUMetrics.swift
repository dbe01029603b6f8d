import ContainerStats
import GPU
import Logging
import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// GPU metrics for the exporter, from NVML: per GPU with dcgm-exporter's names, units and labels
/// (so its dashboards work), and GPU memory per container, which neither dcgm-exporter nor
/// cAdvisor reports.
///
/// Per GPU (labels `gpu`, `UUID`, `device`, `modelName`, `Hostname`, as dcgm-exporter's default
/// counters): `DCGM_FI_DEV_FB_USED` and `DCGM_FI_DEV_FB_FREE` (MiB), `DCGM_FI_DEV_GPU_UTIL` and
/// `DCGM_FI_DEV_MEM_COPY_UTIL` (%), `DCGM_FI_DEV_GPU_TEMP` (°C), `DCGM_FI_DEV_POWER_USAGE` (W).
/// dcgm-exporter's default counters have no total: the total is FB_FREE + FB_USED.
///
/// Per container and GPU: `container_accelerator_memory_used_bytes`, cAdvisor's name (from the
/// accelerator metrics it has since dropped) with the exporter's container labels (`id`, `name`,
/// `image`, the compose project and service) and cAdvisor's accelerator labels `make="nvidia"`,
/// `model`, `acc_id` (the GPU's UUID). Found by mapping NVML's compute processes to containers
/// through `/proc/<pid>/cgroup`, so it needs the host's pid namespace (`pid: host`).
///
/// Without NVML (no driver, not a GPU host) there is no GPU series at all, and one log line says
/// why, once. A value a GPU cannot report is left out, not exported as 0.
public final class GPUMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let source: GPU.Source
    private let hostname: String
    private let procRoot: String
    private let logger: Logger
    private let state = Mutex(State())

    struct State {
        var gauges: [String: Gauge] = [:]
        var loggedErrors: Set<String> = []
    }

    public init(registry: PrometheusCollectorRegistry, source: GPU.Source, hostname: String? = nil, procRoot: String = "/proc", logger: Logger) {
        self.registry = registry
        self.source = source
        self.hostname = hostname ?? Self.hostname()
        self.procRoot = procRoot
        self.logger = logger
        if let reason = source.unavailable {
            logger.info("GPU metrics: \(reason.description)")
        }
    }

    /// NVML answers.
    public var isAvailable: Bool { source.nvml != nil }

    static let help: [String: String] = [
        "DCGM_FI_DEV_FB_USED": "Framebuffer memory used (in MiB).",
        "DCGM_FI_DEV_FB_FREE": "Framebuffer memory free (in MiB).",
        "DCGM_FI_DEV_GPU_UTIL": "GPU utilization (in %).",
        "DCGM_FI_DEV_MEM_COPY_UTIL": "Memory utilization (in %).",
        "DCGM_FI_DEV_GPU_TEMP": "GPU temperature (in C).",
        "DCGM_FI_DEV_POWER_USAGE": "Power draw (in W).",
        "container_accelerator_memory_used_bytes":
            "Total accelerator memory allocated by the container's processes, per GPU (NVML compute processes mapped to containers by cgroup).",
    ]

    /// The series of one collection, as (metric, labels, value): pure, so tests check it from
    /// recorded NVML answers and `/proc` contents.
    static func series(
        _ snapshot: GPU.Snapshot, containers: [GPU.ContainerMemory], targets: [StatsTarget], hostname: String
    ) -> [(name: String, labels: [(String, String)], value: Double)] {
        var out: [(String, [(String, String)], Double)] = []
        let mib = Double(1 << 20)
        for device in snapshot.devices {
            let labels = [("gpu", "\(device.index)"), ("UUID", device.uuid), ("device", device.deviceFile), ("modelName", device.name), ("Hostname", hostname)]
            if let memory = device.memory {
                // dcgm-exporter reports whole MiB.
                out.append(("DCGM_FI_DEV_FB_USED", labels, (Double(memory.usedBytes) / mib).rounded(.down)))
                out.append(("DCGM_FI_DEV_FB_FREE", labels, (Double(memory.freeBytes) / mib).rounded(.down)))
            }
            if let utilization = device.utilization {
                out.append(("DCGM_FI_DEV_GPU_UTIL", labels, Double(utilization.gpuPercent)))
                out.append(("DCGM_FI_DEV_MEM_COPY_UTIL", labels, Double(utilization.memoryPercent)))
            }
            if let celsius = device.temperatureCelsius { out.append(("DCGM_FI_DEV_GPU_TEMP", labels, Double(celsius))) }
            if let milliwatts = device.powerMilliwatts { out.append(("DCGM_FI_DEV_POWER_USAGE", labels, Double(milliwatts) / 1000)) }
        }
        let byID = Dictionary(targets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in containers {
            // Only the containers the exporter watches (its label filter), with their labels.
            guard let target = byID[entry.containerID] else { continue }
            let labels = [
                ("id", "/docker/\(target.id)"), ("name", target.name), ("image", target.image),
                ("container_label_com_docker_compose_project", target.project ?? ""),
                ("container_label_com_docker_compose_service", target.service ?? ""),
                ("make", "nvidia"), ("model", entry.modelName), ("acc_id", entry.uuid),
            ]
            out.append(("container_accelerator_memory_used_bytes", labels, Double(entry.usedBytes)))
        }
        return out.map { (name: $0.0, labels: $0.1, value: $0.2) }
    }

    /// Reads NVML and updates the series; series of GPUs or containers no longer seen are
    /// removed. NVML's calls are short ioctls on the driver (milliseconds for eight GPUs), made
    /// on the caller's thread as the cgroupfs reads of the container stats are.
    public func collect(targets: [StatsTarget]) {
        guard case .available(let snapshot) = source.read() else { return }
        let containers = GPU.containerMemory(snapshot) { GPU.readProcCgroup(pid: $0, procRoot: procRoot) }
        let current = Self.series(snapshot, containers: containers, targets: targets, hostname: hostname)
        state.withLock { state in
            var seen = Set<String>()
            for series in current {
                let key = series.name + "|" + series.labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                seen.insert(key)
                let gauge =
                    state.gauges[key]
                    ?? registry.makeGauge(
                        descriptor: MetricNameDescriptor(metricName: series.name, unitName: "", helpText: Self.help[series.name] ?? ""),
                        labels: series.labels)
                gauge.set(series.value)
                state.gauges[key] = gauge
            }
            for (key, gauge) in state.gauges where !seen.contains(key) {
                registry.unregisterGauge(gauge)
                state.gauges[key] = nil
            }
            // A driver error is logged once per call and GPU, not at every scrape.
            for error in snapshot.errors where state.loggedErrors.insert("\(error.function)|\(error.device ?? -1)|\(error.code)").inserted {
                logger.warning("GPU metrics: \(error.description)")
            }
        }
    }

    /// dcgm-exporter's `Hostname`: the node name (NODE_NAME, as dcgm-exporter reads it in a
    /// cluster), else gethostname(2).
    static func hostname() -> String {
        if let node = getenv("NODE_NAME").map({ String(cString: $0) }), !node.isEmpty { return node }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
