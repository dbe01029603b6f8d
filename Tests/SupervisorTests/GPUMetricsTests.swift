import ContainerStats
import DockerEngine
import Foundation
import GPU
import Logging
import Prometheus
import PrometheusAPI
import Synchronization
import Testing

@testable import Supervisor

/// NVML answering from a snapshot a test sets (recorded from a two-T4 host).
final class SnapshotNVML: NVML {
    let snapshot: Mutex<GPU.Snapshot>
    init(_ snapshot: GPU.Snapshot) { self.snapshot = Mutex(snapshot) }

    private func device(_ index: Int) -> GPU.Device { snapshot.withLock { $0.devices[index] } }
    private func absent(_ function: String, _ index: Int) -> GPU.NVMLError {
        GPU.NVMLError(function: function, device: index, code: GPU.NVMLError.notSupported, message: "Not Supported")
    }

    func driverVersion() throws(GPU.NVMLError) -> String { snapshot.withLock { $0.driverVersion ?? "" } }
    func nvmlVersion() throws(GPU.NVMLError) -> String { snapshot.withLock { $0.nvmlVersion ?? "" } }
    func deviceCount() throws(GPU.NVMLError) -> Int { snapshot.withLock { $0.devices.count } }
    func name(device: Int) throws(GPU.NVMLError) -> String { self.device(device).name }
    func uuid(device: Int) throws(GPU.NVMLError) -> String { self.device(device).uuid }
    func minorNumber(device: Int) throws(GPU.NVMLError) -> Int { self.device(device).minorNumber ?? device }
    func memory(device: Int) throws(GPU.NVMLError) -> GPU.Memory {
        guard let memory = self.device(device).memory else { throw absent("nvmlDeviceGetMemoryInfo", device) }
        return memory
    }
    func utilization(device: Int) throws(GPU.NVMLError) -> GPU.Utilization {
        guard let value = self.device(device).utilization else { throw absent("nvmlDeviceGetUtilizationRates", device) }
        return value
    }
    func temperature(device: Int) throws(GPU.NVMLError) -> UInt32 {
        guard let value = self.device(device).temperatureCelsius else { throw absent("nvmlDeviceGetTemperature", device) }
        return value
    }
    func powerUsage(device: Int) throws(GPU.NVMLError) -> UInt32 {
        guard let value = self.device(device).powerMilliwatts else { throw absent("nvmlDeviceGetPowerUsage", device) }
        return value
    }
    func computeProcesses(device: Int) throws(GPU.NVMLError) -> [GPU.Process] { self.device(device).processes }
    func migEnabled(device: Int) throws(GPU.NVMLError) -> Bool { false }
    func uncorrectedECCErrors(device: Int) throws(GPU.NVMLError) -> UInt64 { 0 }
}

@Suite("GPUMetrics")
struct GPUMetricsTests {
    static let mib: UInt64 = 1 << 20
    let model = StatsTarget(
        id: String(repeating: "c", count: 64), name: "/app-model-api-1", image: "model-api:1.0",
        labels: [DockerEngine.ComposeLabels.project: "app", DockerEngine.ComposeLabels.service: "model-api"])

    static let twoT4 = GPU.Snapshot(
        driverVersion: "535.161.08", nvmlVersion: "12.535.161.08",
        devices: [
            GPU.Device(
                index: 0, name: "Tesla T4", uuid: "GPU-0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6", minorNumber: 0,
                memory: .init(totalBytes: 15360 * mib, freeBytes: 14923 * mib, usedBytes: 437 * mib),
                utilization: .init(gpuPercent: 0, memoryPercent: 0), temperatureCelsius: 33, powerMilliwatts: 9_874),
            GPU.Device(
                index: 1, name: "Tesla T4", uuid: "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0", minorNumber: 1,
                memory: .init(totalBytes: 15360 * mib, freeBytes: 1012 * mib, usedBytes: 14348 * mib),
                utilization: .init(gpuPercent: 96, memoryPercent: 70), temperatureCelsius: 74, powerMilliwatts: 69_412,
                processes: [
                    .init(pid: 2001, usedMemoryBytes: 9_000 * mib), .init(pid: 2002, usedMemoryBytes: 4_000 * mib),
                    .init(pid: 3003, usedMemoryBytes: 900 * mib),
                ]),
        ])

    /// A /proc with the cgroup files of three GPU processes: two of the model container (cgroup
    /// v2, systemd driver), one of the host.
    func procRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appending(path: "sptest-gpu-proc-\(UInt32.random(in: .min ... .max))").path
        for (pid, text) in [
            (2001, "0::/system.slice/docker-\(model.id).scope\n"), (2002, "0::/system.slice/docker-\(model.id).scope\n"),
            (3003, "0::/user.slice/user-0.slice/session-1.scope\n"),
        ] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(pid)", withIntermediateDirectories: true)
            try text.write(toFile: "\(root)/\(pid)/cgroup", atomically: true, encoding: .utf8)
        }
        return root
    }

    func exporter(_ source: GPU.Source, procRoot: String) throws -> ContainerMetricsExporter {
        let engine = ScriptedEngine()
        engine.containers.withLock {
            $0 = [.init(target: model, stats: payload(cpuNanos: 1, memory: 50 << 20, inactiveFile: 0, limit: 8 << 30, rx: 10, read: 0, pids: 9))]
        }
        let registry = PrometheusCollectorRegistry()
        let gpu = GPUMetrics(registry: registry, source: source, hostname: "gpu-host-1", procRoot: procRoot, logger: Logger(label: "test"))
        let collector = try StatsCollector(source: .api, engine: engine, logger: Logger(label: "test"))
        return ContainerMetricsExporter(
            engine: engine, collector: collector, configuration: .init(cacheTTL: .zero), registry: registry,
            machineMemory: 8 << 30, gpu: gpu, logger: Logger(label: "test"))
    }

    struct PerGPUCase: Sendable, CustomTestStringConvertible {
        var metric: String
        var values: [Double]
        var testDescription: String { metric }
    }

    @Test(
        "per GPU: dcgm-exporter's names, units and labels",
        arguments: [
            PerGPUCase(metric: "DCGM_FI_DEV_FB_USED", values: [437, 14348]),
            PerGPUCase(metric: "DCGM_FI_DEV_FB_FREE", values: [14923, 1012]),
            PerGPUCase(metric: "DCGM_FI_DEV_GPU_UTIL", values: [0, 96]),
            PerGPUCase(metric: "DCGM_FI_DEV_MEM_COPY_UTIL", values: [0, 70]),
            PerGPUCase(metric: "DCGM_FI_DEV_GPU_TEMP", values: [33, 74]),
            PerGPUCase(metric: "DCGM_FI_DEV_POWER_USAGE", values: [9.874, 69.412]),
        ])
    func perGPU(_ c: PerGPUCase) async throws {
        let root = try procRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let exporter = try exporter(GPU.Source(nvml: SnapshotNVML(Self.twoT4)), procRoot: root)
        let families = try ExpositionParser().parse(await exporter.scrape())
        let family = try #require(families[family: c.metric])
        #expect(family.type == .gauge)
        let samples = family.samples.sorted { ($0.label("gpu") ?? "") < ($1.label("gpu") ?? "") }
        #expect(samples.map(\.value) == c.values)
        #expect(samples.map { $0.label("gpu") } == ["0", "1"])
        #expect(samples.map { $0.label("device") } == ["nvidia0", "nvidia1"])
        #expect(samples.map { $0.label("UUID") } == Self.twoT4.devices.map(\.uuid))
        #expect(samples.allSatisfy { $0.label("modelName") == "Tesla T4" && $0.label("Hostname") == "gpu-host-1" })
        #expect(families[family: "DCGM_FI_DEV_FB_TOTAL"] == nil)  // not among dcgm-exporter's default counters
    }

    @Test("per container: the GPU memory of its processes, with the container's labels and the GPU's")
    func perContainer() async throws {
        let root = try procRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let exporter = try exporter(GPU.Source(nvml: SnapshotNVML(Self.twoT4)), procRoot: root)
        let families = try ExpositionParser().parse(await exporter.scrape())
        let family = try #require(families[family: "container_accelerator_memory_used_bytes"])
        #expect(family.samples.count == 1)  // the host process (pid 3003) belongs to no container
        let sample = try #require(family.samples.first)
        #expect(sample.value == Double(13_000 * Self.mib))
        #expect(
            sample.labelDictionary == [
                "id": "/docker/\(model.id)", "name": "app-model-api-1", "image": "model-api:1.0",
                "container_label_com_docker_compose_project": "app", "container_label_com_docker_compose_service": "model-api",
                "make": "nvidia", "model": "Tesla T4", "acc_id": "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0",
            ])
    }

    @Test("a GPU or container that goes away loses its series at the next collection")
    func vanishing() async throws {
        let nvml = SnapshotNVML(Self.twoT4)
        let root = try procRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let exporter = try exporter(GPU.Source(nvml: nvml), procRoot: root)
        _ = await exporter.scrape()
        nvml.snapshot.withLock { $0.devices.removeLast() }
        let families = try ExpositionParser().parse(await exporter.scrape())
        #expect(families[family: "DCGM_FI_DEV_FB_USED"]?.samples.map { $0.label("gpu") } == ["0"])
        #expect(families[family: "container_accelerator_memory_used_bytes"]?.samples.isEmpty ?? true)
    }

    @Test("without NVML: no GPU series, the container metrics as before")
    func absent() async throws {
        let reason = GPU.Unavailable.libraryNotFound(library: "libnvidia-ml.so.1", reason: "libnvidia-ml.so.1: cannot open shared object file")
        let exporter = try exporter(GPU.Source(unavailable: reason), procRoot: "/nonexistent")
        let text = await exporter.scrape()
        #expect(!text.contains("DCGM_FI_"))
        #expect(!text.contains("container_accelerator_"))
        #expect(try ExpositionParser().parse(text)[family: "container_memory_working_set_bytes"]?.samples.count == 1)
    }
}
