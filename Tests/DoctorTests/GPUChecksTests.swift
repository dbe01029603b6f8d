import DockerEngine
import Foundation
import GPU
import Testing

@testable import Doctor

@Suite("Doctor GPU checks")
struct GPUChecksTests {
    static let mib: UInt64 = 1 << 20
    static let modelID = String(repeating: "d", count: 64)

    /// A two-T4 host: GPU 1 nearly full, held by the model-api container.
    static let twoT4 = GPU.Snapshot(
        driverVersion: "535.161.08", nvmlVersion: "12.535.161.08",
        devices: [
            GPU.Device(
                index: 0, name: "Tesla T4", uuid: "GPU-0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6", minorNumber: 0,
                memory: .init(totalBytes: 15360 * mib, freeBytes: 14923 * mib, usedBytes: 437 * mib), uncorrectedECCErrors: 0),
            GPU.Device(
                index: 1, name: "Tesla T4", uuid: "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0", minorNumber: 1,
                memory: .init(totalBytes: 15360 * mib, freeBytes: 1012 * mib, usedBytes: 14348 * mib), uncorrectedECCErrors: 0,
                processes: [.init(pid: 2001, usedMemoryBytes: 13_000 * mib)]),
        ])
    static let used = [
        GPU.ContainerMemory(containerID: modelID, gpu: 1, uuid: twoT4.devices[1].uuid, modelName: "Tesla T4", usedBytes: 13_000 * mib, pids: [2001])
    ]
    static let noLibrary = GPU.Unavailable.libraryNotFound(
        library: "libnvidia-ml.so.1", reason: "libnvidia-ml.so.1: cannot open shared object file: No such file or directory")

    static func request(count: Int? = 1, ids: [String] = [], container: String? = "app-model-api-1", granted: Bool = true) -> Doctor.GPURequest {
        Doctor.GPURequest(
            project: "app", service: "model-api", count: count, deviceIDs: ids, container: container,
            containerID: container == nil ? nil : modelID, running: container != nil, granted: granted)
    }

    static func info(_ json: String) throws -> DockerEngine.SystemInfo {
        try JSONDecoder().decode(DockerEngine.SystemInfo.self, from: Data(json.utf8))
    }

    // Runtimes as Engine 20.10 (this machine) and Engine 27 with the toolkit report them.
    static let plainEngine = #"{"Runtimes":{"io.containerd.runc.v2":{"path":"runc"},"runc":{"path":"runc"}},"DefaultRuntime":"runc"}"#
    static let toolkitEngine = #"{"Runtimes":{"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}},"DefaultRuntime":"runc"}"#
    static let cdiEngine = #"{"Runtimes":{"runc":{"path":"runc"}},"DefaultRuntime":"runc","CDISpecDirs":["/etc/cdi","/var/run/cdi"]}"#

    @Test("no GPU and no request: one line, ok")
    func noGPUNoRequest() {
        let finding = Doctor.noGPUFinding(requests: [], reason: Self.noLibrary, info: nil)
        #expect(finding.status == .ok)
        #expect(finding.code == "gpu.absent.notRequested")
        #expect(finding.remedy.isEmpty)
    }

    @Test("no GPU but a service requests one: a failure naming the service and what to install")
    func noGPUWithRequest() throws {
        let finding = Doctor.noGPUFinding(requests: [Self.request()], reason: Self.noLibrary, info: try Self.info(Self.plainEngine))
        #expect(finding.status == .failure)
        #expect(finding.code == "gpu.absent.requested")
        #expect(finding.summary.hasPrefix("model-api "), "names the service: \(finding.summary)")
        #expect(finding.remedy.contains(Self.noLibrary.remedy))
        #expect(finding.remedy.contains(Doctor.toolkitRemedy))
        // With the toolkit configured, only the driver is missing.
        let withToolkit = Doctor.noGPUFinding(requests: [Self.request()], reason: Self.noLibrary, info: try Self.info(Self.toolkitEngine))
        #expect(!withToolkit.remedy.contains(Doctor.toolkitRemedy))
    }

    @Test("the GPU group is one check without NVML and five with it")
    func catalogue() async throws {
        let engine = try DockerEngine.Client(host: DockerEngine.Host.resolve(host: "unix:///nonexistent/docker.sock", fileExists: { _ in true }))
        let without = Doctor.gpuChecks(engine, projects: [], source: GPU.Source(unavailable: Self.noLibrary))
        #expect(without.map(\.name) == ["gpu"])
        #expect(without.allSatisfy { $0.group == .gpu })
        // No project, so no engine call: the single line is decided from NVML alone.
        let report = await Doctor.Runner().run(without)
        #expect(report.results.map(\.finding.summary) == ["no GPU on this host, none requested"])
        let with = Doctor.gpuChecks(engine, projects: [], source: GPU.Source(nvml: ReplayNVML(Self.twoT4)))
        #expect(with.map(\.name) == ["runtime", "driver", "requests", "memory", "errors"])
    }

    struct RuntimeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var info: String
        var requested: Bool
        var status: Doctor.Status
        var testDescription: String { name }
    }

    @Test(
        "the engine knows an nvidia runtime or CDI devices",
        arguments: [
            RuntimeCase(name: "nvidia runtime", info: GPUChecksTests.toolkitEngine, requested: true, status: .ok),
            RuntimeCase(name: "CDI spec directories", info: GPUChecksTests.cdiEngine, requested: true, status: .ok),
            RuntimeCase(name: "neither, GPUs requested", info: GPUChecksTests.plainEngine, requested: true, status: .failure),
            RuntimeCase(name: "neither, nothing requested", info: GPUChecksTests.plainEngine, requested: false, status: .warning),
        ])
    func runtime(_ c: RuntimeCase) throws {
        let finding = Doctor.gpuRuntimeFinding(try Self.info(c.info), requested: c.requested)
        #expect(finding.status == c.status)
        #expect(finding.remedy == (c.status == .ok ? [] : [Doctor.toolkitRemedy]))
    }

    @Test("the driver answers with its versions and GPUs; no driver or no GPU is said")
    func driver() {
        let ok = Doctor.gpuDriverFinding(.available(Self.twoT4))
        #expect(ok.status == .ok)
        #expect(ok.summary == "driver 535.161.08, NVML 12.535.161.08: 2 × Tesla T4")
        #expect(Doctor.gpuDriverFinding(.unavailable(.initFailed(.init(function: "nvmlInit_v2", code: 9, message: "Driver Not Loaded")))).status == .failure)
        #expect(Doctor.gpuDriverFinding(.available(GPU.Snapshot(driverVersion: "550.54.15", nvmlVersion: "12.550.54.15"))).status == .warning)
        let denied = GPU.Snapshot(driverVersion: "550.54.15", errors: [.init(function: "nvmlDeviceGetCount_v2", code: 4, message: "Insufficient Permissions")])
        #expect(Doctor.gpuDriverFinding(.available(denied)).status == .failure)
    }

    struct RequestCase: Sendable, CustomTestStringConvertible {
        var name: String
        var requests: [Doctor.GPURequest]
        var status: Doctor.Status
        var summaryPrefix: String
        var testDescription: String { name }
    }

    @Test(
        "every service that requests a GPU got one",
        arguments: [
            RequestCase(
                name: "granted and using GPU 1", requests: [GPUChecksTests.request()], status: .ok, summaryPrefix: "every GPU request is met (model-api)"),
            RequestCase(name: "all GPUs, granted", requests: [GPUChecksTests.request(count: -1)], status: .ok, summaryPrefix: "every GPU request is met"),
            RequestCase(
                name: "by UUID", requests: [GPUChecksTests.request(count: nil, ids: ["GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"])], status: .ok,
                summaryPrefix: "every GPU request is met"),
            RequestCase(
                name: "the container lacks the request", requests: [GPUChecksTests.request(granted: false)], status: .failure,
                summaryPrefix: "app/model-api: container app-model-api-1 was created without the GPU request"),
            RequestCase(
                name: "more GPUs than the host has", requests: [GPUChecksTests.request(count: 4)], status: .failure,
                summaryPrefix: "app/model-api requests 4 GPUs, this host has 2"),
            RequestCase(
                name: "a device the host does not have", requests: [GPUChecksTests.request(count: nil, ids: ["3"])], status: .failure,
                summaryPrefix: "app/model-api requests GPU 3"),
            RequestCase(
                name: "no container", requests: [GPUChecksTests.request(container: nil)], status: .failure, summaryPrefix: "app/model-api has no container"),
            RequestCase(name: "nothing requested", requests: [], status: .ok, summaryPrefix: "no service requests a GPU"),
        ])
    func requests(_ c: RequestCase) {
        let finding = Doctor.gpuRequestsFinding(c.requests, snapshot: Self.twoT4, containers: Self.used)
        #expect(finding.status == c.status)
        #expect(finding.summary.hasPrefix(c.summaryPrefix), "\(finding.summary)")
    }

    @Test("a granted container shows which GPU it uses and how much")
    func requestEvidence() {
        let finding = Doctor.gpuRequestsFinding([Self.request()], snapshot: Self.twoT4, containers: Self.used)
        #expect(finding.evidence == ["app/model-api requests 1 GPU: app-model-api-1 uses GPU 1 (12.7GiB)"])
    }

    @Test("free memory per GPU against the 10 % rule")
    func memory() {
        let low = Doctor.gpuMemoryFinding(Self.twoT4)
        #expect(low.status == .failure)
        #expect(low.code == "gpu.memory.low")
        #expect(low.summary.hasPrefix("GPU 1 has 6.6 %"), "names the GPU and its free share: \(low.summary)")
        #expect(low.evidence.count == 2)
        var roomy = Self.twoT4
        roomy.devices[1].memory = .init(totalBytes: 15360 * Self.mib, freeBytes: 1536 * Self.mib, usedBytes: 13824 * Self.mib)
        #expect(Doctor.gpuMemoryFinding(roomy).status == .ok)  // exactly 10 % free is not less than 10 %
        #expect(Doctor.gpuMemoryFinding(GPU.Snapshot()).status == .notApplicable)
    }

    @Test("ECC errors and lost GPUs are failures; a clean host is ok")
    func errors() {
        #expect(Doctor.gpuErrorsFinding(Self.twoT4).status == .ok)
        var ecc = Self.twoT4
        ecc.devices[0].uncorrectedECCErrors = 3
        #expect(Doctor.gpuErrorsFinding(ecc).status == .failure)
        #expect(Doctor.gpuErrorsFinding(ecc).code == "gpu.errors.ecc")
        var lost = Self.twoT4
        lost.errors = [.init(function: "nvmlDeviceGetName", device: 1, code: GPU.NVMLError.gpuIsLost, message: "GPU is lost")]
        #expect(Doctor.gpuErrorsFinding(lost).status == .failure)
        #expect(Doctor.gpuErrorsFinding(lost).code == "gpu.errors.lost")
        #expect(Doctor.gpuErrorsFinding(lost).summary.hasPrefix("GPU 1 "), "names the GPU")
    }

    @Test("GPU requests are told apart from other device requests")
    func isGPU() {
        #expect(Doctor.isGPURequest(driver: "nvidia", capabilities: []))
        #expect(Doctor.isGPURequest(driver: "", capabilities: ["gpu"]))  // `gpus: all`, `--gpus all`
        #expect(Doctor.isGPURequest(driver: nil, capabilities: ["gpu", "utility"]))
        #expect(!Doctor.isGPURequest(driver: "cdi", capabilities: []))
    }
}

/// NVML replaying a snapshot's devices (names and memory only: what the catalogue test needs).
struct ReplayNVML: NVML {
    var snapshot: GPU.Snapshot
    init(_ snapshot: GPU.Snapshot) { self.snapshot = snapshot }
    func driverVersion() throws(GPU.NVMLError) -> String { snapshot.driverVersion ?? "" }
    func nvmlVersion() throws(GPU.NVMLError) -> String { snapshot.nvmlVersion ?? "" }
    func deviceCount() throws(GPU.NVMLError) -> Int { snapshot.devices.count }
    func name(device: Int) throws(GPU.NVMLError) -> String { snapshot.devices[device].name }
    func uuid(device: Int) throws(GPU.NVMLError) -> String { snapshot.devices[device].uuid }
    func minorNumber(device: Int) throws(GPU.NVMLError) -> Int { device }
    func memory(device: Int) throws(GPU.NVMLError) -> GPU.Memory { snapshot.devices[device].memory ?? .init(totalBytes: 0, freeBytes: 0, usedBytes: 0) }
    func utilization(device: Int) throws(GPU.NVMLError) -> GPU.Utilization { .init(gpuPercent: 0, memoryPercent: 0) }
    func temperature(device: Int) throws(GPU.NVMLError) -> UInt32 { 30 }
    func powerUsage(device: Int) throws(GPU.NVMLError) -> UInt32 { 50_000 }
    func computeProcesses(device: Int) throws(GPU.NVMLError) -> [GPU.Process] { snapshot.devices[device].processes }
    func migEnabled(device: Int) throws(GPU.NVMLError) -> Bool { false }
    func uncorrectedECCErrors(device: Int) throws(GPU.NVMLError) -> UInt64 { 0 }
}
