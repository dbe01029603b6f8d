import Compose
import ContainerStats
import DockerEngine
import Foundation
import GPU

extension Doctor {
    /// A service that asks for a GPU (in its compose file, or in its container's
    /// `HostConfig.DeviceRequests`), and what its container got.
    public struct GPURequest: Sendable, Equatable {
        public var project: String
        public var service: String
        /// GPUs asked for: -1 all, `nil` when the request names devices instead.
        public var count: Int?
        /// `device_ids` of the request (indices or UUIDs).
        public var deviceIDs: [String]
        /// The service's container, `nil` when it has none.
        public var container: String?
        public var containerID: String?
        public var running: Bool
        /// The container carries a GPU request (false: created before the request was added, or
        /// by a tool that dropped it).
        public var granted: Bool

        public init(
            project: String, service: String, count: Int?, deviceIDs: [String] = [], container: String?, containerID: String?, running: Bool, granted: Bool
        ) {
            self.project = project
            self.service = service
            self.count = count
            self.deviceIDs = deviceIDs
            self.container = container
            self.containerID = containerID
            self.running = running
            self.granted = granted
        }
    }

    static let toolkitRemedy =
        "install the NVIDIA container toolkit (nvidia-container-toolkit), run `sudo nvidia-ctk runtime configure --runtime=docker` and restart dockerd"

    /// GPUs: the engine's GPU support, the driver, the services' GPU requests, free memory per
    /// GPU against the guide's 10 % rule, and the errors NVML counts. On a host with no GPU and
    /// no service asking for one: a single line.
    static func gpuChecks(_ engine: DockerEngine.Client, projects: [ComposeProject], source: GPU.Source) -> [Check] {
        guard source.nvml != nil else {
            return [
                Check(.gpu, "gpu", timeout: .seconds(8)) {
                    let requests = try await gpuRequests(engine, projects: projects)
                    var info: DockerEngine.SystemInfo?
                    if !requests.isEmpty { info = try? await engine.info() }
                    return noGPUFinding(
                        requests: requests, reason: source.unavailable ?? .libraryNotFound(library: NVMLLibrary.defaultLibrary, reason: "not loaded"),
                        info: info)
                }
            ]
        }
        return [
            Check(.gpu, "runtime") {
                let requests = try await gpuRequests(engine, projects: projects)
                return gpuRuntimeFinding(try await engine.info(), requested: !requests.isEmpty)
            },
            Check(.gpu, "driver") { gpuDriverFinding(source.read()) },
            Check(.gpu, "requests", timeout: .seconds(8)) {
                let requests = try await gpuRequests(engine, projects: projects)
                let snapshot = source.read().snapshot ?? GPU.Snapshot()
                let containers = GPU.containerMemory(snapshot) { GPU.readProcCgroup(pid: $0) }
                return gpuRequestsFinding(requests, snapshot: snapshot, containers: containers)
            },
            Check(.gpu, "memory") { gpuMemoryFinding(source.read().snapshot ?? GPU.Snapshot()) },
            Check(.gpu, "errors") { gpuErrorsFinding(source.read().snapshot ?? GPU.Snapshot()) },
        ]
    }

    // MARK: - Decisions (pure)

    static func describe(_ request: GPURequest) -> String {
        let what = request.count.map { $0 < 0 ? "all GPUs" : "\($0) GPU\($0 == 1 ? "" : "s")" } ?? "GPU \(request.deviceIDs.joined(separator: ", "))"
        return "\(request.project)/\(request.service) requests \(what)"
    }

    /// No NVML here: fine when nothing asks for a GPU, a failure saying what to install when
    /// something does.
    static func noGPUFinding(requests: [GPURequest], reason: GPU.Unavailable, info: DockerEngine.SystemInfo?) -> Finding {
        guard !requests.isEmpty else {
            return .ok("no GPU on this host, none requested", evidence: ["NVML \(reason.description)"], code: "gpu.absent.notRequested")
        }
        var evidence = requests.map(describe)
        evidence.append("NVML \(reason.description)")
        var remedy = [reason.remedy]
        if let info, !engineSupportsGPUs(info) {
            evidence.append("the engine lists no nvidia runtime and no CDI spec directories")
            remedy.append(toolkitRemedy)
        }
        remedy.append("or run the stack on a GPU host; without one, remove the GPU request (deploy.resources.reservations.devices, gpus:)")
        let services = requests.map(\.service).joined(separator: ", ")
        return .failure(
            "\(services) request\(requests.count == 1 ? "s" : "") a GPU, but this host has no GPU NVML can see", evidence: evidence, remedy: remedy,
            code: "gpu.absent.requested")
    }

    static func engineSupportsGPUs(_ info: DockerEngine.SystemInfo) -> Bool {
        (info.runtimes ?? [:]).keys.contains { $0.hasPrefix("nvidia") } || !(info.cdiSpecDirs ?? []).isEmpty
    }

    /// The engine can hand GPUs to containers: an `nvidia` runtime (NVIDIA container toolkit) or
    /// CDI spec directories (Engine 25+).
    static func gpuRuntimeFinding(_ info: DockerEngine.SystemInfo, requested: Bool) -> Finding {
        let runtimes = (info.runtimes ?? [:]).keys.sorted()
        let cdi = info.cdiSpecDirs ?? []
        let evidence = [
            "runtimes: \(runtimes.isEmpty ? "none listed" : runtimes.joined(separator: ", ")) (default \(info.defaultRuntime ?? "runc"))",
            "CDI spec directories: \(cdi.isEmpty ? "none" : cdi.joined(separator: ", "))",
        ]
        if engineSupportsGPUs(info) {
            let how = runtimes.contains { $0.hasPrefix("nvidia") } ? "the nvidia runtime" : "CDI devices"
            return .ok("the engine can give containers GPUs (\(how))", evidence: evidence)
        }
        let summary = "the engine lists no nvidia runtime and no CDI devices"
        // `--gpus` also works through the toolkit's prestart hook alone, which /info does not show.
        return requested
            ? .failure(summary + ", and services request GPUs", evidence: evidence, remedy: [toolkitRemedy])
            : .warning(summary, evidence: evidence, remedy: [toolkitRemedy])
    }

    static func gpuDriverFinding(_ reading: GPU.Reading) -> Finding {
        switch reading {
        case .unavailable(let reason):
            return .failure("the NVIDIA driver does not answer: \(reason.description)", remedy: [reason.remedy])
        case .available(let snapshot):
            var evidence = ["driver \(snapshot.driverVersion ?? "unknown"), NVML \(snapshot.nvmlVersion ?? "unknown")"]
            evidence += snapshot.devices.map { "GPU \($0.index): \($0.name) \($0.uuid)\($0.migEnabled == true ? " (MIG on)" : "")" }
            if snapshot.devices.isEmpty {
                let errors = snapshot.errors.map(\.description)
                return errors.isEmpty
                    ? .warning(
                        "the NVIDIA driver answers but sees no GPU", evidence: evidence,
                        remedy: ["check `nvidia-smi`; a GPU passed through to a VM or container must be visible here"])
                    : .failure(
                        "the NVIDIA driver cannot list the GPUs", evidence: evidence + errors, remedy: ["run `nvidia-smi` to see the driver's own error"])
            }
            let models = Dictionary(grouping: snapshot.devices, by: \.name).sorted { $0.key < $1.key }.map { "\($0.value.count) × \($0.key)" }
            return .ok(
                "driver \(snapshot.driverVersion ?? "unknown"), NVML \(snapshot.nvmlVersion ?? "unknown"): \(models.joined(separator: ", "))",
                evidence: evidence)
        }
    }

    /// Every service that asks for a GPU has a container that carries the request, and the
    /// host has the GPUs it asks for.
    static func gpuRequestsFinding(_ requests: [GPURequest], snapshot: GPU.Snapshot, containers: [GPU.ContainerMemory]) -> Finding {
        guard !requests.isEmpty else {
            return .ok("no service requests a GPU", evidence: ["\(snapshot.devices.count) GPU\(snapshot.devices.count == 1 ? "" : "s") on this host"])
        }
        let known = Set(snapshot.devices.flatMap { ["\($0.index)", $0.uuid] })
        var problems: [String] = []
        var remedy: [String] = []
        var evidence: [String] = []
        for request in requests {
            let label = "\(request.project)/\(request.service)"
            guard let container = request.container else {
                problems.append("\(label) has no container")
                remedy.append("start it: stackpilot up")
                continue
            }
            if !request.granted {
                problems.append("\(label): container \(container) was created without the GPU request")
                remedy.append("recreate it with its request: stackpilot up (the request changed the configuration)")
                continue
            }
            if let count = request.count, count > snapshot.devices.count {
                problems.append("\(label) requests \(count) GPUs, this host has \(snapshot.devices.count)")
                remedy.append("lower count in deploy.resources.reservations.devices of \(request.service), or run it on a host with more GPUs")
                continue
            }
            let missing = request.deviceIDs.filter { !known.contains($0) }
            if !missing.isEmpty {
                problems.append("\(label) requests GPU \(missing.joined(separator: ", ")), which this host does not have")
                remedy.append("use device_ids from `nvidia-smi -L` (indices 0–\(max(0, snapshot.devices.count - 1)) or GPU-… UUIDs)")
                continue
            }
            let used = containers.filter { $0.containerID == request.containerID }
            if !request.running {
                evidence.append("\(describe(request)): container \(container) is not running")
            } else if used.isEmpty {
                evidence.append("\(describe(request)): \(container) has the GPU, no compute process on it yet")
            } else {
                evidence.append(
                    "\(describe(request)): \(container) uses " + used.map { "GPU \($0.gpu) (\(ByteFormat.binary($0.usedBytes)))" }.joined(separator: ", "))
            }
        }
        if !problems.isEmpty {
            var seen = Set<String>()
            return .failure(
                problems[0] + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""), evidence: problems + evidence,
                remedy: remedy.filter { seen.insert($0).inserted })
        }
        return .ok("every GPU request is met (\(requests.map(\.service).joined(separator: ", ")))", evidence: evidence)
    }

    /// The guide's rule: less than 10 % of a GPU's memory free is a problem.
    static func gpuMemoryFinding(_ snapshot: GPU.Snapshot) -> Finding {
        let measured = snapshot.devices.compactMap { device in device.memory.flatMap { memory in memory.freeFraction.map { (device, memory, $0) } } }
        guard !measured.isEmpty else {
            return .notApplicable("no GPU reports its memory")
        }
        let evidence = measured.map { device, memory, fraction in
            "GPU \(device.index) (\(device.name)): \(ByteFormat.binary(memory.freeBytes)) free of \(ByteFormat.binary(memory.totalBytes)) (\(String(format: "%.1f", fraction * 100)) %)"
        }
        let low = measured.filter { $0.2 < 0.10 }
        if let worst = low.min(by: { $0.2 < $1.2 }) {
            return .failure(
                "GPU \(worst.0.index) has \(String(format: "%.1f", worst.2 * 100)) % of its memory free (less than 10 %)", evidence: evidence,
                remedy: [
                    "check GPU utilization and which container holds the memory: stackpilot stats (GPU memory column)",
                    "adjust the model cache size; consider scaling the service or optimizing the models",
                ], code: "gpu.memory.low")
        }
        let least = measured.min { $0.2 < $1.2 }!
        return .ok(
            "every GPU has at least 10 % of its memory free (least: GPU \(least.0.index), \(String(format: "%.1f", least.2 * 100)) %)", evidence: evidence)
    }

    /// What NVML counts as errors: uncorrected ECC errors since the driver loaded, and calls the
    /// driver failed (a GPU lost from the bus). Xid errors reach NVML only as events
    /// (nvmlEventSetWait), which a one-off check cannot wait for: the kernel log has them.
    static func gpuErrorsFinding(_ snapshot: GPU.Snapshot) -> Finding {
        var evidence = snapshot.devices.map { device in
            "GPU \(device.index): uncorrected ECC errors \(device.uncorrectedECCErrors.map { "\($0)" } ?? "not reported (no ECC)")"
        }
        evidence.append("Xid errors are events, not counters: `dmesg | grep -i xid` shows them")
        let lost = snapshot.errors.filter { $0.code == GPU.NVMLError.gpuIsLost || $0.code == GPU.NVMLError.resetRequired }
        if !lost.isEmpty {
            return .failure(
                "GPU \(lost.compactMap(\.device).map { "\($0)" }.joined(separator: ", ")) fell off the bus or needs a reset",
                evidence: lost.map(\.description) + evidence,
                remedy: ["look for Xid 79 in `dmesg`; reset the GPU (`nvidia-smi -r -i N`) or reboot the host"], code: "gpu.errors.lost")
        }
        let ecc = snapshot.devices.filter { ($0.uncorrectedECCErrors ?? 0) > 0 }
        if !ecc.isEmpty {
            return .failure(
                "uncorrected ECC errors on GPU \(ecc.map { "\($0.index)" }.joined(separator: ", "))", evidence: evidence,
                remedy: [
                    "the GPU's memory is failing: drain it, check `nvidia-smi -q -d ECC,PAGE_RETIREMENT`, and have it replaced if the count grows"
                ], code: "gpu.errors.ecc")
        }
        if !snapshot.errors.isEmpty {
            return .warning(
                "NVML could not read everything", evidence: snapshot.errors.map(\.description) + evidence,
                remedy: ["run `nvidia-smi -q` to see what the driver reports"])
        }
        return .ok("no uncorrected ECC errors, every NVML call answered", evidence: evidence)
    }

    // MARK: - I/O

    /// Whether a device request is for GPUs: the nvidia driver or the `gpu` capability (what
    /// `gpus:` and `--gpus` send).
    static func isGPURequest(driver: String?, capabilities: [String]) -> Bool {
        driver == "nvidia" || capabilities.contains("gpu")
    }

    /// The services that request a GPU, from the compose files and the containers' own requests.
    static func gpuRequests(_ engine: DockerEngine.Client, projects: [ComposeProject]) async throws -> [GPURequest] {
        var requests: [GPURequest] = []
        for project in projects {
            let summaries = try await engine.listContainers(all: true, filters: DockerEngine.Filters().composeProject(project.name))
            var byService: [String: (DockerEngine.ContainerSummary, [DockerEngine.DeviceRequest])] = [:]
            for summary in summaries {
                guard let service = summary.composeService, byService[service] == nil else { continue }
                let inspect = try await engine.inspectContainer(summary.id)
                let gpu = (inspect.hostConfig?.deviceRequests ?? []).filter {
                    isGPURequest(driver: $0.driver, capabilities: ($0.capabilities ?? []).flatMap { $0 })
                }
                byService[service] = (summary, gpu)
            }
            let services = Set(project.services.map(\.name)).union(byService.keys)
            for service in services.sorted() {
                let declared = (project.services.first { $0.name == service }?.deploy?.reservations?.devices ?? [])
                    .filter { isGPURequest(driver: $0.driver, capabilities: $0.capabilities) }
                let (summary, granted) = byService[service].map { ($0.0 as DockerEngine.ContainerSummary?, $0.1) } ?? (nil, [])
                guard let first = declared.first.map({ ($0.count, $0.deviceIDs) }) ?? granted.first.map({ ($0.count, $0.deviceIDs ?? []) }) else { continue }
                requests.append(
                    GPURequest(
                        project: project.name, service: service, count: first.1.isEmpty ? (first.0 ?? -1) : nil, deviceIDs: first.1,
                        container: summary?.name, containerID: summary?.id, running: summary?.state == .running, granted: !granted.isEmpty))
            }
        }
        return requests
    }
}
