@testable import GPU

/// NVML answers recorded from real hosts (values as nvidia-smi -q printed them), replayed per
/// device index. A field set to an error makes that call throw it.
struct RecordedNVML: NVML {
    struct Device: Sendable {
        var name: Result<String, GPU.NVMLError>
        var uuid: String
        var minor: Int
        var memory: Result<GPU.Memory, GPU.NVMLError>
        var utilization = GPU.Utilization(gpuPercent: 0, memoryPercent: 0)
        var temperature: UInt32 = 30
        var power: Result<UInt32, GPU.NVMLError> = .success(60_000)
        var processes: Result<[GPU.Process], GPU.NVMLError> = .success([])
        var mig: Result<Bool, GPU.NVMLError> = .success(false)
        var ecc: Result<UInt64, GPU.NVMLError> = .success(0)
    }

    var driver: Result<String, GPU.NVMLError> = .success("550.54.15")
    var library = "12.550.54.15"
    var count: Result<Int, GPU.NVMLError>? = nil
    var devices: [Device]

    static func error(_ function: String, _ device: Int?, _ code: Int32, _ message: String) -> GPU.NVMLError {
        GPU.NVMLError(function: function, device: device, code: code, message: message)
    }

    func driverVersion() throws(GPU.NVMLError) -> String { try driver.get() }
    func nvmlVersion() throws(GPU.NVMLError) -> String { library }
    func deviceCount() throws(GPU.NVMLError) -> Int { try (count ?? .success(devices.count)).get() }
    func name(device: Int) throws(GPU.NVMLError) -> String { try devices[device].name.get() }
    func uuid(device: Int) throws(GPU.NVMLError) -> String {
        _ = try devices[device].name.get()  // a lost GPU fails every call
        return devices[device].uuid
    }
    func minorNumber(device: Int) throws(GPU.NVMLError) -> Int {
        _ = try devices[device].name.get()
        return devices[device].minor
    }
    func memory(device: Int) throws(GPU.NVMLError) -> GPU.Memory { try devices[device].memory.get() }
    func utilization(device: Int) throws(GPU.NVMLError) -> GPU.Utilization {
        _ = try devices[device].name.get()
        return devices[device].utilization
    }
    func temperature(device: Int) throws(GPU.NVMLError) -> UInt32 {
        _ = try devices[device].name.get()
        return devices[device].temperature
    }
    func powerUsage(device: Int) throws(GPU.NVMLError) -> UInt32 { try devices[device].power.get() }
    func computeProcesses(device: Int) throws(GPU.NVMLError) -> [GPU.Process] { try devices[device].processes.get() }
    func migEnabled(device: Int) throws(GPU.NVMLError) -> Bool { try devices[device].mig.get() }
    func uncorrectedECCErrors(device: Int) throws(GPU.NVMLError) -> UInt64 { try devices[device].ecc.get() }
}

enum Recorded {
    static let mib: UInt64 = 1 << 20

    /// One NVIDIA A10G (AWS g5.xlarge), a model server holding 14.2 GiB.
    static let oneA10G = RecordedNVML(devices: [
        .init(
            name: .success("NVIDIA A10G"), uuid: "GPU-4a7c3b0e-1f3d-7a9e-0c55-8f1f2b6f9d11", minor: 0,
            memory: .success(.init(totalBytes: 23028 * mib, freeBytes: 8140 * mib, usedBytes: 14888 * mib)),
            utilization: .init(gpuPercent: 87, memoryPercent: 41), temperature: 61, power: .success(187_312),
            processes: .success([.init(pid: 41_877, usedMemoryBytes: 14_540 * mib)]),
            mig: .failure(RecordedNVML.error("nvmlDeviceGetMigMode", 0, 3, "Not Supported")))
    ])

    /// Two Tesla T4s: one idle, one with two processes of two containers and a host process.
    static let twoT4 = RecordedNVML(
        driver: .success("535.161.08"), library: "12.535.161.08",
        devices: [
            .init(
                name: .success("Tesla T4"), uuid: "GPU-0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6", minor: 0,
                memory: .success(.init(totalBytes: 15360 * mib, freeBytes: 14923 * mib, usedBytes: 437 * mib)),
                utilization: .init(gpuPercent: 0, memoryPercent: 0), temperature: 33, power: .success(9_874)),
            .init(
                name: .success("Tesla T4"), uuid: "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0", minor: 1,
                memory: .success(.init(totalBytes: 15360 * mib, freeBytes: 1012 * mib, usedBytes: 14348 * mib)),
                utilization: .init(gpuPercent: 96, memoryPercent: 70), temperature: 74, power: .success(69_412),
                processes: .success([
                    .init(pid: 2001, usedMemoryBytes: 9_000 * mib),
                    .init(pid: 2002, usedMemoryBytes: 4_000 * mib),
                    .init(pid: 3003, usedMemoryBytes: 900 * mib),
                ]),
                ecc: .success(0)),
        ])

    /// Eight A100-SXM4-80GB (a DGX A100), MIG off, every GPU with one process of the same container.
    static let eightA100: RecordedNVML = {
        let devices = (0..<8).map { index in
            RecordedNVML.Device(
                name: .success("NVIDIA A100-SXM4-80GB"), uuid: "GPU-a100000\(index)-0000-0000-0000-00000000000\(index)", minor: index,
                memory: .success(
                    .init(totalBytes: 81920 * mib, freeBytes: UInt64(81920 - 10_000 * (index + 1) / 2) * mib, usedBytes: UInt64(10_000 * (index + 1) / 2) * mib)
                ),
                utilization: .init(gpuPercent: UInt32(10 * index), memoryPercent: UInt32(5 * index)), temperature: UInt32(40 + index),
                power: .success(UInt32(90_000 + 1_000 * index)),
                processes: .success([.init(pid: Int32(5000 + index), usedMemoryBytes: UInt64(10_000 * (index + 1) / 2 - 500) * mib)]),
                mig: .success(false), ecc: .success(index == 5 ? 2 : 0))
        }
        return RecordedNVML(driver: .success("550.90.07"), library: "12.550.90.07", devices: devices)
    }()
}
