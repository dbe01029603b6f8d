import CNVML

/// The real NVML: `libnvidia-ml.so.1` opened with dlopen (no link-time dependency), initialised
/// once (`nvmlInit_v2`) and shut down (`nvmlShutdown`, dlclose) when the last reference goes.
///
/// `@unchecked Sendable`: the only state is the table of function pointers, written once in
/// `init` and never again; NVML documents its calls as thread-safe, so concurrent calls through
/// the table are safe.
public final class NVMLLibrary: NVML, @unchecked Sendable {
    /// The soname the NVIDIA driver installs (the unversioned `.so` comes only with dev packages).
    public static let defaultLibrary = "libnvidia-ml.so.1"

    private let handle: OpaquePointer

    /// Loads and initialises NVML. `library` is a soname or a path; `STACKPILOT_NVML_LIBRARY`
    /// in the environment is what callers pass to point at another copy.
    public init(library: String = NVMLLibrary.defaultLibrary) throws(GPU.Unavailable) {
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = stackpilot_nvml_open(library, &error, UInt32(error.count)) else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if reason.contains("no symbol") {
                throw .unusableLibrary(library: library, reason: reason)
            }
            throw .libraryNotFound(library: library, reason: reason)
        }
        let code = stackpilot_nvml_init(handle)
        if code != 0 {
            let message = String(cString: stackpilot_nvml_error_string(handle, code))
            stackpilot_nvml_close(handle)
            throw .initFailed(GPU.NVMLError(function: "nvmlInit_v2", code: code, message: message))
        }
        self.handle = handle
    }

    deinit {
        _ = stackpilot_nvml_shutdown(handle)
        stackpilot_nvml_close(handle)
    }

    /// Loads NVML, or says why it cannot.
    public static func load(library: String = NVMLLibrary.defaultLibrary) -> Result<NVMLLibrary, GPU.Unavailable> {
        do {
            return .success(try NVMLLibrary(library: library))
        } catch {
            return .failure(error)
        }
    }

    private func check(_ code: Int32, _ function: String, device: Int? = nil) throws(GPU.NVMLError) {
        guard code != 0 else { return }
        throw GPU.NVMLError(function: function, device: device, code: code, message: String(cString: stackpilot_nvml_error_string(handle, code)))
    }

    private func string(_ function: String, device: Int? = nil, _ call: (UnsafeMutablePointer<CChar>, UInt32) -> Int32) throws(GPU.NVMLError) -> String {
        // 96 bytes: NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE, the largest.
        var buffer = [CChar](repeating: 0, count: 96)
        let code = buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!, UInt32($0.count - 1)) }
        try check(code, function, device: device)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func index(_ device: Int) -> UInt32 { UInt32(clamping: device) }

    public func driverVersion() throws(GPU.NVMLError) -> String {
        try string("nvmlSystemGetDriverVersion") { stackpilot_nvml_driver_version(handle, $0, $1) }
    }

    public func nvmlVersion() throws(GPU.NVMLError) -> String {
        try string("nvmlSystemGetNVMLVersion") { stackpilot_nvml_nvml_version(handle, $0, $1) }
    }

    public func deviceCount() throws(GPU.NVMLError) -> Int {
        var count: UInt32 = 0
        try check(stackpilot_nvml_device_count(handle, &count), "nvmlDeviceGetCount_v2")
        return Int(count)
    }

    public func name(device: Int) throws(GPU.NVMLError) -> String {
        try string("nvmlDeviceGetName", device: device) { stackpilot_nvml_device_name(handle, index(device), $0, $1) }
    }

    public func uuid(device: Int) throws(GPU.NVMLError) -> String {
        try string("nvmlDeviceGetUUID", device: device) { stackpilot_nvml_device_uuid(handle, index(device), $0, $1) }
    }

    public func minorNumber(device: Int) throws(GPU.NVMLError) -> Int {
        var minor: UInt32 = 0
        try check(stackpilot_nvml_device_minor_number(handle, index(device), &minor), "nvmlDeviceGetMinorNumber", device: device)
        return Int(minor)
    }

    public func memory(device: Int) throws(GPU.NVMLError) -> GPU.Memory {
        var memory = stackpilot_nvml_memory()
        try check(stackpilot_nvml_device_memory(handle, index(device), &memory), "nvmlDeviceGetMemoryInfo", device: device)
        return GPU.Memory(totalBytes: memory.total, freeBytes: memory.free, usedBytes: memory.used)
    }

    public func utilization(device: Int) throws(GPU.NVMLError) -> GPU.Utilization {
        var rates = stackpilot_nvml_utilization()
        try check(stackpilot_nvml_device_utilization(handle, index(device), &rates), "nvmlDeviceGetUtilizationRates", device: device)
        return GPU.Utilization(gpuPercent: rates.gpu, memoryPercent: rates.memory)
    }

    public func temperature(device: Int) throws(GPU.NVMLError) -> UInt32 {
        var celsius: UInt32 = 0
        try check(stackpilot_nvml_device_temperature(handle, index(device), &celsius), "nvmlDeviceGetTemperature", device: device)
        return celsius
    }

    public func powerUsage(device: Int) throws(GPU.NVMLError) -> UInt32 {
        var milliwatts: UInt32 = 0
        try check(stackpilot_nvml_device_power_usage(handle, index(device), &milliwatts), "nvmlDeviceGetPowerUsage", device: device)
        return milliwatts
    }

    public func computeProcesses(device: Int) throws(GPU.NVMLError) -> [GPU.Process] {
        // Ask with room to spare; when processes started in between, NVML says how many there
        // are now (INSUFFICIENT_SIZE): grow and ask again, a few times at most.
        var capacity: UInt32 = 32
        for _ in 0..<4 {
            var infos = [stackpilot_nvml_process](repeating: stackpilot_nvml_process(), count: Int(capacity))
            var count = capacity
            let code = infos.withUnsafeMutableBufferPointer { stackpilot_nvml_device_compute_processes(handle, index(device), &count, $0.baseAddress) }
            if code == GPU.NVMLError.insufficientSize {
                capacity = max(capacity * 2, count + 8)
                continue
            }
            try check(code, "nvmlDeviceGetComputeRunningProcesses_v3", device: device)
            return infos.prefix(Int(min(count, capacity))).map {
                GPU.Process(pid: Int32(bitPattern: $0.pid), usedMemoryBytes: $0.usedGpuMemory == UInt64.max ? nil : $0.usedGpuMemory)
            }
        }
        throw GPU.NVMLError(
            function: "nvmlDeviceGetComputeRunningProcesses_v3", device: device, code: GPU.NVMLError.insufficientSize,
            message: "the process list kept growing while it was read")
    }

    public func migEnabled(device: Int) throws(GPU.NVMLError) -> Bool {
        var current: UInt32 = 0
        var pending: UInt32 = 0
        try check(stackpilot_nvml_device_mig_mode(handle, index(device), &current, &pending), "nvmlDeviceGetMigMode", device: device)
        return current == 1
    }

    public func uncorrectedECCErrors(device: Int) throws(GPU.NVMLError) -> UInt64 {
        var count: UInt64 = 0
        try check(stackpilot_nvml_device_uncorrected_ecc_errors(handle, index(device), 0, &count), "nvmlDeviceGetTotalEccErrors", device: device)
        return count
    }
}
