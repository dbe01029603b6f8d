/// The NVML calls StackPilot makes, one method per call, devices by index. `NVMLLibrary` is the
/// real one; tests replay recorded answers. Values are in NVML's units (bytes, percent, degrees C,
/// milliwatts). Implementations must be safe to call from several threads (NVML itself is).
public protocol NVML: Sendable {
    /// `nvmlSystemGetDriverVersion`, e.g. `550.54.15`.
    func driverVersion() throws(GPU.NVMLError) -> String
    /// `nvmlSystemGetNVMLVersion`, e.g. `12.550.54.15`.
    func nvmlVersion() throws(GPU.NVMLError) -> String
    /// `nvmlDeviceGetCount_v2`.
    func deviceCount() throws(GPU.NVMLError) -> Int
    /// `nvmlDeviceGetName`.
    func name(device: Int) throws(GPU.NVMLError) -> String
    /// `nvmlDeviceGetUUID`.
    func uuid(device: Int) throws(GPU.NVMLError) -> String
    /// `nvmlDeviceGetMinorNumber`.
    func minorNumber(device: Int) throws(GPU.NVMLError) -> Int
    /// `nvmlDeviceGetMemoryInfo`.
    func memory(device: Int) throws(GPU.NVMLError) -> GPU.Memory
    /// `nvmlDeviceGetUtilizationRates`.
    func utilization(device: Int) throws(GPU.NVMLError) -> GPU.Utilization
    /// `nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU)`.
    func temperature(device: Int) throws(GPU.NVMLError) -> UInt32
    /// `nvmlDeviceGetPowerUsage`, milliwatts.
    func powerUsage(device: Int) throws(GPU.NVMLError) -> UInt32
    /// `nvmlDeviceGetComputeRunningProcesses_v3`.
    func computeProcesses(device: Int) throws(GPU.NVMLError) -> [GPU.Process]
    /// `nvmlDeviceGetMigMode`: the current mode is enabled.
    func migEnabled(device: Int) throws(GPU.NVMLError) -> Bool
    /// `nvmlDeviceGetTotalEccErrors(UNCORRECTED, VOLATILE)`.
    func uncorrectedECCErrors(device: Int) throws(GPU.NVMLError) -> UInt64
}

extension GPU {
    /// Reads every device once. A value the device cannot report (`NOT_SUPPORTED`,
    /// `FUNCTION_NOT_FOUND`) is left `nil`; any other failure is kept in `errors`. A GPU that is
    /// lost (fell off the bus) or needs a reset is listed by its index with no values and one
    /// error, not one per call.
    public static func snapshot(_ nvml: some NVML) -> Snapshot {
        var snapshot = Snapshot()
        func value<T>(_ body: () throws(NVMLError) -> T) -> T? {
            do {
                return try body()
            } catch {
                if !error.isAbsentValue { snapshot.errors.append(error) }
                return nil
            }
        }
        snapshot.driverVersion = value { () throws(NVMLError) in try nvml.driverVersion() }
        snapshot.nvmlVersion = value { () throws(NVMLError) in try nvml.nvmlVersion() }
        guard let count = value({ () throws(NVMLError) in try nvml.deviceCount() }) else { return snapshot }
        for index in 0..<max(0, count) {
            var device = Device(index: index, name: "GPU \(index)", uuid: "")
            do {
                device.name = try nvml.name(device: index)
            } catch {
                if !error.isAbsentValue { snapshot.errors.append(error) }
                if error.code == NVMLError.gpuIsLost || error.code == NVMLError.resetRequired {
                    // Every further call would fail the same way: list the GPU, say it once.
                    snapshot.devices.append(device)
                    continue
                }
            }
            device.uuid = value { () throws(NVMLError) in try nvml.uuid(device: index) } ?? ""
            device.minorNumber = value { () throws(NVMLError) in try nvml.minorNumber(device: index) }
            device.memory = value { () throws(NVMLError) in try nvml.memory(device: index) }
            device.utilization = value { () throws(NVMLError) in try nvml.utilization(device: index) }
            device.temperatureCelsius = value { () throws(NVMLError) in try nvml.temperature(device: index) }
            device.powerMilliwatts = value { () throws(NVMLError) in try nvml.powerUsage(device: index) }
            device.migEnabled = value { () throws(NVMLError) in try nvml.migEnabled(device: index) }
            device.uncorrectedECCErrors = value { () throws(NVMLError) in try nvml.uncorrectedECCErrors(device: index) }
            device.processes = value { () throws(NVMLError) in try nvml.computeProcesses(device: index) } ?? []
            snapshot.devices.append(device)
        }
        return snapshot
    }
}
