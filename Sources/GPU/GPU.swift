/// GPUs seen through NVML, loaded at run time (`libnvidia-ml.so.1` through dlopen): what the
/// exporter, `stats` and `doctor` report. Everything above the `NVML` protocol is pure and
/// unit-tested with recorded values; `NVMLLibrary` is the only code that calls the driver.
public enum GPU {}

extension GPU {
    /// A failed NVML call: the function, NVML's return code and its own description
    /// (`nvmlErrorString`).
    public struct NVMLError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
        public var function: String
        /// The device index the call was about; `nil` for system calls.
        public var device: Int?
        /// NVML's `nvmlReturn_t`.
        public var code: Int32
        public var message: String

        public init(function: String, device: Int? = nil, code: Int32, message: String) {
            self.function = function
            self.device = device
            self.code = code
            self.message = message
        }

        // The nvmlReturn_t values StackPilot tells apart (nvml.h).
        public static let notSupported: Int32 = 3
        public static let noPermission: Int32 = 4
        public static let insufficientSize: Int32 = 7
        public static let driverNotLoaded: Int32 = 9
        public static let libraryNotFound: Int32 = 12
        public static let functionNotFound: Int32 = 13
        public static let gpuIsLost: Int32 = 15
        public static let resetRequired: Int32 = 16
        public static let libRMVersionMismatch: Int32 = 18

        /// The device or the driver cannot report this value at all (no ECC on the board, no
        /// power sensor, an NVML too old for the call): an absent value, not a fault.
        public var isAbsentValue: Bool { code == Self.notSupported || code == Self.functionNotFound }

        public var description: String {
            let subject = device.map { "GPU \($0): " } ?? ""
            return "\(subject)\(function) failed: \(message) (NVML error \(code))"
        }
    }

    /// Why there is no NVML to ask. Said once by whoever loads it, never per scrape.
    public enum Unavailable: Error, Sendable, Equatable, CustomStringConvertible {
        /// `libnvidia-ml.so.1` is not installed (no NVIDIA driver) or cannot be loaded.
        case libraryNotFound(library: String, reason: String)
        /// The library loaded but is not NVML, or too old (a required symbol is missing).
        case unusableLibrary(library: String, reason: String)
        /// `nvmlInit_v2` failed (driver not loaded, version mismatch, no permission).
        case initFailed(NVMLError)

        public var description: String {
            switch self {
            case .libraryNotFound(let library, let reason):
                "not available: \(library) cannot be loaded (no NVIDIA driver on this host: \(reason))"
            case .unusableLibrary(_, let reason):
                "not available: \(reason)"
            case .initFailed(let error):
                "not available: nvmlInit_v2 failed: \(error.message) (NVML error \(error.code))"
            }
        }

        /// What to install or fix, for doctor's remedies.
        public var remedy: String {
            switch self {
            case .libraryNotFound:
                "install the NVIDIA driver (it ships libnvidia-ml.so.1); inside a container, run it with the nvidia runtime or a GPU request so the library is mounted"
            case .unusableLibrary:
                "reinstall the NVIDIA driver: its libnvidia-ml.so.1 lacks the NVML calls of driver 418 or newer"
            case .initFailed(let error) where error.code == NVMLError.libRMVersionMismatch:
                "the NVIDIA kernel module and libnvidia-ml.so.1 differ in version (driver upgraded without a reboot): reboot or reload the nvidia module"
            case .initFailed(let error) where error.code == NVMLError.noPermission:
                "NVML needs read access to /dev/nvidia*: run as root or add the user to the group owning them"
            case .initFailed:
                "load the NVIDIA kernel driver (`nvidia-smi` must work), then run again"
            }
        }
    }

    /// Memory of one GPU, bytes (`nvmlMemory_t`: total = free + used).
    public struct Memory: Sendable, Equatable, Codable {
        public var totalBytes: UInt64
        public var freeBytes: UInt64
        public var usedBytes: UInt64

        public init(totalBytes: UInt64, freeBytes: UInt64, usedBytes: UInt64) {
            self.totalBytes = totalBytes
            self.freeBytes = freeBytes
            self.usedBytes = usedBytes
        }

        /// Free share of the total, 0...1; `nil` when the total is 0.
        public var freeFraction: Double? {
            totalBytes == 0 ? nil : Double(freeBytes) / Double(totalBytes)
        }
    }

    /// A compute process on a GPU (`nvmlProcessInfo_t`).
    public struct Process: Sendable, Equatable, Codable {
        /// The pid in the host's pid namespace.
        public var pid: Int32
        /// `nil` when NVML cannot say (NVML_VALUE_NOT_AVAILABLE: MIG, some virtualised GPUs).
        public var usedMemoryBytes: UInt64?

        public init(pid: Int32, usedMemoryBytes: UInt64?) {
            self.pid = pid
            self.usedMemoryBytes = usedMemoryBytes
        }
    }

    /// Utilisation over NVML's last sample period, percent.
    public struct Utilization: Sendable, Equatable, Codable {
        public var gpuPercent: UInt32
        public var memoryPercent: UInt32

        public init(gpuPercent: UInt32, memoryPercent: UInt32) {
            self.gpuPercent = gpuPercent
            self.memoryPercent = memoryPercent
        }
    }

    /// One GPU as NVML reported it. A value the device cannot report is `nil`.
    public struct Device: Sendable, Equatable, Codable {
        /// NVML's index (`nvidia-smi`'s GPU number; dcgm-exporter's `gpu` label).
        public var index: Int
        public var name: String
        /// `GPU-…`, stable across reboots.
        public var uuid: String
        /// The `/dev/nvidiaN` minor number.
        public var minorNumber: Int?
        public var memory: Memory?
        public var utilization: Utilization?
        public var temperatureCelsius: UInt32?
        public var powerMilliwatts: UInt32?
        /// `nil` when the device has no MIG support.
        public var migEnabled: Bool?
        /// Uncorrected ECC errors since the driver loaded; `nil` without ECC.
        public var uncorrectedECCErrors: UInt64?
        public var processes: [Process]

        public init(
            index: Int, name: String, uuid: String, minorNumber: Int? = nil, memory: Memory? = nil, utilization: Utilization? = nil,
            temperatureCelsius: UInt32? = nil, powerMilliwatts: UInt32? = nil, migEnabled: Bool? = nil,
            uncorrectedECCErrors: UInt64? = nil, processes: [Process] = []
        ) {
            self.index = index
            self.name = name
            self.uuid = uuid
            self.minorNumber = minorNumber
            self.memory = memory
            self.utilization = utilization
            self.temperatureCelsius = temperatureCelsius
            self.powerMilliwatts = powerMilliwatts
            self.migEnabled = migEnabled
            self.uncorrectedECCErrors = uncorrectedECCErrors
            self.processes = processes
        }

        /// dcgm-exporter's `device` label: `nvidia<minor>`.
        public var deviceFile: String { "nvidia\(minorNumber ?? index)" }
    }

    /// Everything NVML answered in one pass, and what it refused.
    public struct Snapshot: Sendable, Equatable, Codable {
        public var driverVersion: String?
        public var nvmlVersion: String?
        public var devices: [Device]
        /// Calls that failed for another reason than "this device cannot report that" (a lost
        /// GPU, no permission, a driver error).
        public var errors: [NVMLError]

        public init(driverVersion: String? = nil, nvmlVersion: String? = nil, devices: [Device] = [], errors: [NVMLError] = []) {
            self.driverVersion = driverVersion
            self.nvmlVersion = nvmlVersion
            self.devices = devices
            self.errors = errors
        }
    }

    /// What a caller sees: NVML's answers, or why there are none.
    public enum Reading: Sendable, Equatable {
        case available(Snapshot)
        case unavailable(Unavailable)

        public var snapshot: Snapshot? {
            if case .available(let snapshot) = self { snapshot } else { nil }
        }
    }
}
