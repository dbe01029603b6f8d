import Testing

@testable import GPU

@Suite("GPU.snapshot")
struct SnapshotTests {
    struct HostCase: Sendable, CustomTestStringConvertible {
        var name: String
        var nvml: RecordedNVML
        var driver: String
        var gpus: Int
        var names: Set<String>
        var usedMiB: [UInt64]
        var freeMiB: [UInt64]
        var processes: Int
        var testDescription: String { name }
    }

    @Test(
        "every GPU of a host is read with its memory, utilisation, temperature, power and processes, MIG off",
        arguments: [
            HostCase(
                name: "1 GPU", nvml: Recorded.oneA10G, driver: "550.54.15", gpus: 1, names: ["NVIDIA A10G"],
                usedMiB: [14888], freeMiB: [8140], processes: 1),
            HostCase(
                name: "2 GPUs", nvml: Recorded.twoT4, driver: "535.161.08", gpus: 2, names: ["Tesla T4"],
                usedMiB: [437, 14348], freeMiB: [14923, 1012], processes: 3),
            HostCase(
                name: "8 GPUs", nvml: Recorded.eightA100, driver: "550.90.07", gpus: 8, names: ["NVIDIA A100-SXM4-80GB"],
                usedMiB: [5000, 10000, 15000, 20000, 25000, 30000, 35000, 40000],
                freeMiB: [76920, 71920, 66920, 61920, 56920, 51920, 46920, 41920], processes: 8),
        ])
    func hosts(_ host: HostCase) {
        let snapshot = GPU.snapshot(host.nvml)
        #expect(snapshot.errors.isEmpty)
        #expect(snapshot.driverVersion == host.driver)
        #expect(snapshot.devices.count == host.gpus)
        #expect(snapshot.devices.map(\.index) == Array(0..<host.gpus))
        #expect(Set(snapshot.devices.map(\.name)) == host.names)
        #expect(snapshot.devices.map { ($0.memory?.usedBytes ?? 0) / Recorded.mib } == host.usedMiB)
        #expect(snapshot.devices.map { ($0.memory?.freeBytes ?? 0) / Recorded.mib } == host.freeMiB)
        #expect(snapshot.devices.allSatisfy { $0.memory.map { $0.freeBytes + $0.usedBytes == $0.totalBytes } == true })
        #expect(snapshot.devices.flatMap(\.processes).count == host.processes)
        #expect(snapshot.devices.allSatisfy { $0.migEnabled != true })
        #expect(snapshot.devices.map(\.deviceFile) == (0..<host.gpus).map { "nvidia\($0)" })
    }

    @Test("values are in NVML's units and the free share is free over total")
    func units() throws {
        let device = try #require(GPU.snapshot(Recorded.oneA10G).devices.first)
        #expect(device.powerMilliwatts == 187_312)
        #expect(device.temperatureCelsius == 61)
        #expect(device.utilization == GPU.Utilization(gpuPercent: 87, memoryPercent: 41))
        #expect(device.uuid == "GPU-4a7c3b0e-1f3d-7a9e-0c55-8f1f2b6f9d11")
        let fraction = try #require(device.memory?.freeFraction)
        #expect(abs(fraction - 8140.0 / 23028.0) < 1e-9)
        // NOT_SUPPORTED (no MIG on an A10G) is an absent value, not an error.
        #expect(device.migEnabled == nil)
        #expect(device.uncorrectedECCErrors == 0)
        #expect(GPU.snapshot(Recorded.eightA100).devices[5].uncorrectedECCErrors == 2)
    }

    struct DriverErrorCase: Sendable, CustomTestStringConvertible {
        var name: String
        var nvml: RecordedNVML
        var devices: Int
        var errors: [String]
        var codes: [Int32]
        var testDescription: String { name }
    }

    static let lost = RecordedNVML.error("nvmlDeviceGetName", 1, GPU.NVMLError.gpuIsLost, "GPU is lost")

    @Test(
        "driver errors are kept with the call and the device; the other GPUs are still read",
        arguments: [
            DriverErrorCase(
                name: "a GPU fell off the bus",
                nvml: {
                    var nvml = Recorded.twoT4
                    nvml.devices[1].name = .failure(SnapshotTests.lost)
                    nvml.devices[1].memory = .failure(RecordedNVML.error("nvmlDeviceGetMemoryInfo", 1, GPU.NVMLError.gpuIsLost, "GPU is lost"))
                    nvml.devices[1].power = .failure(RecordedNVML.error("nvmlDeviceGetPowerUsage", 1, GPU.NVMLError.gpuIsLost, "GPU is lost"))
                    nvml.devices[1].processes = .failure(
                        RecordedNVML.error("nvmlDeviceGetComputeRunningProcesses_v3", 1, GPU.NVMLError.gpuIsLost, "GPU is lost"))
                    return nvml
                }(), devices: 2, errors: ["nvmlDeviceGetName"], codes: [15]),
            DriverErrorCase(
                name: "no permission to read one GPU's processes",
                nvml: {
                    var nvml = Recorded.twoT4
                    nvml.devices[1].processes = .failure(
                        RecordedNVML.error("nvmlDeviceGetComputeRunningProcesses_v3", 1, GPU.NVMLError.noPermission, "Insufficient Permissions"))
                    return nvml
                }(), devices: 2, errors: ["nvmlDeviceGetComputeRunningProcesses_v3"], codes: [4]),
            DriverErrorCase(
                name: "no permission to count the devices",
                nvml: {
                    var nvml = Recorded.oneA10G
                    nvml.count = .failure(RecordedNVML.error("nvmlDeviceGetCount_v2", nil, GPU.NVMLError.noPermission, "Insufficient Permissions"))
                    return nvml
                }(), devices: 0, errors: ["nvmlDeviceGetCount_v2"], codes: [4]),
            DriverErrorCase(
                name: "the driver version call is missing from an old library",
                nvml: {
                    var nvml = Recorded.oneA10G
                    nvml.driver = .failure(RecordedNVML.error("nvmlSystemGetDriverVersion", nil, GPU.NVMLError.functionNotFound, "Function Not Found"))
                    return nvml
                }(), devices: 1, errors: [], codes: []),
        ])
    func driverErrors(_ c: DriverErrorCase) {
        let snapshot = GPU.snapshot(c.nvml)
        #expect(snapshot.devices.count == c.devices)
        #expect(snapshot.errors.map(\.function) == c.errors)
        #expect(Set(snapshot.errors.map(\.code)) == Set(c.codes))
    }

    @Test("a lost GPU stays listed by its index, with no values")
    func lostGPU() throws {
        var nvml = Recorded.twoT4
        nvml.devices[1].name = .failure(Self.lost)
        nvml.devices[1].memory = .failure(Self.lost)
        let device = try #require(GPU.snapshot(nvml).devices.last)
        #expect(device.index == 1)
        #expect(device.name == "GPU 1")
        #expect(device.memory == nil)
        #expect(device.uuid == "")
    }

    @Test("an error names the device and NVML's code")
    func errorText() {
        #expect(Self.lost.description == "GPU 1: nvmlDeviceGetName failed: GPU is lost (NVML error 15)")
        #expect(!Self.lost.isAbsentValue)
        #expect(RecordedNVML.error("x", 0, 3, "Not Supported").isAbsentValue)
    }
}

@Suite("GPU.NVMLLibrary")
struct LibraryTests {
    struct AbsentCase: Sendable, CustomTestStringConvertible {
        var library: String
        var notFound: Bool
        var testDescription: String { library }
    }

    @Test(
        "an absent or foreign library makes NVML unavailable, with the reason, instead of failing",
        arguments: [
            AbsentCase(library: "/nonexistent/libnvidia-ml.so.1", notFound: true),
            AbsentCase(library: "libnvidia-ml-absent.so.1", notFound: true),
            AbsentCase(library: "libc.so.6", notFound: false),
        ])
    func absent(_ c: AbsentCase) throws {
        let result = NVMLLibrary.load(library: c.library)
        guard case .failure(let reason) = result else {
            Issue.record("\(c.library) loaded as NVML")
            return
        }
        switch reason {
        case .libraryNotFound(let library, _): #expect(c.notFound && library == c.library)
        case .unusableLibrary(_, let text): #expect(!c.notFound && text.contains("nvmlInit_v2"))
        case .initFailed: Issue.record("init was attempted on \(c.library)")
        }
        #expect(reason.description.hasPrefix("not available"))
        let source = GPU.Source(unavailable: reason)
        #expect(source.read() == .unavailable(reason))
        #expect(source.read().snapshot == nil)
    }

    @Test("this host's NVML: a snapshot where a driver is installed, a reason where none is")
    func system() {
        switch GPU.Source.system().read() {
        case .available(let snapshot):
            #expect(snapshot.driverVersion != nil || !snapshot.errors.isEmpty)
        case .unavailable(let reason):
            #expect(reason.description.hasPrefix("not available"))
        }
    }
}
